// The folders of src/, lowest first: shared helpers, registry access, then
// the features, then their composition (features/, plugin.ts).
module.exports = require('../../scripts/eslint/projectConfig')(__dirname, {
  layers: [
    'lib',
    'registry',
    'baseImages',
    'scans',
    'refresh',
    'vulnerabilities',
    'metrics',
    'features',
  ],
});
