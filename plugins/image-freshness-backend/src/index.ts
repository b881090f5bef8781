/**
 * The image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessPlugin as default } from './plugin';
