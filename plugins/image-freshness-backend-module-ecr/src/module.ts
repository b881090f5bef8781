import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { createRegistryCredentialsModule } from 'backstage-plugin-image-freshness-node';
import { readEcrConfig } from './config';
import { EcrCredentialProvider } from './EcrCredentialProvider';

/**
 * AWS ECR and ECR Public credentials for the image-freshness plugin, when
 * `imageFreshness.ecr` is configured: tokens from GetAuthorizationToken with
 * the portal's `aws` credentials.
 *
 * @public
 */
export const imageFreshnessModuleEcr = createRegistryCredentialsModule({
  moduleId: 'ecr',
  create(config) {
    const ecr = readEcrConfig(config);
    return (
      ecr &&
      new EcrCredentialProvider({
        config: ecr,
        aws: DefaultAwsCredentialsManager.fromConfig(config),
      })
    );
  },
});
