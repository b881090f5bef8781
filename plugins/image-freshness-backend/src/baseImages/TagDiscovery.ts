import { Duration } from 'luxon';
import { InFlight, OciClient } from 'oci-client';
import semver from 'semver';
import type { HostPolicy } from '../registry/HostPolicy';
import type { ImageResolver } from '../registry/ImageResolver';
import { mapLimit } from '../lib/mapLimit';
import { BaseImageStore, TagCandidate } from './BaseImageStore';
import type { TrackingPolicy } from './config';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** Lists the tags of a repository (`registry/repository`). */
export interface TagLister {
  listTags(repository: string): Promise<string[]>;
}

/**
 * Tags through oci-client's `listTags` (which follows `Link` pages), after
 * the same host check as every other registry request.
 */
export class OciTagLister implements TagLister {
  private readonly client: Pick<OciClient, 'listTags'>;
  private readonly hosts: Pick<HostPolicy, 'check'>;

  constructor(options: {
    client: Pick<OciClient, 'listTags'>;
    hosts: Pick<HostPolicy, 'check'>;
  }) {
    this.client = options.client;
    this.hosts = options.hosts;
  }

  async listTags(repository: string): Promise<string[]> {
    await this.hosts.check(repository.slice(0, repository.indexOf('/')));
    return this.client.listTags(repository);
  }
}

/** Whether a tag passes the policy's allow and ignore regexes. */
export function isAllowedTag(policy: TrackingPolicy, tag: string): boolean {
  return (
    (policy.allowTags.length === 0 ||
      policy.allowTags.some(r => r.test(tag))) &&
    !policy.ignoreTags.some(r => r.test(tag))
  );
}

const FULL_VERSION = /\d+\.\d+\.\d+/;
const LEADING_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

/**
 * SemVer candidates: allowed tags that carry a full major.minor.patch
 * (`22.11.0-bookworm-slim` counts as 22.11.0; a floating `22-bookworm-slim`
 * does not compete), within the constraint, newest first.
 */
export function semverCandidates(
  policy: TrackingPolicy,
  tags: string[],
): string[] {
  return tags
    .filter(tag => isAllowedTag(policy, tag) && FULL_VERSION.test(tag))
    .map(tag => ({ tag, version: semver.coerce(tag) }))
    .filter(
      (c): c is { tag: string; version: semver.SemVer } =>
        c.version !== null &&
        (!policy.constraint || semver.satisfies(c.version, policy.constraint)),
    )
    .sort(
      (a, b) =>
        semver.rcompare(a.version, b.version) || a.tag.localeCompare(b.tag),
    )
    .map(c => c.tag);
}

/** Lexical candidates: allowed tags, greatest first (as Kargo sorts them). */
export function lexicalCandidates(
  policy: TrackingPolicy,
  tags: string[],
): string[] {
  return tags
    .filter(tag => isAllowedTag(policy, tag))
    .sort()
    .reverse();
}

/**
 * The candidates newer than what an image uses, best first:
 * - SemVer: versions above the tag in use; for a floating tag (`22`,
 *   `22.11-slim`) only versions beyond what it floats over.
 * - Lexical: tags after the tag in use.
 * - NewestBuild: tags built after the built-on base, on another digest.
 * - Digest: none (only the tag's digest is watched).
 * The tag in use must itself pass the policy's regexes to be compared.
 */
export function newerCandidates(options: {
  policy: TrackingPolicy;
  tag?: string;
  candidates: TagCandidate[];
  builtOn?: { digest?: string; created?: string };
}): TagCandidate[] {
  const { policy, tag, candidates, builtOn } = options;
  switch (policy.strategy) {
    case 'SemVer': {
      if (!tag || !isAllowedTag(policy, tag)) return [];
      const current = semver.coerce(tag);
      if (!current) return [];
      // How many version parts the tag in use pins: 22.11.0 (3), 22.11 (2), 22 (1).
      let parts = 1;
      if (FULL_VERSION.test(tag)) parts = 3;
      else if (LEADING_VERSION.exec(tag)?.[2] !== undefined) parts = 2;
      return candidates.filter(c => {
        const version = semver.coerce(c.tag);
        if (!version) return false;
        if (parts === 3) return semver.gt(version, current);
        if (version.major !== current.major) {
          return version.major > current.major;
        }
        return parts === 2 && version.minor > current.minor;
      });
    }
    case 'Lexical':
      if (!tag || !isAllowedTag(policy, tag)) return [];
      return candidates.filter(c => c.tag > tag);
    case 'NewestBuild': {
      const since = builtOn?.created ? Date.parse(builtOn.created) : NaN;
      if (Number.isNaN(since)) return [];
      return candidates.filter(
        c =>
          c.created !== undefined &&
          Date.parse(c.created) > since &&
          c.digest !== builtOn?.digest,
      );
    }
    default:
      return [];
  }
}

/** The outcome of a discovery: the candidates (last good ones on error) and the error. */
export interface DiscoveryResult {
  candidates: TagCandidate[];
  error?: unknown;
}

/**
 * Discovers the best tags of a base repository under its tracking policy,
 * at most once per cache duration per repository and policy (stored, so
 * replicas and restarts share it), remembering when each tag was first seen.
 * NewestBuild reads build times for at most `discoveryLimit` tags (the
 * lexically greatest allowed ones), `concurrency` at a time, through the
 * resolver's caches: a digest's metadata is fetched once, ever.
 */
export class TagDiscovery {
  private readonly tags: TagLister;
  private readonly resolver: Pick<ImageResolver, 'resolve'>;
  private readonly store: BaseImageStore;
  private readonly cacheDuration: Duration;
  private readonly concurrency: number;
  private readonly now: Clock;
  private readonly inFlight = new InFlight<DiscoveryResult>();

  constructor(options: {
    tags: TagLister;
    resolver: Pick<ImageResolver, 'resolve'>;
    store: BaseImageStore;
    cacheDuration: Duration;
    /** NewestBuild's parallel metadata lookups; default 4. */
    concurrency?: number;
    now?: Clock;
  }) {
    this.tags = options.tags;
    this.resolver = options.resolver;
    this.store = options.store;
    this.cacheDuration = options.cacheDuration;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? systemClock;
  }

  /** The policy's candidates for its repository, best first; none for Digest. */
  discover(policy: TrackingPolicy, platform: string): Promise<DiscoveryResult> {
    if (policy.strategy === 'Digest') {
      return Promise.resolve({ candidates: [] });
    }
    return this.inFlight.run(`${policy.repository}|${policy.key}`, () =>
      this.discoverUncached(policy, platform),
    );
  }

  private async discoverUncached(
    policy: TrackingPolicy,
    platform: string,
  ): Promise<DiscoveryResult> {
    const now = this.now();
    const previous = await this.store.getTagDiscovery(
      policy.repository,
      policy.key,
    );
    if (previous && previous.expiresAt > now) {
      return { candidates: previous.candidates };
    }
    try {
      const tags = await this.tags.listTags(policy.repository);
      const firstSeen = new Map(
        (previous?.candidates ?? []).map(c => [c.tag, c.firstSeen]),
      );
      const seen = (tag: string) => firstSeen.get(tag) ?? now.toISOString();
      let candidates: TagCandidate[];
      if (policy.strategy === 'SemVer') {
        candidates = semverCandidates(policy, tags)
          .slice(0, policy.discoveryLimit)
          .map(tag => ({ tag, firstSeen: seen(tag) }));
      } else if (policy.strategy === 'Lexical') {
        candidates = lexicalCandidates(policy, tags)
          .slice(0, policy.discoveryLimit)
          .map(tag => ({ tag, firstSeen: seen(tag) }));
      } else {
        candidates = await this.newestBuilds(policy, tags, platform, seen);
      }
      const jitter = 1 + Math.random() * 0.1;
      await this.store.putTagDiscovery({
        repository: policy.repository,
        policyKey: policy.key,
        candidates,
        checkedAt: now,
        expiresAt: new Date(
          now.getTime() + this.cacheDuration.toMillis() * jitter,
        ),
      });
      return { candidates };
    } catch (error) {
      return { candidates: previous?.candidates ?? [], error };
    }
  }

  private async newestBuilds(
    policy: TrackingPolicy,
    tags: string[],
    platform: string,
    seen: (tag: string) => string,
  ): Promise<TagCandidate[]> {
    const inspected = await mapLimit(
      lexicalCandidates(policy, tags).slice(0, policy.discoveryLimit),
      this.concurrency,
      async (tag): Promise<TagCandidate | { error: unknown }> => {
        try {
          const { digest, metadata } = await this.resolver.resolve(
            `${policy.repository}:${tag}`,
            platform,
          );
          return {
            tag,
            firstSeen: seen(tag),
            digest,
            created: metadata.created,
          };
        } catch (error) {
          return { error };
        }
      },
    );
    // One unreadable tag is skipped; when none could be read, the discovery fails.
    const found = inspected.filter((c): c is TagCandidate => 'tag' in c);
    const failed = inspected.find((c): c is { error: unknown } => 'error' in c);
    if (found.length === 0 && failed) {
      throw failed.error;
    }
    const time = (c: TagCandidate) => (c.created ? Date.parse(c.created) : -1);
    return found.sort((a, b) => time(b) - time(a));
  }
}
