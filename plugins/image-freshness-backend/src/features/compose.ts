import type {
  HttpRouterService,
  LifecycleService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { ImageFreshnessFeature } from 'backstage-plugin-image-freshness-node';
import type { MetricsCollector } from '../metrics';
import { releaseOnShutdown } from '../lib/releaseOnShutdown';

/**
 * Installs features, built-in and from modules, one shape for all: schedules
 * their tasks (a `global` task hands its claim back when the backend stops
 * mid-run; none on a replica with `globalTasks` false), mounts their routers,
 * renders their metrics on `/metrics`, and calls their shutdown at the end.
 */
export async function installFeatures(options: {
  features: readonly ImageFreshnessFeature[];
  scheduler: SchedulerService;
  httpRouter: HttpRouterService;
  lifecycle: LifecycleService;
  logger: LoggerService;
  metrics: Pick<MetricsCollector, 'addLiveRegistry'>;
  /**
   * Whether this replica takes part in the `global` tasks (the refresh, the
   * scans, modules' global tasks); `local` ones run on every replica.
   */
  globalTasks?: boolean;
}): Promise<void> {
  const { scheduler, httpRouter, lifecycle, logger, metrics } = options;
  const globalTasks = options.globalTasks ?? true;
  const skipped: string[] = [];
  for (const feature of options.features) {
    for (const task of feature.tasks ?? []) {
      if (task.scope === 'global' && !globalTasks) {
        skipped.push(task.id);
        continue;
      }
      await scheduler.scheduleTask({
        id: task.id,
        ...task.schedule,
        // After the schedule, which may carry a scope of its own: the
        // feature decides whether one replica or every replica runs it.
        scope: task.scope,
        fn:
          task.scope === 'global'
            ? releaseOnShutdown({
                taskId: task.id,
                scheduler,
                lifecycle,
                logger,
                fn: signal => task.fn(signal),
              })
            : signal => task.fn(signal),
      });
    }
    if (feature.router) httpRouter.use(feature.router);
    if (feature.metrics) metrics.addLiveRegistry(feature.metrics);
    const shutdown = feature.shutdown?.bind(feature);
    if (shutdown) lifecycle.addShutdownHook(() => shutdown());
  }
  logger.info('Image freshness features installed', {
    features: options.features.map(f => f.name).join(', '),
  });
  if (skipped.length) {
    logger.info(
      'Image freshness global tasks are off on this replica (imageFreshness.globalTasks: false): another replica must run them',
      { tasks: skipped.join(', ') },
    );
  }
}
