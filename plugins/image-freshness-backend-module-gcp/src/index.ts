/**
 * Google Artifact Registry and Container Registry credentials for the image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleGcp as default } from './module';
export {
  GoogleCredentialProvider,
  GOOGLE_PROVIDER,
  GOOGLE_REGISTRY_USER,
  isGoogleRegistry,
  readGoogleConfig,
  type GoogleConfig,
} from './GoogleCredentialProvider';
