import { Config, ConfigReader } from '@backstage/config';
import {
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import {
  readCredentials,
  readDuration,
} from 'backstage-plugin-image-freshness-node';
import { Duration } from 'luxon';
import { parsePlatform, Platform, RegistryCredentials } from 'oci-client';

/** Settings for one registry host. */
export interface RegistrySettings {
  host: string;
  credentials?: RegistryCredentials;
  insecure?: boolean;
  maxConcurrency?: number;
  requestsPerSecond?: number;
  timeout: Duration;
}

/** The plugin's configuration, read and checked once at start-up. */
export interface ImageFreshnessConfig {
  schedule: SchedulerServiceTaskScheduleDefinition;
  cacheDuration: Duration;
  platform: Platform;
  maxAge: Duration;
  registries: RegistrySettings[];
  dockerConfigFile?: string;
  /** Hosts or CIDRs exempt from the block list. */
  allowedHosts: string[];
  /** Hosts or CIDRs blocked in addition to loopback, link-local and metadata services. */
  blockedHosts: string[];
}

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 15 },
};

/** Reads `imageFreshness` from the app config; throws on values it cannot use. */
export function readImageFreshnessConfig(root: Config): ImageFreshnessConfig {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  const schedule = config.has('schedule')
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig('schedule'),
      )
    : DEFAULT_SCHEDULE;
  const platformText = config.getOptionalString('platform') ?? 'linux/amd64';
  return {
    schedule,
    cacheDuration: readDuration(
      config,
      'cacheDuration',
      '1h',
      'imageFreshness',
    ),
    platform: parsePlatform(platformText),
    maxAge: readDuration(config, 'maxAge', '30d', 'imageFreshness'),
    allowedHosts: config.getOptionalStringArray('allowedHosts') ?? [],
    blockedHosts: config.getOptionalStringArray('blockedHosts') ?? [],
    dockerConfigFile: config.getOptionalString('dockerConfigFile'),
    registries: (config.getOptionalConfigArray('registries') ?? []).map(r => ({
      host: r.getString('host'),
      credentials: readCredentials(
        r,
        `imageFreshness.registries: the credentials of ${r.getString('host')}`,
      ),
      insecure: r.getOptionalBoolean('insecure'),
      maxConcurrency: r.getOptionalNumber('maxConcurrency'),
      requestsPerSecond: r.getOptionalNumber('requestsPerSecond'),
      timeout: readDuration(r, 'timeout', '30s', 'imageFreshness'),
    })),
  };
}
