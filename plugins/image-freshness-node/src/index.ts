/**
 * Extension points and their types for the image-freshness backend plugin:
 * container sources, registry credential providers, vulnerability scanners
 * and features. Modules depend on this package, never on the plugin itself.
 *
 * @packageDocumentation
 */
export * from './containerSources';
export * from './registryCredentials';
export * from './vulnerabilityScanners';
export * from './features';
export * from './config';
export * from './baseImageFacts';
export * from './entityReports';
export * from './permissions';
