import { Config, ConfigReader } from '@backstage/config';
import type { TrackingStrategy } from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import {
  BaseImagesConfig,
  readBaseImagesConfig,
  TrackingPolicy,
} from '../baseImages/config';
import { readDuration } from 'backstage-plugin-image-freshness-node';

/** How a scan orders the tags it keeps. */
export type ScanSort = 'semver' | 'lexical' | 'newest-build';

/** Scan sort → tracking strategy: the same ordering under two names. */
const STRATEGY_OF_SORT: Record<ScanSort, TrackingStrategy> = {
  semver: 'SemVer',
  lexical: 'Lexical',
  'newest-build': 'NewestBuild',
};
const SORTS = Object.keys(STRATEGY_OF_SORT) as ScanSort[];

/**
 * One repository to scan. Its filter, sort and limit are a base-image
 * tracking policy (`policy`: repository, constraint, allowTags = include,
 * ignoreTags = exclude, discoveryLimit = limit, key): tags are filtered and
 * sorted by TagDiscovery's own functions, and a base image's scan is stored
 * as that policy's tag discovery.
 */
export interface ScanTarget {
  /** `config` (`imageFreshness.scans`) or `base-image` (a tracking policy's repository). */
  source: 'config' | 'base-image';
  sort: ScanSort;
  policy: TrackingPolicy;
  /** How long a scan result is trusted before the repository is scanned again. */
  interval: Duration;
  /** Tag reads at once within this scan. */
  concurrency: number;
}

/** The settings of a scan as the API shows them. */
export interface ScanSettings {
  sort: ScanSort;
  constraint?: string;
  include: string[];
  exclude: string[];
  limit: number;
}

/** `imageFreshness.scans` and the repositories of base images under a tracking policy. */
export interface ScansConfig {
  targets: ScanTarget[];
}

export const DEFAULT_SCAN_INTERVAL = '1h';
export const DEFAULT_SCAN_CONCURRENCY = 4;

/** The settings of a target, as stored and served. */
export function scanSettings(target: ScanTarget): ScanSettings {
  const { policy } = target;
  return {
    sort: target.sort,
    constraint: policy.constraint,
    include: policy.allowTags.map(r => r.source),
    exclude: policy.ignoreTags.map(r => r.source),
    limit: policy.discoveryLimit,
  };
}

/** The base-image reader's names for a scan's settings, for its error messages. */
const RENAMED: Array<[RegExp, string]> = [
  [/\.allowTags\b/g, '.include'],
  [/\.ignoreTags\b/g, '.exclude'],
  [/\.discoveryLimit\b/g, '.limit'],
  [/the SemVer strategy, not \w+/g, 'sort: semver'],
];

/**
 * Reads one `imageFreshness.scans[]` entry. Its filter is checked by the
 * base-image tracking reader (regexes, semver range, limit: one set of
 * rules), as the tracking policy it is.
 */
function readTarget(config: Config, index: number): ScanTarget {
  const where = `imageFreshness.scans[${index}]`;
  const sort = config.getString('sort') as ScanSort;
  if (!SORTS.includes(sort)) {
    throw new Error(
      `Invalid ${where}.sort ${JSON.stringify(sort)}: use one of ${SORTS.join(
        ', ',
      )}`,
    );
  }
  let policy: TrackingPolicy;
  try {
    [policy] = readBaseImagesConfig(
      new ConfigReader({
        imageFreshness: {
          baseImages: {
            tracking: [
              {
                repository: config.getString('repository'),
                strategy: STRATEGY_OF_SORT[sort],
                constraint: config.getOptionalString('constraint'),
                allowTags: config.getOptionalStringArray('include'),
                ignoreTags: config.getOptionalStringArray('exclude'),
                discoveryLimit: config.getOptionalNumber('limit'),
              },
            ],
          },
        },
      }),
    ).tracking;
  } catch (error) {
    throw new Error(
      RENAMED.reduce(
        (message, [from, to]) => message.replace(from, to),
        (error as Error).message.replaceAll(
          'imageFreshness.baseImages.tracking[0]',
          where,
        ),
      ),
    );
  }
  const concurrency =
    config.getOptionalNumber('concurrency') ?? DEFAULT_SCAN_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(
      `Invalid ${where}.concurrency ${concurrency}: use a whole number of at least 1`,
    );
  }
  return {
    source: 'config',
    sort,
    policy,
    interval: readDuration(config, 'interval', DEFAULT_SCAN_INTERVAL, where),
    concurrency,
  };
}

/**
 * Reads `imageFreshness.scans` and adds the repository of every base-image
 * tracking policy that lists tags (the first policy per repository, as the
 * tracker picks it), scanned every `baseImageInterval` (the plugin's
 * `cacheDuration`: as long as TagDiscovery trusts a discovery). A scan
 * configured with the same settings as a tracked base is scanned once, as
 * the base.
 */
export function readScansConfig(
  root: Config,
  options: { baseImages: BaseImagesConfig; baseImageInterval: Duration },
): ScansConfig {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  const configured = (config.getOptionalConfigArray('scans') ?? []).map(
    readTarget,
  );
  const bases: ScanTarget[] = [];
  const tracked = new Set<string>();
  for (const policy of options.baseImages.tracking) {
    if (tracked.has(policy.repository)) continue;
    tracked.add(policy.repository);
    const sort = SORTS.find(s => STRATEGY_OF_SORT[s] === policy.strategy);
    if (!sort) continue; // Digest: no tags to list
    bases.push({
      source: 'base-image',
      sort,
      policy,
      interval: options.baseImageInterval,
      concurrency: DEFAULT_SCAN_CONCURRENCY,
    });
  }
  const targets: ScanTarget[] = [];
  const seen = new Set<string>();
  for (const target of [...bases, ...configured]) {
    const id = `${target.policy.repository}|${target.policy.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    targets.push(target);
  }
  return { targets };
}
