import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  type SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { parseDuration } from 'backstage-plugin-image-freshness-common';
import type { Duration } from 'luxon';
import type { RegistryCredentials } from 'oci-client';

/*
 * Config readers every part of the plugin family uses, so that the core and
 * its modules read durations, credentials and schedules the same way and
 * name the key in the same kind of error.
 */

/**
 * Reads the duration at `key` (a HumanDuration or a string such as `7d`),
 * else `fallback`; `where` names the key's parent in the error.
 *
 * @public
 */
export function readDuration(
  config: Config,
  key: string,
  fallback: string,
  where: string,
): Duration {
  return parseDuration(
    (config.getOptional(key) ?? fallback) as Parameters<
      typeof parseDuration
    >[0],
    `${where}.${key}`,
  );
}

/**
 * Reads the `credentials` under `config` (a registry's, a health probe's): a
 * token, or a username and a password; none when absent. `subject` names
 * them in the error for anything else.
 *
 * @public
 */
export function readCredentials(
  config: Config,
  subject: string,
): RegistryCredentials | undefined {
  const credentials = config.getOptionalConfig('credentials');
  if (!credentials) {
    return undefined;
  }
  const token = credentials.getOptionalString('token');
  if (token) {
    return { token };
  }
  const username = credentials.getOptionalString('username');
  const password = credentials.getOptionalString('password');
  if (username && password) {
    return { username, password };
  }
  throw new Error(`${subject} need a token, or a username and a password`);
}

/**
 * The schedule at `key` of `config` (Backstage's schedule shape: frequency,
 * timeout, initialDelay as HumanDurations, cron or ISO strings), else
 * `fallback`.
 *
 * @public
 */
export function readTaskSchedule(
  config: Config | undefined,
  key: string,
  fallback: SchedulerServiceTaskScheduleDefinition,
): SchedulerServiceTaskScheduleDefinition {
  const section = config?.getOptionalConfig(key);
  if (!section) return fallback;
  const read = readSchedulerServiceTaskScheduleDefinitionFromConfig(section);
  // Backstage's reader always returns a `scope` key; the feature decides it.
  const { scope: _scope, ...schedule } = read;
  return schedule;
}
