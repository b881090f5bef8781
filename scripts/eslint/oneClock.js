// The ESLint configuration of the packages whose logic depends on time: "now"
// comes from one injected clock (a `Clock` option defaulting to `systemClock`
// from -common; `lib/clock` in the frontend), never from the wall clock read on
// the spot. Elapsed times use performance.now(), which no test needs to pin.
const MESSAGE =
  'Read "now" from the one clock (a Clock option defaulting to systemClock from -common; lib/clock in the frontend); use performance.now() for elapsed time.';

const ONE_CLOCK_SYNTAX = [
  {
    selector:
      "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: MESSAGE,
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: MESSAGE,
  },
  {
    selector:
      "CallExpression[callee.object.name='DateTime'][callee.property.name=/^(now|local|utc)$/][arguments.length=0]",
    message: MESSAGE,
  },
];

/** Backstage's configuration for `dir`, with the one-clock rule on its source files (not its tests). */
module.exports = function oneClockConfig(dir) {
  const config = require('@backstage/cli/config/eslint-factory')(dir);
  return {
    ...config,
    overrides: [
      ...config.overrides,
      {
        // Last, so that it wins over the role's own no-restricted-syntax.
        files: ['src/**/*.ts', 'src/**/*.tsx'],
        excludedFiles: [
          '**/*.test.*',
          '**/__testUtils__/**',
          '**/testing/**',
          'src/setupTests.*',
        ],
        rules: { 'no-restricted-syntax': ['error', ...ONE_CLOCK_SYNTAX] },
      },
    ],
  };
};
