/**
 * Types, annotation keys and pure policy shared by the image-freshness
 * frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './api';
export * from './clock';
export * from './errors';
export * from './mapLimit';
export * from './permissions';
export * from './policy';
export * from './basePolicy';
export * from './reportFacts';
export * from './rebuilds';
export * from './overview';
