import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { imageFreshnessRegistryCredentialsExtensionPoint } from 'backstage-plugin-image-freshness-node';
import { readEcrConfig } from './config';
import { EcrCredentialProvider } from './EcrCredentialProvider';

/**
 * AWS ECR and ECR Public credentials for the image-freshness plugin, when
 * `imageFreshness.ecr` is configured: tokens from GetAuthorizationToken with
 * the portal's `aws` credentials.
 *
 * @public
 */
export const imageFreshnessModuleEcr = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'ecr',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        credentials: imageFreshnessRegistryCredentialsExtensionPoint,
      },
      async init({ config, logger, credentials }) {
        const ecr = readEcrConfig(config);
        if (!ecr) return;
        credentials.addCredentialProvider(
          new EcrCredentialProvider({
            config: ecr,
            aws: DefaultAwsCredentialsManager.fromConfig(config),
          }),
        );
        logger.info('ECR registry credentials enabled', {
          registries: [...ecr.registries.keys()].join(',') || 'by hostname',
          public: ecr.public,
        });
      },
    });
  },
});
