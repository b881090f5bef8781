/**
 * The Trivy module for the image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleTrivy as default } from './module';
export { readTrivyConfig, type TrivyConfig } from './config';
export { TrivyScanner } from './TrivyScanner';
