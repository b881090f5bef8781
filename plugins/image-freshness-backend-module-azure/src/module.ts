import { createRegistryCredentialsModule } from 'backstage-plugin-image-freshness-node';
import { AcrCredentialProvider, readAcrConfig } from './AcrCredentialProvider';

/**
 * Azure Container Registry credentials for the image-freshness plugin, when
 * `imageFreshness.azure` is configured: an Entra ID token from
 * DefaultAzureCredential exchanged for an ACR refresh token.
 *
 * @public
 */
export const imageFreshnessModuleAzure = createRegistryCredentialsModule({
  moduleId: 'azure',
  create(config) {
    const azure = readAcrConfig(config);
    return azure && new AcrCredentialProvider({ config: azure });
  },
});
