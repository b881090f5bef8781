import { createRegistryCredentialsModule } from 'backstage-plugin-image-freshness-node';
import { GhcrCredentialProvider } from './GhcrCredentialProvider';

/**
 * GitHub Container Registry credentials for the image-freshness plugin,
 * when `imageFreshness.github` is configured: the token of the portal's
 * GitHub integration for the image's owner.
 *
 * @public
 */
export const imageFreshnessModuleGithub = createRegistryCredentialsModule({
  moduleId: 'github',
  create: config => GhcrCredentialProvider.fromConfig(config),
});
