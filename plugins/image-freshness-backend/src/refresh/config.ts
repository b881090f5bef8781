import {
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { readDuration } from 'backstage-plugin-image-freshness-node';
import { Duration } from 'luxon';

/** When the refresh runs, and the age limit its reports judge by. */
export interface RefreshConfig {
  schedule: SchedulerServiceTaskScheduleDefinition;
  maxAge: Duration;
}

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 15 },
};

/** Reads `imageFreshness.schedule` and `.maxAge`; throws on values it cannot use. */
export function readRefreshConfig(root: Config): RefreshConfig {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  return {
    schedule: config.has('schedule')
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
          config.getConfig('schedule'),
        )
      : DEFAULT_SCHEDULE,
    maxAge: readDuration(config, 'maxAge', '30d', 'imageFreshness'),
  };
}
