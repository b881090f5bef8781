/**
 * The registry health probes module for the image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleRegistryProbes as default } from './module';
export { HealthProbes } from './HealthProbes';
export { readHealthProbesConfig, type HealthProbeConfig } from './config';
