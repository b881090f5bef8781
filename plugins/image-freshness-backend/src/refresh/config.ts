import {
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { readDuration } from 'backstage-plugin-image-freshness-node';
import { Duration } from 'luxon';
import { scheduleInterval } from '../lib/workLoop';

/** When the refresh runs, how much one run does, and the age limit its reports judge by. */
export interface RefreshConfig {
  schedule: SchedulerServiceTaskScheduleDefinition;
  /**
   * How often each entity is refreshed: the schedule's frequency; zero for a
   * cron or manually triggered schedule (every run refreshes every entity).
   */
  interval: Duration;
  /** The most entities one run refreshes (due ones, never refreshed first, then the oldest). */
  batchSize: number;
  /** How many entities a run refreshes at once. */
  concurrency: number;
  maxAge: Duration;
}

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 15 },
};

/** Large enough that a normal catalog is refreshed whole at every run. */
export const DEFAULT_REFRESH_BATCH_SIZE = 10_000;

/**
 * Entities refreshed at once. Enough to keep a registry's request slots
 * (`maxConcurrency`, 8 by default) busy while other entities are written,
 * few enough that the per-entity workloads query (13 requests per cluster
 * each) does not flood a cluster.
 */
export const DEFAULT_REFRESH_CONCURRENCY = 16;

/** A whole number at least 1 at `key` of `imageFreshness`, or `fallback`. */
function positiveInteger(
  config: Config,
  key: string,
  fallback: number,
  what: string,
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `imageFreshness.${key} must be a whole number of ${what}, at least 1; got ${value}`,
    );
  }
  return value;
}

/**
 * Reads `imageFreshness.schedule`, `.refresh.batchSize`, `.refresh.concurrency`
 * and `.maxAge`;
 * throws on values it cannot use.
 */
export function readRefreshConfig(root: Config): RefreshConfig {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  const schedule = config.has('schedule')
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig('schedule'),
      )
    : DEFAULT_SCHEDULE;
  const batchSize = positiveInteger(
    config,
    'refresh.batchSize',
    DEFAULT_REFRESH_BATCH_SIZE,
    'entities',
  );
  const concurrency = positiveInteger(
    config,
    'refresh.concurrency',
    DEFAULT_REFRESH_CONCURRENCY,
    'entities',
  );
  return {
    schedule,
    interval: scheduleInterval(schedule.frequency) ?? Duration.fromMillis(0),
    batchSize,
    concurrency,
    maxAge: readDuration(config, 'maxAge', '30d', 'imageFreshness'),
  };
}
