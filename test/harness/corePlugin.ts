/*
 * The core image-freshness backend plugin, for the tests of modules that run it in a test
 * backend beside themselves (a module package may not import the plugin package itself).
 */
export { default as imageFreshnessPlugin } from 'backstage-plugin-image-freshness-backend';
