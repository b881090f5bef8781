import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { imageFreshnessRegistryCredentialsExtensionPoint } from 'backstage-plugin-image-freshness-node';
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
export const imageFreshnessModuleGcp = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'gcp',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        credentials: imageFreshnessRegistryCredentialsExtensionPoint,
      },
      async init({ config, logger, credentials }) {
        const gcp = readGoogleConfig(config);
        if (!gcp) return;
        credentials.addCredentialProvider(
          new GoogleCredentialProvider({ config: gcp }),
        );
        logger.info('Google registry credentials enabled', {
          hosts: gcp.hosts.join(',') || 'by hostname',
        });
      },
    });
  },
});
