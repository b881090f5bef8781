import { DateTime, Duration } from 'luxon';
import type { BaseVerdict, ImageError, Verdict } from './api';
import { describeDuration } from './policy';

/** The default rebuild delay when neither the entity nor the config sets one. @public */
export const DEFAULT_REBUILD_DELAY = 'P7D';

/**
 * One digest a base tag pointed at, and when: the base history the tracker
 * records on every refresh.
 *
 * @public
 */
export interface BaseDigestSighting {
  /** The digest the tag pointed at (an index digest for multi-arch bases). */
  digest: string;
  /** The chosen platform's manifest digest, when the tag points at an index. */
  manifestDigest?: string;
  /** When the tag was first seen pointing here (ISO 8601). */
  firstSeen: string;
  /** When the tag was last seen pointing here (ISO 8601). */
  lastSeen: string;
}

/** How a built-on digest that no annotation recorded was inferred. @public */
export type BuiltOnInference = 'build-time' | 'first-seen';

/** Whether a sighting is the digest `digest` (by index or manifest digest). @public */
export function isSameBaseDigest(
  sighting: Pick<BaseDigestSighting, 'digest' | 'manifestDigest'>,
  digest: string | undefined,
): boolean {
  return (
    digest !== undefined &&
    (sighting.digest === digest || sighting.manifestDigest === digest)
  );
}

function millis(iso: string): number {
  return DateTime.fromISO(iso, { zone: 'utc' }).toMillis();
}

function byFirstSeen(history: BaseDigestSighting[]): BaseDigestSighting[] {
  return [...history].sort((a, b) => millis(a.firstSeen) - millis(b.firstSeen));
}

/**
 * The digest an image was most likely built on when nothing recorded it (a
 * Dockerfile `FROM` with a tag only): the digest the base tag pointed at when
 * the image was built, per the history (the last one first seen at or before
 * the image's created time); else, when the image has no build time or was
 * built before the history starts, the first digest ever seen.
 *
 * The history only knows what the refreshes saw: a base that moved shortly
 * before a build, and was first seen after it, is inferred one step too old.
 *
 * @public
 */
export function inferBuiltOnDigest(options: {
  history: BaseDigestSighting[];
  imageCreated?: string;
}): { digest: string; rule: BuiltOnInference } | undefined {
  const history = byFirstSeen(options.history);
  if (history.length === 0) {
    return undefined;
  }
  if (options.imageCreated) {
    const built = millis(options.imageCreated);
    const before = history.filter(s => millis(s.firstSeen) <= built);
    if (before.length > 0) {
      return { digest: before[before.length - 1].digest, rule: 'build-time' };
    }
  }
  return { digest: history[0].digest, rule: 'first-seen' };
}

/**
 * When the base tag moved away from the digest the image was built on
 * (ISO 8601), or undefined while it still points there.
 *
 * - The built-on digest is in the history: the first time another digest was
 *   seen after it (exact to one refresh interval). When the tag came back to a
 *   digest seen before, the last time the built-on digest was seen.
 * - The built-on digest was never seen (built before tracking began): the
 *   later of the image's build time and the first sighting; the tag pointed
 *   elsewhere by then.
 *
 * @public
 */
export function baseMovedAt(options: {
  history: BaseDigestSighting[];
  builtOnDigest: string;
  currentDigest: string;
  imageCreated?: string;
}): string | undefined {
  const { builtOnDigest, currentDigest } = options;
  const history = byFirstSeen(options.history);
  if (currentDigest === builtOnDigest) {
    return undefined;
  }
  const current = history.find(s => s.digest === currentDigest);
  if (current && isSameBaseDigest(current, builtOnDigest)) {
    return undefined;
  }
  const builtOn = history.find(s => isSameBaseDigest(s, builtOnDigest));
  if (builtOn) {
    const next = history.find(
      s =>
        millis(s.firstSeen) > millis(builtOn.firstSeen) &&
        !isSameBaseDigest(s, builtOnDigest),
    );
    return next ? next.firstSeen : builtOn.lastSeen;
  }
  if (history.length === 0) {
    return undefined;
  }
  const firstSighting = millis(history[0].firstSeen);
  const built = options.imageCreated ? millis(options.imageCreated) : NaN;
  const moved = Number.isNaN(built)
    ? firstSighting
    : Math.max(built, firstSighting);
  return DateTime.fromMillis(moved, { zone: 'utc' }).toISO()!;
}

/** The facts about one base image that its verdict depends on. @public */
export interface BaseImageFacts {
  /** The base reference, e.g. `registry.example.com/library/node:22-bookworm-slim`. */
  name: string;
  /** The base is `scratch`: there is nothing to move. */
  scratch?: boolean;
  /** The tag in use; absent when the base is pinned by digest only. */
  tag?: string;
  builtOnDigest?: string;
  /** Set when the built-on digest was inferred rather than recorded. */
  builtOnInferred?: BuiltOnInference;
  /** What the base tag points to now. */
  currentDigest?: string;
  /** When the tag moved away from the built-on digest (ISO 8601). */
  movedAt?: string;
  /** The newest tag the tracking policy allows, when newer than the tag in use. */
  newestTag?: string;
  /** When a tag newer than the one in use was first seen (ISO 8601). */
  newerTagSince?: string;
}

/** A base verdict, and when a rebuild is or was due. @public */
export interface BaseVerdictResult {
  verdict: Verdict<BaseVerdict>;
  /** movedAt (or newerTagSince, if earlier) plus the rebuild delay (ISO 8601). */
  rebuildDueAt?: string;
}

const INFERENCE_NOTES: Record<BuiltOnInference, string> = {
  'build-time': ' (built-on digest inferred from the build time)',
  'first-seen': ' (built-on digest assumed to be the first one seen)',
};

function shortDigest(digest: string | undefined): string {
  if (!digest) return 'an unknown digest';
  const [algorithm, hex] = digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}` : digest;
}

function day(time: DateTime): string {
  return time.toUTC().toFormat("yyyy-LL-dd HH:mm 'UTC'");
}

/**
 * The verdict on an image's base: `current` (built on what the base tag points
 * to now, and no newer tag allowed), `updated` (the base moved or a newer tag
 * appeared, and the rebuild is not due yet), `rebuild-due` (that happened more
 * than `rebuildDelay` ago), or `unknown` (facts missing). Every verdict says why.
 *
 * @public
 */
export function baseImageVerdict(options: {
  /** Built by the entity's own CI (it has a Dockerfile), or external. */
  managed: boolean;
  base?: BaseImageFacts;
  /** Why there is no base, when `base` is absent. */
  noBaseReason?: string;
  /** The last error; the facts, when present, are the last good ones. */
  error?: ImageError;
  rebuildDelay: Duration;
  now: DateTime;
}): BaseVerdictResult {
  const { base, managed, error, rebuildDelay, now } = options;
  if (!base) {
    return {
      verdict: {
        verdict: 'unknown',
        reason:
          options.noBaseReason ??
          (error
            ? `No base image information: ${error.message}`
            : 'No base image information yet'),
      },
    };
  }
  if (base.scratch) {
    return {
      verdict: {
        verdict: 'current',
        reason: 'Built FROM scratch: there is no base image that could move',
      },
    };
  }
  if (!base.currentDigest) {
    return {
      verdict: {
        verdict: 'unknown',
        reason: error
          ? `Base ${base.name} could not be resolved: ${error.message}`
          : `Base ${base.name} not resolved yet`,
      },
    };
  }
  if (!base.tag && !base.newerTagSince) {
    return {
      verdict: {
        verdict: 'unknown',
        reason: `Base ${base.name} is pinned by digest without a tag, so there is nothing to compare it with; write it as name:tag@digest`,
      },
    };
  }
  if (!base.builtOnDigest && !base.newerTagSince) {
    return {
      verdict: {
        verdict: 'unknown',
        reason: `The digest of ${base.name} the image was built on is unknown`,
      },
    };
  }
  const inferred = base.builtOnInferred
    ? INFERENCE_NOTES[base.builtOnInferred]
    : '';
  const triggers: Array<{ at: DateTime; text: string }> = [];
  if (base.movedAt) {
    triggers.push({
      at: DateTime.fromISO(base.movedAt, { zone: 'utc' }),
      text: `Base ${base.name} moved on ${day(
        DateTime.fromISO(base.movedAt, { zone: 'utc' }),
      )} (built on ${shortDigest(base.builtOnDigest)}, now ${shortDigest(
        base.currentDigest,
      )})${inferred}`,
    });
  }
  if (base.newerTagSince && base.newestTag) {
    triggers.push({
      at: DateTime.fromISO(base.newerTagSince, { zone: 'utc' }),
      text: `A newer base tag ${
        base.newestTag
      } is allowed (newer tags seen since ${day(
        DateTime.fromISO(base.newerTagSince, { zone: 'utc' }),
      )})`,
    });
  }
  if (triggers.length === 0) {
    return {
      verdict: {
        verdict: 'current',
        reason: `Built on ${shortDigest(base.currentDigest)}, the digest ${
          base.name
        } points to now${inferred}`,
      },
    };
  }
  triggers.sort((a, b) => a.at.toMillis() - b.at.toMillis());
  const since = triggers[0].at;
  const due = since.plus(rebuildDelay);
  const what = triggers.map(t => t.text).join('; ');
  const delay = describeDuration(rebuildDelay);
  const action = managed ? 'rebuild' : 'newer image from its publisher';
  if (now >= due) {
    return {
      rebuildDueAt: due.toUTC().toISO()!,
      verdict: {
        verdict: 'rebuild-due',
        reason: `${what}; a ${action} was due on ${day(
          due,
        )} (${delay} delay), ${describeDuration(now.diff(due))} ago`,
      },
    };
  }
  return {
    rebuildDueAt: due.toUTC().toISO()!,
    verdict: {
      verdict: 'updated',
      reason: `${what}; a ${action} is due on ${day(
        due,
      )} (${delay} delay), in ${describeDuration(due.diff(now))}`,
    },
  };
}
