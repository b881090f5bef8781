import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { imageFreshnessScansReadPermission } from 'backstage-plugin-image-freshness-common';
import {
  type ContainerSource,
  type ImageFreshnessFeatureFactory,
  imageFreshnessContainerSourcesExtensionPoint,
  imageFreshnessFeaturesExtensionPoint,
  imageFreshnessRegistryCredentialsExtensionPoint,
  imageFreshnessVulnerabilityScannersExtensionPoint,
  type RegistryCredentialProvider,
  type VulnerabilityScanner,
} from 'backstage-plugin-image-freshness-node';
import { createCoreFeatures } from './features/core';
import { installFeatures } from './features/compose';
import { createNotFoundRouter } from './refresh/router';

/**
 * The image-freshness backend plugin: finds the images every entity runs,
 * resolves them from their registries, stores and serves them. Container
 * sources, registry credential providers, a vulnerability scanner and whole
 * features come from modules through the extension points of
 * `backstage-plugin-image-freshness-node`; the annotation and Kubernetes
 * sources are the default registrations.
 *
 * @public
 */
export const imageFreshnessPlugin = createBackendPlugin({
  pluginId: 'image-freshness',
  register(env) {
    const sources: ContainerSource[] = [];
    const credentialProviders: RegistryCredentialProvider[] = [];
    const featureFactories: ImageFreshnessFeatureFactory[] = [];
    let scanner: VulnerabilityScanner | undefined;
    env.registerExtensionPoint(imageFreshnessContainerSourcesExtensionPoint, {
      addContainerSource: (...added) => sources.push(...added),
    });
    env.registerExtensionPoint(
      imageFreshnessRegistryCredentialsExtensionPoint,
      {
        addCredentialProvider: (...added) => credentialProviders.push(...added),
      },
    );
    env.registerExtensionPoint(
      imageFreshnessVulnerabilityScannersExtensionPoint,
      {
        setScanner(added) {
          if (scanner) {
            throw new Error(
              `A vulnerability scanner (${scanner.name}) is installed already; install one scanner module, not also ${added.name}`,
            );
          }
          scanner = added;
        },
      },
    );
    env.registerExtensionPoint(imageFreshnessFeaturesExtensionPoint, {
      addFeature: (...added) => featureFactories.push(...added),
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        urlReader: coreServices.urlReader,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      async init({ permissionsRegistry, ...deps }) {
        // the registry-probes module registers its own permission
        permissionsRegistry.addPermissions([imageFreshnessScansReadPermission]);
        const { features, context, metrics } = await createCoreFeatures({
          ...deps,
          sources,
          credentialProviders,
          scanner,
        });
        for (const factory of featureFactories) {
          features.push(await factory(context));
        }
        await installFeatures({
          ...deps,
          features,
          metrics,
          globalTasks:
            deps.config.getOptionalBoolean('imageFreshness.globalTasks') ??
            true,
        });
        deps.httpRouter.use(createNotFoundRouter());
      },
    });
  },
});
