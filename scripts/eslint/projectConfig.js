// The ESLint configuration of the project's own packages: Backstage's, plus
// - no import cycles (import/no-cycle): layers point one way;
// - layers (source files, not tests), when given: a folder of `src/` never
//   imports from a folder above it, so features talk through injected
//   interfaces and shared parts stay free of features;
// - one clock (source files, not tests): "now" comes from one injected clock
//   (a `Clock` option defaulting to `systemClock` from -common; `lib/clock`
//   in the frontend), never from the wall clock read on the spot. Elapsed
//   times use performance.now(), which no test needs to pin.
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

const NOT_TESTS = [
  '**/*.test.*',
  '**/__testUtils__/**',
  '**/testing/**',
  'src/setupTests.*',
];

const ONE_CLOCK_OVERRIDE = {
  // Last, so that it wins over the role's own no-restricted-syntax.
  files: ['src/**/*.ts', 'src/**/*.tsx'],
  excludedFiles: NOT_TESTS,
  rules: { 'no-restricted-syntax': ['error', ...ONE_CLOCK_SYNTAX] },
};

/**
 * `layers` lists folders of `src/`, lowest first; a file in one may import
 * from the layers below it, never from those above (nor from `src/plugin.ts`
 * or `src/index.ts`, which sit on top).
 */
function layersOverride(layers) {
  const zones = layers.map((layer, i) => ({
    target: `./src/${layer}`,
    from: [
      ...layers.slice(i + 1).map(above => `./src/${above}`),
      './src/plugin.ts',
      './src/index.ts',
    ],
    message: `src/${layer} sits below ${layers
      .slice(i + 1)
      .join(
        ', ',
      )}: take what it needs as an injected interface (see lib/featurePorts.ts) instead of importing upwards.`,
  }));
  return {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    excludedFiles: NOT_TESTS,
    rules: { 'import/no-restricted-paths': ['error', { zones }] },
  };
}

/**
 * Backstage's configuration for the package in `dir`, with the cycle check
 * on every file, the layers when `layers` is given and, unless
 * `oneClock: false`, the one-clock rule.
 */
module.exports = function projectConfig(dir, options = {}) {
  const config = require('@backstage/cli/config/eslint-factory')(dir);
  return {
    ...config,
    settings: {
      ...config.settings,
      // resolve the TypeScript sources as tsc does, for import/no-cycle
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } },
      'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      ...config.rules,
      'import/no-cycle': ['error', { ignoreExternal: true }],
    },
    overrides: [
      ...config.overrides,
      ...(options.layers ? [layersOverride(options.layers)] : []),
      ...(options.oneClock === false ? [] : [ONE_CLOCK_OVERRIDE]),
    ],
  };
};
