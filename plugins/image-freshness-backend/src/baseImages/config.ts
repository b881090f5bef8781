import { Config, ConfigReader } from '@backstage/config';
import {
  DEFAULT_REBUILD_DELAY,
  TrackingStrategy,
} from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import { createHash } from 'node:crypto';
import { parseReference } from 'oci-client';
import semver from 'semver';
import { readDuration } from 'backstage-plugin-image-freshness-node';

const STRATEGIES: TrackingStrategy[] = [
  'SemVer',
  'Lexical',
  'NewestBuild',
  'Digest',
];

/** How many candidate tags a policy keeps (and NewestBuild inspects) unless it says otherwise. */
export const DEFAULT_DISCOVERY_LIMIT = 20;

/** How newer versions of one base repository are looked for. */
export interface TrackingPolicy {
  /** `registry/repository`, normalised (`node` gets the default registry and `library/`). */
  repository: string;
  strategy: TrackingStrategy;
  /** SemVer only: a semver range such as `^22`. */
  constraint?: string;
  /** A tag is a candidate when it matches one of these (or the list is empty)... */
  allowTags: RegExp[];
  /** ...and none of these. */
  ignoreTags: RegExp[];
  /** At most this many candidate tags are kept; NewestBuild inspects at most this many. */
  discoveryLimit: number;
  /** Stable identity of the policy's settings, for cached discoveries. */
  key: string;
}

/** `imageFreshness.baseImages` and `imageFreshness.rebuildDelay`, read once. */
export interface BaseImagesConfig {
  /** How long a base update may wait before a rebuild is due (default 7 days). */
  rebuildDelay: Duration;
  tracking: TrackingPolicy[];
}

/** `registry/repository` of a reference or repository name, normalised as image references are. */
export function repositoryKey(reference: string): string {
  const ref = parseReference(reference);
  return `${ref.registry}/${ref.repository}`;
}

function readRegexes(config: Config, key: string, where: string): RegExp[] {
  return (config.getOptionalStringArray(key) ?? []).map((source, i) => {
    try {
      return new RegExp(source);
    } catch (error) {
      throw new Error(
        `Invalid regular expression at ${where}.${key}[${i}] ${JSON.stringify(
          source,
        )}: ${(error as Error).message}`,
      );
    }
  });
}

function readPolicy(config: Config, index: number): TrackingPolicy {
  const where = `imageFreshness.baseImages.tracking[${index}]`;
  const repositoryText = config.getString('repository');
  let repository: string;
  try {
    repository = repositoryKey(repositoryText);
  } catch (error) {
    throw new Error(
      `Invalid ${where}.repository ${JSON.stringify(repositoryText)}: ${
        (error as Error).message
      }`,
    );
  }
  const strategy = config.getString('strategy') as TrackingStrategy;
  if (!STRATEGIES.includes(strategy)) {
    throw new Error(
      `Invalid ${where}.strategy ${JSON.stringify(
        strategy,
      )}: use one of ${STRATEGIES.join(', ')}`,
    );
  }
  const constraint = config.getOptionalString('constraint');
  if (constraint !== undefined) {
    if (strategy !== 'SemVer') {
      throw new Error(
        `${where}.constraint is only used by the SemVer strategy, not ${strategy}`,
      );
    }
    if (semver.validRange(constraint) === null) {
      throw new Error(
        `Invalid ${where}.constraint ${JSON.stringify(
          constraint,
        )}: use a semver range such as ^22 or >=1.4 <2`,
      );
    }
  }
  const discoveryLimit =
    config.getOptionalNumber('discoveryLimit') ?? DEFAULT_DISCOVERY_LIMIT;
  if (!Number.isInteger(discoveryLimit) || discoveryLimit < 1) {
    throw new Error(
      `Invalid ${where}.discoveryLimit ${discoveryLimit}: use a whole number of at least 1`,
    );
  }
  const allowTags = readRegexes(config, 'allowTags', where);
  const ignoreTags = readRegexes(config, 'ignoreTags', where);
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        strategy,
        constraint ?? null,
        allowTags.map(r => r.source),
        ignoreTags.map(r => r.source),
        discoveryLimit,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  return {
    repository,
    strategy,
    constraint,
    allowTags,
    ignoreTags,
    discoveryLimit,
    key,
  };
}

/**
 * Reads `imageFreshness.baseImages` and `imageFreshness.rebuildDelay` from the
 * root config; throws an error naming the key on values it cannot use.
 */
export function readBaseImagesConfig(root: Config): BaseImagesConfig {
  const config =
    root.getOptionalConfig('imageFreshness') ?? new ConfigReader({});
  return {
    rebuildDelay: readDuration(
      config,
      'rebuildDelay',
      DEFAULT_REBUILD_DELAY,
      'imageFreshness',
    ),
    tracking: (config.getOptionalConfigArray('baseImages.tracking') ?? []).map(
      readPolicy,
    ),
  };
}

/** The default policy: report when the tag's digest moves, list no tags. */
export function digestPolicy(repository: string): TrackingPolicy {
  return {
    repository,
    strategy: 'Digest',
    allowTags: [],
    ignoreTags: [],
    discoveryLimit: DEFAULT_DISCOVERY_LIMIT,
    key: 'digest',
  };
}

/** The policy for a base repository (`registry/repository`): the first that matches, else Digest. */
export function trackingPolicyFor(
  config: BaseImagesConfig,
  repository: string,
): TrackingPolicy {
  return (
    config.tracking.find(p => p.repository === repository) ??
    digestPolicy(repository)
  );
}
