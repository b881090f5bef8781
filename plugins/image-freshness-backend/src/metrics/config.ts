import { Config } from '@backstage/config';
import { parseDuration } from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import { readDuration } from 'backstage-plugin-image-freshness-node';

/** `imageFreshness.metrics`, read and checked once at start-up. */
export interface MetricsConfig {
  /** Serve `/metrics` without credentials. */
  public: boolean;
  /** Image label keys exported besides `org.opencontainers.image.*` (exact, or a prefix ending in `*`). */
  labelKeys: string[];
  /** Manifest annotation keys exported besides `org.opencontainers.image.*`. */
  annotationKeys: string[];
  /** Longer label and annotation values are cut to this many characters. */
  maxValueLength: number;
  /** Series from the store beyond this count are dropped (and counted). */
  maxSeries: number;
  /** How old the snapshot a scrape renders may get before it is reloaded from the store. */
  reloadInterval: Duration;
}

export const METRICS_DEFAULTS = {
  maxValueLength: 256,
  maxSeries: 200_000,
  reloadInterval: '1m',
};

function positiveInteger(config: Config, key: string, fallback: number) {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `Invalid imageFreshness.metrics.${key} ${value}: use a whole number of at least 1`,
    );
  }
  return value;
}

function keys(config: Config, key: string): string[] {
  const list = config.getOptionalStringArray(key) ?? [];
  for (const entry of list) {
    if (!entry.trim() || (entry.includes('*') && !/^[^*]*\*$/.test(entry))) {
      throw new Error(
        `Invalid imageFreshness.metrics.${key} entry ${JSON.stringify(
          entry,
        )}: use an exact key or a prefix ending in *`,
      );
    }
  }
  return list;
}

/** Reads `imageFreshness.metrics` from the app config; throws on values it cannot use. */
export function readMetricsConfig(root: Config): MetricsConfig {
  const config = root.getOptionalConfig('imageFreshness.metrics');
  if (!config) {
    return {
      public: false,
      labelKeys: [],
      annotationKeys: [],
      maxValueLength: METRICS_DEFAULTS.maxValueLength,
      maxSeries: METRICS_DEFAULTS.maxSeries,
      reloadInterval: parseDuration(METRICS_DEFAULTS.reloadInterval),
    };
  }
  return {
    public: config.getOptionalBoolean('public') ?? false,
    labelKeys: keys(config, 'labelKeys'),
    annotationKeys: keys(config, 'annotationKeys'),
    maxValueLength: positiveInteger(
      config,
      'maxValueLength',
      METRICS_DEFAULTS.maxValueLength,
    ),
    maxSeries: positiveInteger(config, 'maxSeries', METRICS_DEFAULTS.maxSeries),
    reloadInterval: readDuration(
      config,
      'reloadInterval',
      METRICS_DEFAULTS.reloadInterval,
      'imageFreshness.metrics',
    ),
  };
}

const MAX_REMEMBERED_KEYS = 10_000;

/** The prefix every image's standard keys share; always exported. */
export const OCI_KEY_PREFIX = 'org.opencontainers.image.';

/**
 * A key allow-list: every `org.opencontainers.image.*` key, plus `configured`
 * entries (exact keys, prefixes ending in `*`, or `*` for every key).
 */
export function createKeyFilter(
  configured: string[],
): (key: string) => boolean {
  const exact = new Set<string>();
  const prefixes = [OCI_KEY_PREFIX];
  for (const entry of configured) {
    if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  // Images repeat the same few keys: remember each answer (a bounded number).
  const answers = new Map<string, boolean>();
  return key => {
    let allowed = answers.get(key);
    if (allowed === undefined) {
      allowed = exact.has(key) || prefixes.some(p => key.startsWith(p));
      if (answers.size >= MAX_REMEMBERED_KEYS) answers.clear();
      answers.set(key, allowed);
    }
    return allowed;
  };
}
