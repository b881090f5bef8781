/**
 * GitHub Container Registry credentials for the image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleGithub as default } from './module';
export {
  GhcrCredentialProvider,
  GHCR_APP_TOKEN_ADVICE,
  GHCR_PROVIDER,
  GHCR_USER,
  readGhcrConfig,
  type GhcrConfig,
} from './GhcrCredentialProvider';
