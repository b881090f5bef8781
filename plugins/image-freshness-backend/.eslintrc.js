// The folders of src/, lowest first: shared helpers, registry access, then
// the features (the overview reads the refresh's reports), then their composition (features/, plugin.ts).
module.exports = require('../../scripts/eslint/projectConfig')(__dirname, {
  layers: [
    'lib',
    'registry',
    'baseImages',
    'scans',
    'refresh',
    'overview',
    'vulnerabilities',
    'metrics',
    'features',
  ],
});
