import type {
  LifecycleService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';

/**
 * Wraps the function of a global scheduled task so that a run this replica
 * has not finished when it shuts down gives its claim back at once (the
 * scheduler's `cancelTask`): another replica takes the schedule over at its
 * next due time, instead of after the task's timeout and the scheduler's
 * janitor (up to `timeout` plus a minute; ten minutes and more by default).
 * Only a run of this replica's own is cancelled: the claim is ours while our
 * function runs.
 */
export function releaseOnShutdown(options: {
  taskId: string;
  scheduler: Pick<SchedulerService, 'cancelTask'>;
  lifecycle: Pick<LifecycleService, 'addShutdownHook'>;
  logger: LoggerService;
  fn: (abortSignal: AbortSignal) => Promise<unknown>;
}): SchedulerServiceTaskFunction {
  const { taskId, scheduler, lifecycle, logger, fn } = options;
  let running = 0;
  lifecycle.addShutdownHook(async () => {
    if (running === 0) return;
    try {
      await scheduler.cancelTask(taskId);
      logger.info('Released a scheduled run cut short by shutdown', {
        taskId,
      });
    } catch (error) {
      logger.warn('Could not release a scheduled run cut short by shutdown', {
        taskId,
        error: String(error),
      });
    }
  });
  return async (abortSignal: AbortSignal) => {
    running += 1;
    try {
      await fn(abortSignal);
    } finally {
      running -= 1;
    }
  };
}
