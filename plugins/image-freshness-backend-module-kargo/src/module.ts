import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { imageFreshnessKargoWarehousesReadPermission } from 'backstage-plugin-image-freshness-common';
import { imageFreshnessFeaturesExtensionPoint } from 'backstage-plugin-image-freshness-node';
import { readKargoConfig } from './config';
import { createKargoRouter } from './router';

/**
 * Kargo Warehouses for the image-freshness plugin: `GET
 * /kargo/warehouses` answers a Warehouse for every repository Kargo must
 * monitor (external images and discovered base images), with subscriptions
 * from the tracking policies. Registers
 * `image-freshness.kargo.warehouses.read`.
 *
 * @public
 */
export const imageFreshnessModuleKargo = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'kargo',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        features: imageFreshnessFeaturesExtensionPoint,
      },
      async init({
        config,
        httpAuth,
        permissions,
        permissionsRegistry,
        features,
      }) {
        const kargo = readKargoConfig(config);
        permissionsRegistry.addPermissions([
          imageFreshnessKargoWarehousesReadPermission,
        ]);
        features.addFeature(context => {
          const facts = context.baseImages;
          if (!facts) {
            throw new Error(
              'The kargo module needs an image-freshness backend that shares its base-image facts; upgrade backstage-plugin-image-freshness-backend',
            );
          }
          return {
            name: 'kargo',
            router: createKargoRouter({
              httpAuth,
              permissions,
              facts,
              config: kargo,
            }),
          };
        });
      },
    });
  },
});
