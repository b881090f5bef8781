import type {
  AuthService,
  DatabaseService,
  DiscoveryService,
  HttpAuthService,
  HttpRouterService,
  LoggerService,
  PermissionsService,
  RootConfigService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type {
  ContainerSource,
  ImageFreshnessFeature,
  ImageFreshnessFeatureContext,
  RegistryCredentialProvider,
  VulnerabilityScanner,
} from 'backstage-plugin-image-freshness-node';
import { readTaskSchedule } from 'backstage-plugin-image-freshness-node';
import { chainCredentials, formatPlatform } from 'oci-client';
import { createBaseImageTracking } from '../baseImages/createBaseImageTracking';
import { readBaseImagesConfig } from '../baseImages/config';
import { baseImageFacts } from './baseImageFacts';
import { readImageFreshnessConfig } from '../registry/config';
import { readRefreshConfig } from '../refresh/config';
import { KnexEntityStore } from '../refresh/KnexEntityStore';
import { KnexRegistryCache } from '../registry/KnexRegistryCache';
import { MemoRegistryCache } from '../registry/MemoRegistryCache';
import {
  createMetricsRouter,
  MetricsCollector,
  MetricsSnapshot,
  readMetricsConfig,
} from '../metrics';
import { createRouter } from '../refresh/router';
import { OverviewIndex } from '../overview/OverviewIndex';
import { readOverviewReloadInterval } from '../overview/config';
import { createOverviewRouter } from '../overview/router';
import {
  createRepositoryScans,
  SCAN_TASK_SCHEDULE,
} from '../scans/createRepositoryScans';
import { createScansRouter } from '../scans/router';
import { AnnotationImageSource } from '../refresh/AnnotationImageSource';
import { createOciClient } from '../registry/createOciClient';
import { credentialsFromProviders } from '../registry/credentialProviders';
import { EntityRefresher } from '../refresh/EntityRefresher';
import { HostPolicy } from '../registry/HostPolicy';
import { ImageResolver } from '../registry/ImageResolver';
import { KubernetesWorkloadSource } from '../refresh/KubernetesWorkloadSource';
import { readKubernetesSourceSettings } from '../refresh/kubernetesConfig';
import { RefreshTask } from '../refresh/RefreshTask';
import {
  configuredCredentials,
  isInsecureRegistry,
} from '../registry/registryAccess';
import { ReportBuilder } from '../refresh/ReportBuilder';
import {
  createVulnerabilityScanning,
  VULNERABILITY_TASK_SCHEDULE,
} from '../vulnerabilities/createVulnerabilityScanning';
import { createDigestAccess } from '../vulnerabilities/digestAccess';
import { createVulnerabilitiesRouter } from '../vulnerabilities/router';
import { scheduleInterval } from '../lib/workLoop';

/**
 * The core's parts and its built-in features: the refresh (the default
 * container sources plus any registered), the metrics route, repository
 * scans and vulnerability summaries (with the registered scanner, if any).
 * Returns them with the context modules' features are built with.
 */
export async function createCoreFeatures(options: {
  config: RootConfigService;
  logger: LoggerService;
  database: DatabaseService;
  auth: AuthService;
  discovery: DiscoveryService;
  httpAuth: HttpAuthService;
  httpRouter: HttpRouterService;
  permissions: PermissionsService;
  urlReader: UrlReaderService;
  catalog: CatalogService;
  sources: readonly ContainerSource[];
  credentialProviders: readonly RegistryCredentialProvider[];
  scanner?: VulnerabilityScanner;
}) {
  const { logger, auth, discovery, httpAuth, catalog } = options;
  const config = readImageFreshnessConfig(options.config);
  const refreshConfig = readRefreshConfig(options.config);
  const metricsConfig = readMetricsConfig(options.config);
  const metrics = new MetricsCollector({ config: metricsConfig, logger });
  const store = await KnexEntityStore.create({
    database: options.database,
  });
  const registryCache = new MemoRegistryCache(
    await KnexRegistryCache.create({ database: options.database }),
  );
  const hosts = new HostPolicy(config);
  // One credential chain for every request the plugin makes: configured
  // registries, the Docker config file, then the registered providers.
  const provided = credentialsFromProviders({
    providers: options.credentialProviders,
    logger,
    checkHost: host => hosts.check(host),
  });
  const credentials = chainCredentials(
    configuredCredentials(config),
    provided?.lookup,
  );
  const client = createOciClient({
    config,
    hosts,
    credentials,
    // a refusal of minted credentials has them minted again (once), and the
    // refused request is tried once more with them
    credentialsRefused: (registry, repository, refused) =>
      provided?.refused(registry, repository, refused) ?? false,
    observer: event => {
      metrics.observeRegistryRequest({
        host: event.host,
        method: event.method,
        status: event.status,
        error: event.error,
        durationSeconds: event.durationMs / 1000,
      });
    },
  });
  const resolver = new ImageResolver({
    client,
    cache: registryCache,
    hosts,
    cacheDuration: config.cacheDuration,
  });
  const platform = formatPlatform(config.platform);
  const baseImages = await createBaseImageTracking({
    config: options.config,
    database: options.database,
    urlReader: options.urlReader,
    logger,
    client,
    hosts,
    resolver,
    registryCache,
    cacheDuration: config.cacheDuration,
  });
  const kubernetes = new KubernetesWorkloadSource({
    discovery,
    auth,
    logger,
    settings: readKubernetesSourceSettings(options.config),
  });
  const refresher = new EntityRefresher({
    sources: [new AnnotationImageSource(), kubernetes, ...options.sources],
    resolver,
    store,
    logger,
    defaultPlatform: platform,
    baseImages: baseImages.tracker,
  });
  const metricsSnapshot = new MetricsSnapshot({
    store,
    baseImages: baseImages.reports,
    collector: metrics,
    logger,
    maxAge: metricsConfig.reloadInterval,
  });
  const refreshTask = new RefreshTask({
    catalog,
    auth,
    refresher,
    store,
    otherStores: [baseImages.store],
    sourceAnnotations: options.sources.flatMap(s => s.annotations ?? []),
    logger,
    interval: refreshConfig.interval,
    batchSize: refreshConfig.batchSize,
    concurrency: refreshConfig.concurrency,
  });
  const schedules = options.config.getOptionalConfig(
    'imageFreshness.schedules',
  );
  const scanSchedule = readTaskSchedule(schedules, 'scans', SCAN_TASK_SCHEDULE);
  const scans = await createRepositoryScans({
    config: options.config,
    database: options.database,
    logger,
    client,
    hosts,
    resolver,
    platform,
    cacheDuration: config.cacheDuration,
    discoveries: baseImages.store,
    period: scheduleInterval(scanSchedule.frequency),
  });
  const vulnerabilities = await createVulnerabilityScanning({
    scanner: options.scanner,
    settings: config,
    credentials,
    database: options.database,
    logger,
    hosts,
    freshness: store,
    scans: scans.store,
  });

  const reports = new ReportBuilder({
    store,
    maxAge: refreshConfig.maxAge,
    baseImages: baseImages.reports,
    vulnerabilities,
  });
  const overviewIndex = new OverviewIndex({
    store,
    baseStore: baseImages.store,
    reports,
    baseReports: baseImages.reports,
    catalog,
    auth,
    logger,
    maxAge: readOverviewReloadInterval(options.config),
  });
  const refresh: ImageFreshnessFeature = {
    name: 'refresh',
    tasks: [
      {
        id: 'image-freshness-refresh',
        schedule: refreshConfig.schedule,
        // one replica at a time, whatever the configured schedule says
        scope: 'global',
        fn: async signal => {
          await metricsSnapshot.recordRefresh(() => refreshTask.run(signal));
          overviewIndex.invalidate();
        },
      },
    ],
    router: await createRouter({
      httpAuth,
      catalog,
      reports,
      refresher,
      store,
      logger,
    }),
    // which source each cluster was read with, and why
    metrics: kubernetes.metrics,
  };
  const overview: ImageFreshnessFeature = {
    name: 'overview',
    router: createOverviewRouter({ httpAuth, catalog, index: overviewIndex }),
  };
  const metricsRoute: ImageFreshnessFeature = {
    name: 'metrics',
    router: createMetricsRouter({
      collector: metrics,
      snapshot: metricsSnapshot,
      httpAuth,
      public: metricsConfig.public,
    }),
  };
  if (metricsConfig.public) {
    options.httpRouter.addAuthPolicy({
      path: '/metrics',
      allow: 'unauthenticated',
    });
  }
  const repositoryScans: ImageFreshnessFeature = {
    name: 'repository-scans',
    tasks: [
      {
        id: 'image-freshness-scans',
        schedule: scanSchedule,
        scope: 'global',
        fn: signal => scans.task.run(signal).then(() => undefined),
      },
    ],
    router: createScansRouter({
      httpAuth,
      permissions: options.permissions,
      store: scans.store,
      vulnerabilities: vulnerabilities.lookup,
    }),
  };
  const vulnerabilityTask = vulnerabilities.task;
  const vulnerabilitySummaries: ImageFreshnessFeature = {
    name: 'vulnerabilities',
    tasks: vulnerabilityTask
      ? [
          {
            id: 'image-freshness-vulnerabilities',
            schedule: readTaskSchedule(
              schedules,
              'vulnerabilities',
              VULNERABILITY_TASK_SCHEDULE,
            ),
            scope: 'global',
            fn: signal => vulnerabilityTask.run(signal).then(() => undefined),
          },
        ]
      : [],
    router: createVulnerabilitiesRouter({
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
    metrics: vulnerabilities.metrics.registry,
  };

  const context: ImageFreshnessFeatureContext = {
    checkHost: host => hosts.check(host),
    checkAddress: (host, address) => hosts.checkAddress(host, address),
    resolveHost: hostname => hosts.resolve(hostname),
    credentials,
    isInsecure: registry => isInsecureRegistry(config, registry),
    baseImages: baseImageFacts({
      store: baseImages.store,
      config: readBaseImagesConfig(options.config),
    }),
    reports: {
      listEntityRefs: () => store.listEntityRefs(),
      build: entity => reports.build(entity),
    },
  };
  return {
    features: [
      refresh,
      overview,
      metricsRoute,
      repositoryScans,
      vulnerabilitySummaries,
    ],
    context,
    metrics,
  };
}
