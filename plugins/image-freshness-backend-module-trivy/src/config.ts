import { Config, ConfigReader } from '@backstage/config';
import { Duration } from 'luxon';
import {
  readDuration,
  VULNERABILITY_SEVERITIES,
  type VulnerabilitySeverity,
} from 'backstage-plugin-image-freshness-node';

/** The severities Trivy reports, most severe first. */
export const SEVERITIES = VULNERABILITY_SEVERITIES;

export type Severity = VulnerabilitySeverity;

/** `imageFreshness.trivy`, read once. */
export interface TrivyConfig {
  /** The configured binary (a path, or a name looked up on the PATH); undefined: `trivy` on the PATH. */
  path?: string;
  /** The severities counted (and asked of Trivy). */
  severities: Severity[];
  /** How long one image scan may take before it is killed and skipped. */
  timeout: Duration;
  /** How long a digest's counts are trusted before it is scanned again. */
  rescanInterval: Duration;
  /** Extra arguments for `trivy image`, e.g. `--cache-dir`, `--server`, `--skip-db-update`. */
  args: string[];
}

export const DEFAULT_SEVERITIES: Severity[] = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
];

/** Reads `imageFreshness.trivy`; throws an error naming the key on values it cannot use. */
export function readTrivyConfig(root: Config): TrivyConfig {
  const config =
    root.getOptionalConfig('imageFreshness.trivy') ?? new ConfigReader({});
  const severities = (
    config.getOptionalStringArray('severities') ?? DEFAULT_SEVERITIES
  ).map(s => s.toUpperCase());
  for (const severity of severities) {
    if (!(SEVERITIES as readonly string[]).includes(severity)) {
      throw new Error(
        `Invalid imageFreshness.trivy.severities entry ${JSON.stringify(
          severity,
        )}: use ${SEVERITIES.join(', ')}`,
      );
    }
  }
  if (severities.length === 0) {
    throw new Error(
      'imageFreshness.trivy.severities is empty: list at least one severity',
    );
  }
  return {
    path: config.getOptionalString('path'),
    severities: SEVERITIES.filter(s => severities.includes(s)),
    timeout: readDuration(config, 'timeout', '5m', 'imageFreshness.trivy'),
    rescanInterval: readDuration(
      config,
      'rescanInterval',
      '24h',
      'imageFreshness.trivy',
    ),
    args: config.getOptionalStringArray('args') ?? [],
  };
}
