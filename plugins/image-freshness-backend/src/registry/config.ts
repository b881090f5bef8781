import { Config, ConfigReader } from '@backstage/config';
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

/** How the plugin reaches registries, read and checked once at start-up. */
export interface ImageFreshnessConfig {
  cacheDuration: Duration;
  platform: Platform;
  registries: RegistrySettings[];
  dockerConfigFile?: string;
  /** Hosts or CIDRs exempt from the block list. */
  allowedHosts: string[];
  /** Hosts or CIDRs blocked in addition to loopback, link-local and metadata services. */
  blockedHosts: string[];
}

/** Reads the registry settings of `imageFreshness`; throws on values it cannot use. */
export function readImageFreshnessConfig(root: Config): ImageFreshnessConfig {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  const platformText = config.getOptionalString('platform') ?? 'linux/amd64';
  return {
    cacheDuration: readDuration(
      config,
      'cacheDuration',
      '1h',
      'imageFreshness',
    ),
    platform: parsePlatform(platformText),
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
