import { createRegistryCredentialsModule } from 'backstage-plugin-image-freshness-node';
import {
  GoogleCredentialProvider,
  readGoogleConfig,
} from './GoogleCredentialProvider';

/**
 * Artifact Registry and GCR credentials for the image-freshness plugin, when
 * `imageFreshness.gcp` is configured: access tokens from Application Default
 * Credentials, user `oauth2accesstoken`.
 *
 * @public
 */
export const imageFreshnessModuleGcp = createRegistryCredentialsModule({
  moduleId: 'gcp',
  create(config) {
    const gcp = readGoogleConfig(config);
    return gcp && new GoogleCredentialProvider({ config: gcp });
  },
});
