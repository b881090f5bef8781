import type { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  readDuration,
  readTaskSchedule,
} from 'backstage-plugin-image-freshness-node';
import type { Duration } from 'luxon';

/** `imageFreshness.rebuild`, read once. */
export interface RebuildConfig {
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** The first retry's delay after a failure; doubled per try. */
  minRetryDelay: Duration;
  /** The longest delay between retries. */
  maxRetryDelay: Duration;
  /** A claimed try without a recorded answer after this is `unknown`, and retried after a backoff step. */
  unknownOutcomeAfter: Duration;
  /** Ask GitHub for the run's id and URL (`return_run_details`). */
  returnRunDetails: boolean;
}

const WHERE = 'imageFreshness.rebuild';

/** Reads `imageFreshness.rebuild`: undefined when absent (the module stays off). */
export function readRebuildConfig(root: Config): RebuildConfig | undefined {
  const config = root.getOptionalConfig(WHERE);
  if (!config) return undefined;
  const minRetryDelay = readDuration(config, 'minRetryDelay', '5m', WHERE);
  const maxRetryDelay = readDuration(config, 'maxRetryDelay', '6h', WHERE);
  if (maxRetryDelay.toMillis() < minRetryDelay.toMillis()) {
    throw new Error(
      `Invalid ${WHERE}.maxRetryDelay: it is shorter than minRetryDelay (${minRetryDelay.toISO()})`,
    );
  }
  return {
    schedule: readTaskSchedule(config, 'schedule', {
      frequency: { minutes: 5 },
      timeout: { minutes: 5 },
      initialDelay: { minutes: 1 },
    }),
    minRetryDelay,
    maxRetryDelay,
    unknownOutcomeAfter: readDuration(
      config,
      'unknownOutcomeAfter',
      '15m',
      WHERE,
    ),
    returnRunDetails:
      config.getOptionalBoolean('github.returnRunDetails') ?? true,
  };
}
