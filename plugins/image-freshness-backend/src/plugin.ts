import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { formatPlatform } from 'oci-client';
import { readImageFreshnessConfig } from './config';
import { KnexFreshnessStore } from './database/KnexFreshnessStore';
import { createRouter } from './router';
import { AnnotationImageSource } from './service/AnnotationImageSource';
import { createOciClient } from './service/createOciClient';
import { EntityRefresher } from './service/EntityRefresher';
import { HostPolicy } from './service/HostPolicy';
import { ImageResolver } from './service/ImageResolver';
import { KubernetesWorkloadSource } from './service/KubernetesWorkloadSource';
import { RefreshTask } from './service/RefreshTask';
import { ReportBuilder } from './service/ReportBuilder';

/**
 * The image-freshness backend plugin: finds the images every entity runs,
 * resolves them from their registries, stores and serves them.
 *
 * @public
 */
export const imageFreshnessPlugin = createBackendPlugin({
  pluginId: 'image-freshness',
  register(env) {
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
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const {
          logger,
          scheduler,
          auth,
          discovery,
          httpAuth,
          httpRouter,
          catalog,
        } = deps;
        const config = readImageFreshnessConfig(deps.config);
        const store = await KnexFreshnessStore.create({
          database: deps.database,
        });
        const resolver = new ImageResolver({
          client: createOciClient(config),
          store,
          hosts: new HostPolicy(config),
          cacheDuration: config.cacheDuration,
        });
        const refresher = new EntityRefresher({
          sources: [
            new AnnotationImageSource(),
            new KubernetesWorkloadSource({ discovery, auth, logger }),
          ],
          resolver,
          store,
          logger,
          defaultPlatform: formatPlatform(config.platform),
        });
        const task = new RefreshTask({
          catalog,
          auth,
          refresher,
          store,
          logger,
        });
        await scheduler.scheduleTask({
          id: 'image-freshness-refresh',
          scope: 'global',
          ...config.schedule,
          fn: async () => {
            await task.run();
          },
        });
        httpRouter.use(
          await createRouter({
            httpAuth,
            catalog,
            reports: new ReportBuilder({ store, maxAge: config.maxAge }),
            refresher,
            store,
            logger,
          }),
        );
      },
    });
  },
});
