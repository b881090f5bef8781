/**
 * Azure Container Registry credentials for the image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleAzure as default } from './module';
export {
  AcrCredentialProvider,
  ACR_PROVIDER,
  ACR_REFRESH_TOKEN_USER,
  ACR_SCOPE,
  isAzureRegistry,
  readAcrConfig,
  type AcrConfig,
} from './AcrCredentialProvider';
