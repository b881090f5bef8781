module.exports = require('../../scripts/eslint/oneClock')(__dirname);
