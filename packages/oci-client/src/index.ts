/**
 * A framework-free OCI distribution client.
 *
 * @packageDocumentation
 */
export { OciClient } from './client';
export type { OciClientOptions } from './client';
export { codeForStatus, OciError } from './errors';
export type { OciErrorCode, OciErrorOptions } from './errors';
export { isIndex, MANIFEST_ACCEPT, MEDIA_TYPES } from './manifest';
export type {
  Descriptor,
  ImageConfig,
  ImageIndex,
  ImageManifest,
} from './manifest';
export { formatPlatform, parsePlatform, selectPlatform } from './platform';
export type { Platform } from './platform';
export { formatReference, parseReference, registryEndpoint } from './reference';
export type { ImageReference } from './reference';
export {
  canonicalRegistry,
  imageRegistry,
  isDockerHub,
  isLoopback,
  isRegistryComponent,
  parseHost,
} from './registryHost';
export type { RegistryHost } from './registryHost';
export { parseChallenges } from './auth/challenge';
export type { AuthChallenge } from './auth/challenge';
export {
  chainCredentials,
  credentialsFromDockerConfig,
  credentialsFromDockerConfigFile,
  credentialsFromPullSecret,
  normaliseRegistryKey,
  staticCredentials,
} from './auth/credentials';
export type {
  BasicCredentials,
  BearerCredentials,
  CredentialSource,
  CredentialsRefused,
  DockerConfig,
  DockerConfigAuth,
  IdentityTokenCredentials,
  KubernetesPullSecret,
  RegistryCredentials,
} from './auth/credentials';
export { TokenCache } from './auth/TokenCache';
export type { IssuedToken, TokenCacheOptions } from './auth/TokenCache';
export {
  AttestationContentError,
  IN_TOTO_MEDIA_TYPE,
} from './remote/attestations';
export type {
  AttestationOptions,
  AttestationStatement,
  ImageAttestations,
} from './remote/attestations';
export type { UploadOptions, UploadResult } from './remote/blobs';
export type { ImageDetails, InspectOptions } from './remote/inspect';
export type { ListOptions } from './remote/lists';
export type { RequestOptions } from './remote/context';
export type { FetchedManifest, ManifestHead } from './remote/manifests';
export type {
  RequestEvent,
  RequestKind,
  RequestObserver,
} from './transport/observer';
export { keepAliveAfterHead } from './transport/connectCheck';
export type { RetryOptions } from './transport/retry';
export { InFlight } from './transport/InFlight';
export type {
  PerRegistry,
  RegistryResponse,
  TransportOptions,
} from './transport/Transport';
