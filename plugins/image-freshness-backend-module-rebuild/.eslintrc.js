module.exports = require('../../scripts/eslint/projectConfig')(__dirname);
