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
 * Reads `imageFreshness.schedule`, `.refresh.batchSize` and `.maxAge`;
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
  const batchSize =
    config.getOptionalNumber('refresh.batchSize') ?? DEFAULT_REFRESH_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(
      `imageFreshness.refresh.batchSize must be a whole number of entities, at least 1; got ${batchSize}`,
    );
  }
  return {
    schedule,
    interval: scheduleInterval(schedule.frequency) ?? Duration.fromMillis(0),
    batchSize,
    maxAge: readDuration(config, 'maxAge', '30d', 'imageFreshness'),
  };
}
