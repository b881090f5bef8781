import { Config, ConfigReader } from '@backstage/config';
import { Duration } from 'luxon';
import os from 'node:os';
import { parseReference, RegistryCredentials } from 'oci-client';
import {
  readCredentials,
  readDuration,
} from 'backstage-plugin-image-freshness-node';

/** The checks a probe can run, in the order they run. */
export const CHECK_TYPES = [
  'pull',
  'push',
  'metadata',
  'authentication',
] as const;

export type CheckType = (typeof CHECK_TYPES)[number];

/** One registry health probe, read from `imageFreshness.healthProbes[]`. */
export interface HealthProbeConfig {
  /** The `tested_registry` label; default the registry host. */
  name: string;
  /** Registry host as in image references, e.g. quay.io or 127.0.0.1:5000. */
  registry: string;
  /** Repository on that registry the probe may write to, e.g. `acme/registry-probe`. */
  repository: string;
  credentials?: RegistryCredentials;
  insecure?: boolean;
  checks: CheckType[];
  interval: Duration;
  /** Per check attempt. */
  timeout: Duration;
  /** Retries of a failed attempt (TIMEOUT, SERVER_ERROR, RATE_LIMITED, UNKNOWN). */
  retries: number;
  /** The first backoff delay; it doubles with each retry. */
  retryDelay: Duration;
  /** The `node` label. */
  node: string;
  /** The known tag the pull check reads (and re-creates when missing). */
  pullTag: string;
  /** Size of each generated artifact, in bytes. */
  artifactBytes: number;
}

export const DEFAULT_ARTIFACT_BYTES = 1024 * 1024;
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
const MAX_RETRIES = 10;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function readProbe(
  config: Config,
  index: number,
  defaultNode: string,
): HealthProbeConfig {
  const where = `imageFreshness.healthProbes[${index}]`;
  const registry = config.getString('registry');
  const repository = config.getString('repository');
  let parsed;
  try {
    parsed = parseReference(`${registry}/${repository}`);
  } catch (error) {
    throw new Error(
      `Invalid ${where}: ${registry}/${repository} is not a repository: ${
        (error as Error).message
      }`,
    );
  }
  if (parsed.registry !== registry) {
    throw new Error(
      `Invalid ${where}.registry ${JSON.stringify(
        registry,
      )}: use a registry host as written in image references, such as quay.io or 127.0.0.1:5000`,
    );
  }
  if (repository.includes(':') || repository.includes('@')) {
    throw new Error(
      `Invalid ${where}.repository ${JSON.stringify(
        repository,
      )}: name the repository without a tag or digest`,
    );
  }
  const checks = (config.getOptionalStringArray('checks') ?? [
    ...CHECK_TYPES,
  ]) as CheckType[];
  for (const check of checks) {
    if (!CHECK_TYPES.includes(check)) {
      throw new Error(
        `Invalid ${where}.checks entry ${JSON.stringify(
          check,
        )}: use ${CHECK_TYPES.join(', ')}`,
      );
    }
  }
  const retries = config.getOptionalNumber('retries') ?? 5;
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    throw new Error(
      `Invalid ${where}.retries ${retries}: use a whole number from 0 to ${MAX_RETRIES}`,
    );
  }
  const pullTag = config.getOptionalString('pullTag') ?? 'pull';
  if (!TAG.test(pullTag)) {
    throw new Error(
      `Invalid ${where}.pullTag ${JSON.stringify(pullTag)}: not a valid tag`,
    );
  }
  const artifactBytes =
    config.getOptionalNumber('artifactBytes') ?? DEFAULT_ARTIFACT_BYTES;
  if (
    !Number.isInteger(artifactBytes) ||
    artifactBytes < 256 ||
    artifactBytes > MAX_ARTIFACT_BYTES
  ) {
    throw new Error(
      `Invalid ${where}.artifactBytes ${artifactBytes}: use a whole number from 256 to ${MAX_ARTIFACT_BYTES}`,
    );
  }
  const interval = readDuration(config, 'interval', '5m', where);
  const timeout = readDuration(config, 'timeout', '35s', where);
  if (timeout.toMillis() <= 0 || interval.toMillis() <= 0) {
    throw new Error(`${where}.interval and .timeout must be longer than 0`);
  }
  return {
    name: config.getOptionalString('name') ?? registry,
    registry,
    repository: parsed.repository,
    credentials: readCredentials(config, `${where}.credentials`),
    insecure: config.getOptionalBoolean('insecure'),
    checks: CHECK_TYPES.filter(c => checks.includes(c)),
    interval,
    timeout,
    retries,
    retryDelay: readDuration(config, 'retryDelay', '1s', where),
    node: config.getOptionalString('node') ?? defaultNode,
    pullTag,
    artifactBytes,
  };
}

/**
 * Reads `imageFreshness.healthProbes`. The `node` label defaults to the
 * `NODE_NAME` environment variable (the Kubernetes node, through the downward
 * API), else the host name.
 */
export function readHealthProbesConfig(
  root: Config,
  options: { env?: NodeJS.ProcessEnv } = {},
): HealthProbeConfig[] {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  const env = options.env ?? process.env;
  const defaultNode = env.NODE_NAME || os.hostname();
  const probes = (config.getOptionalConfigArray('healthProbes') ?? []).map(
    (probe, i) => readProbe(probe, i, defaultNode),
  );
  const names = new Set<string>();
  for (const probe of probes) {
    if (names.has(probe.name)) {
      throw new Error(
        `imageFreshness.healthProbes: two probes are named ${JSON.stringify(
          probe.name,
        )} (the tested_registry label); give one a distinct name`,
      );
    }
    names.add(probe.name);
  }
  return probes;
}
