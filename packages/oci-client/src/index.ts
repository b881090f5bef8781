/**
 * A framework-free OCI distribution client.
 *
 * @packageDocumentation
 */
export * from './client';
export * from './errors';
export * from './manifest';
export { formatReference, parseReference, registryEndpoint } from './reference';
export type { ImageReference } from './reference';
export type { Credentials, TransportOptions } from './transport';
