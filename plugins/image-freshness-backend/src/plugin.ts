import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { formatPlatform } from 'oci-client';
import { createBaseImageTracking } from './baseImages/createBaseImageTracking';
import { readImageFreshnessConfig } from './config';
import { KnexFreshnessStore } from './database/KnexFreshnessStore';
import {
  createMetricsRouter,
  MetricsCollector,
  MetricsSnapshot,
  readMetricsConfig,
} from './metrics';
import { createHealthProbesRouter } from './probes/router';
import { HealthProbes } from './probes/HealthProbes';
import { createNotFoundRouter, createRouter } from './router';
import {
  createRepositoryScans,
  SCAN_TASK_SCHEDULE,
} from './scans/createRepositoryScans';
import { createScansRouter } from './scans/router';
import { AnnotationImageSource } from './service/AnnotationImageSource';
import { createOciClient } from './service/createOciClient';
import { EntityRefresher } from './service/EntityRefresher';
import { HostPolicy } from './service/HostPolicy';
import { ImageResolver } from './service/ImageResolver';
import { KubernetesWorkloadSource } from './service/KubernetesWorkloadSource';
import { RefreshTask } from './service/RefreshTask';
import { releaseOnShutdown } from './service/releaseOnShutdown';
import { ReportBuilder } from './service/ReportBuilder';
import {
  createVulnerabilityScanning,
  VULNERABILITY_TASK_SCHEDULE,
} from './vulnerabilities/createVulnerabilityScanning';
import { createDigestAccess } from './vulnerabilities/digestAccess';
import { createVulnerabilitiesRouter } from './vulnerabilities/router';

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
        urlReader: coreServices.urlReader,
        lifecycle: coreServices.lifecycle,
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
        const metricsConfig = readMetricsConfig(deps.config);
        const metrics = new MetricsCollector({ config: metricsConfig, logger });
        const store = await KnexFreshnessStore.create({
          database: deps.database,
        });
        const hosts = new HostPolicy(config);
        const client = createOciClient({
          config,
          hosts,
          observer: event =>
            metrics.observeRegistryRequest({
              host: event.host,
              method: event.method,
              status: event.status,
              error: event.error,
              durationSeconds: event.durationMs / 1000,
            }),
        });
        const resolver = new ImageResolver({
          client,
          store,
          hosts,
          cacheDuration: config.cacheDuration,
        });
        const baseImages = await createBaseImageTracking({
          config: deps.config,
          database: deps.database,
          urlReader: deps.urlReader,
          logger,
          client,
          hosts,
          resolver,
          freshnessStore: store,
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
          baseImages: baseImages.tracker,
        });
        const metricsSnapshot = new MetricsSnapshot({
          store,
          baseImages: baseImages.reports,
          collector: metrics,
          logger,
          maxAge: metricsConfig.reloadInterval,
        });
        const task = new RefreshTask({
          catalog,
          auth,
          refresher,
          store,
          otherStores: [baseImages.store],
          logger,
        });
        // A run cut short by shutdown hands the schedule on at once.
        const release = { scheduler, lifecycle: deps.lifecycle, logger };
        await scheduler.scheduleTask({
          id: 'image-freshness-refresh',
          ...config.schedule,
          // After the configured schedule, which carries a `scope` of its own
          // (undefined when unset): one replica at a time, whatever it says.
          scope: 'global',
          fn: releaseOnShutdown({
            ...release,
            taskId: 'image-freshness-refresh',
            fn: async () => {
              await metricsSnapshot.recordRefresh(() => task.run());
            },
          }),
        });
        // Repository scans, vulnerability summaries, registry health probes.
        const scans = await createRepositoryScans({
          config: deps.config,
          database: deps.database,
          logger,
          client,
          hosts,
          resolver,
          platform: formatPlatform(config.platform),
          cacheDuration: config.cacheDuration,
          discoveries: baseImages.store,
        });
        await scheduler.scheduleTask({
          id: 'image-freshness-scans',
          scope: 'global',
          ...SCAN_TASK_SCHEDULE,
          fn: releaseOnShutdown({
            ...release,
            taskId: 'image-freshness-scans',
            fn: abortSignal => scans.task.run(abortSignal),
          }),
        });
        const vulnerabilities = await createVulnerabilityScanning({
          config: deps.config,
          settings: config,
          database: deps.database,
          logger,
          hosts,
          freshness: store,
          scans: scans.store,
        });
        const vulnerabilityTask = vulnerabilities.task;
        if (vulnerabilityTask) {
          await scheduler.scheduleTask({
            id: 'image-freshness-vulnerabilities',
            scope: 'global',
            ...VULNERABILITY_TASK_SCHEDULE,
            fn: releaseOnShutdown({
              ...release,
              taskId: 'image-freshness-vulnerabilities',
              fn: abortSignal => vulnerabilityTask.run(abortSignal),
            }),
          });
        }
        httpRouter.use(
          await createRouter({
            httpAuth,
            catalog,
            reports: new ReportBuilder({
              store,
              maxAge: config.maxAge,
              baseImages: baseImages.reports,
              vulnerabilities,
            }),
            refresher,
            store,
            logger,
          }),
        );
        httpRouter.use(
          createMetricsRouter({
            collector: metrics,
            snapshot: metricsSnapshot,
            httpAuth,
            public: metricsConfig.public,
          }),
        );
        const healthProbes = HealthProbes.create({
          config: deps.config,
          settings: config,
          hosts,
          logger,
        });
        for (const probeTask of healthProbes.tasks()) {
          await scheduler.scheduleTask({ ...probeTask, scope: 'local' });
        }
        deps.lifecycle.addShutdownHook(() => healthProbes.shutdown());
        metrics.addLiveRegistry(healthProbes.metrics.registry);
        metrics.addLiveRegistry(vulnerabilities.metrics.registry);
        httpRouter.use(
          createScansRouter({
            httpAuth,
            store: scans.store,
            vulnerabilities: vulnerabilities.store,
          }),
        );
        httpRouter.use(
          createVulnerabilitiesRouter({
            httpAuth,
            store: vulnerabilities.store,
            availability: vulnerabilities.availability,
            severities: vulnerabilities.severities,
            mayRead: createDigestAccess({
              auth,
              catalog,
              freshness: store,
              scans: scans.store,
            }),
          }),
        );
        httpRouter.use(
          createHealthProbesRouter({ httpAuth, probes: healthProbes }),
        );
        httpRouter.use(createNotFoundRouter());
        if (metricsConfig.public) {
          httpRouter.addAuthPolicy({
            path: '/metrics',
            allow: 'unauthenticated',
          });
        }
      },
    });
  },
});
