import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { imageFreshnessHealthProbesReadPermission } from 'backstage-plugin-image-freshness-common';
import { imageFreshnessFeaturesExtensionPoint } from 'backstage-plugin-image-freshness-node';
import { HealthProbes } from './HealthProbes';
import { createHealthProbesRouter } from './router';

/**
 * Registry health probes for the image-freshness plugin, as the registry
 * exporter runs them: every backend instance pulls, pushes, reads metadata
 * and logs in to each configured registry (`imageFreshness.healthProbes`)
 * and exports `registry_exporter_*` on `/metrics`; `GET /health-probes`
 * shows this instance's last results to callers allowed
 * `image-freshness.health-probes.read`, the permission it registers. At
 * shutdown it deletes its own tags.
 *
 * @public
 */
export const imageFreshnessModuleRegistryProbes = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'registry-probes',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        features: imageFreshnessFeaturesExtensionPoint,
      },
      async init({
        config,
        logger,
        httpAuth,
        permissions,
        permissionsRegistry,
        features,
      }) {
        permissionsRegistry.addPermissions([
          imageFreshnessHealthProbesReadPermission,
        ]);
        features.addFeature(access => {
          const probes = HealthProbes.create({ config, access, logger });
          return {
            name: 'registry-probes',
            // every instance probes for itself
            tasks: probes.tasks().map(task => ({
              id: task.id,
              schedule: { frequency: task.frequency, timeout: task.timeout },
              scope: 'local',
              fn: () => task.fn(),
            })),
            router: createHealthProbesRouter({
              httpAuth,
              permissions,
              probes,
            }),
            metrics: probes.metrics.registry,
            shutdown: () => probes.shutdown(),
          };
        });
      },
    });
  },
});
