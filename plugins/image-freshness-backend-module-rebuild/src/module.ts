import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  imageFreshnessRebuildTriggerPermission,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import { imageFreshnessFeaturesExtensionPoint } from 'backstage-plugin-image-freshness-node';
import { readRebuildConfig } from './config';
import { KnexRebuildStore } from './KnexRebuildStore';
import { RebuildMetrics } from './metrics';
import { RebuildTask } from './RebuildTask';
import { RebuildTrigger } from './RebuildTrigger';
import { createRebuildRouter } from './router';
import { ScmDispatcher } from './scmDispatcher';

/**
 * Rebuild triggers for managed images: when a base's verdict is
 * `rebuild-due`, a GitHub Actions `workflow_dispatch` or a GitLab pipeline,
 * once per base move across replicas and restarts, recorded in the plugin's
 * database; `GET /rebuilds/...` and `POST /rebuilds/.../trigger`. Off unless
 * `imageFreshness.rebuild` is configured. Registers
 * `image-freshness.rebuild.trigger`.
 *
 * @public
 */
export const imageFreshnessModuleRebuild = createBackendModule({
  pluginId: 'image-freshness',
  moduleId: 'rebuild',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
        features: imageFreshnessFeaturesExtensionPoint,
      },
      async init(deps) {
        const { config, logger, database, features } = deps;
        deps.permissionsRegistry.addPermissions([
          imageFreshnessRebuildTriggerPermission,
        ]);
        const settings = readRebuildConfig(config);
        if (!settings) {
          logger.info(
            'Rebuild triggers are off: configure imageFreshness.rebuild to turn them on',
          );
          return;
        }
        const integrations = ScmIntegrations.fromConfig(config);
        features.addFeature(async context => {
          const reports = context.reports;
          if (!reports) {
            throw new Error(
              'The rebuild module needs an image-freshness backend that shares its entity reports; upgrade backstage-plugin-image-freshness-backend',
            );
          }
          const store = await KnexRebuildStore.create(database);
          const metrics = new RebuildMetrics();
          const trigger = new RebuildTrigger({
            store,
            dispatcher: new ScmDispatcher({
              integrations,
              returnRunDetails: settings.returnRunDetails,
            }),
            metrics,
            logger,
            now: systemClock,
            minRetryDelayMs: settings.minRetryDelay.toMillis(),
            maxRetryDelayMs: settings.maxRetryDelay.toMillis(),
          });
          const task = new RebuildTask({
            reports,
            catalog: deps.catalog,
            auth: deps.auth,
            integrations,
            store,
            trigger,
            metrics,
            logger,
            now: systemClock,
            unknownOutcomeAfterMs: settings.unknownOutcomeAfter.toMillis(),
          });
          return {
            name: 'rebuild',
            tasks: [
              {
                id: 'image-freshness-rebuild',
                schedule: settings.schedule,
                scope: 'global',
                fn: async signal => {
                  await task.run(signal);
                },
              },
            ],
            router: createRebuildRouter({
              httpAuth: deps.httpAuth,
              permissions: deps.permissions,
              catalog: deps.catalog,
              reports,
              integrations,
              store,
              trigger,
            }),
            metrics: metrics.registry,
          };
        });
      },
    });
  },
});
