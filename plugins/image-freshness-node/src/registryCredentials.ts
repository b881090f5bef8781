import {
  coreServices,
  createBackendModule,
  createExtensionPoint,
  type RootConfigService,
} from '@backstage/backend-plugin-api';
import type { RegistryCredentials } from 'oci-client';

/**
 * Credentials a provider minted, and until when they hold.
 *
 * @public
 */
export interface ProvidedCredentials {
  credentials: RegistryCredentials;
  /** When they stop working (a cloud token's expiry); absent: until the process ends. */
  expiresAt?: Date;
}

/**
 * Answers "credentials for this registry host and repository": a cloud
 * registry's short-lived tokens (ECR, Artifact Registry, ACR), a vault, a CI
 * system's secret store.
 *
 * @public
 */
export interface RegistryCredentialProvider {
  /** Names the provider in logs and errors. */
  readonly name: string;
  /**
   * Whether one answer serves a whole registry (`registry`: a cloud token for
   * ECR, Artifact Registry, ACR, GHCR, minted once per registry) or each
   * repository gets its own (`repository`, the default).
   */
  readonly scope?: 'registry' | 'repository';
  /** Whether this provider speaks for the host (e.g. `*.dkr.ecr.*.amazonaws.com`). Asked before any lookup. */
  matches(registry: string): boolean;
  /**
   * The credentials for `registry` (and `repository`, when they differ per
   * repository); undefined to let the next source answer. The core caches an
   * answer until shortly before `expiresAt` and shares one lookup among
   * concurrent requests; when a registry answers 401 to it, it is asked
   * again (once per answer). Throw when credentials cannot be had (no role,
   * wrong tenant, API refused) with a message that says what to configure and
   * carries no secret: when no other provider answers, the image fails with
   * AUTHENTICATION naming this provider, the host and that message.
   */
  getCredentials(request: {
    registry: string;
    repository?: string;
  }): Promise<ProvidedCredentials | undefined>;
}

/**
 * Adds registry credential providers. They are asked after the credentials
 * in `imageFreshness.registries[]` and the Docker config file, in the order
 * they were added; the first that matches a host and answers wins.
 *
 * @public
 */
export interface ImageFreshnessRegistryCredentialsExtensionPoint {
  addCredentialProvider(...providers: RegistryCredentialProvider[]): void;
}

/**
 * The extension point for registry credential providers.
 *
 * @public
 */
export const imageFreshnessRegistryCredentialsExtensionPoint =
  createExtensionPoint<ImageFreshnessRegistryCredentialsExtensionPoint>({
    id: 'image-freshness.registry-credentials',
  });

/**
 * A module of the image-freshness plugin that adds one credential provider
 * when its configuration is there: `create` reads the root config and
 * answers the provider, or undefined to add nothing (the section is absent).
 * The provider's name is logged at start-up, never its settings.
 *
 * @public
 */
export function createRegistryCredentialsModule(options: {
  moduleId: string;
  create(config: RootConfigService): RegistryCredentialProvider | undefined;
}) {
  return createBackendModule({
    pluginId: 'image-freshness',
    moduleId: options.moduleId,
    register(reg) {
      reg.registerInit({
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.logger,
          credentials: imageFreshnessRegistryCredentialsExtensionPoint,
        },
        async init({ config, logger, credentials }) {
          const provider = options.create(config);
          if (!provider) return;
          credentials.addCredentialProvider(provider);
          logger.info('Registry credential provider added', {
            provider: provider.name,
          });
        },
      });
    },
  });
}
