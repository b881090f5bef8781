import { DateTime, Duration } from 'luxon';
import type { FreshnessVerdict, Verdict } from './api';

const SHORT_DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/;
const SHORT_UNITS: Record<string, string> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
  w: 'weeks',
  y: 'years',
};

/** Backstage's HumanDuration shape, accepted wherever a duration is. @public */
export type HumanDurationLike = Partial<
  Record<
    | 'years'
    | 'months'
    | 'weeks'
    | 'days'
    | 'hours'
    | 'minutes'
    | 'seconds'
    | 'milliseconds',
    number
  >
>;

/** The longest duration accepted: far beyond any real limit, yet a time plus it is still a time. */
const MAX_DURATION_YEARS = 10_000;
const MAX_DURATION_MS = Duration.fromObject({
  years: MAX_DURATION_YEARS,
}).toMillis();

function readDuration(value: string | HumanDurationLike): Duration | undefined {
  if (typeof value === 'object' && value !== null) {
    return Duration.fromObject(value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    const short = SHORT_DURATION.exec(text);
    if (short) {
      return Duration.fromObject({ [SHORT_UNITS[short[2]]]: Number(short[1]) });
    }
    return Duration.fromISO(text);
  }
  return undefined;
}

/** Valid, every part finite and not negative, and not beyond {@link MAX_DURATION_MS}. */
function usable(duration: Duration): boolean {
  const parts = Object.values(duration.toObject());
  const ms = duration.toMillis();
  return (
    duration.isValid &&
    parts.every(part => Number.isFinite(part) && part >= 0) &&
    ms >= 0 &&
    ms <= MAX_DURATION_MS
  );
}

/**
 * Parses `7d`, `12h`, `30m`, ISO 8601 (`P7D`) or a HumanDuration object, not
 * negative and at most 10000 years. Throws an error that names the value and
 * the accepted forms.
 *
 * @public
 */
export function parseDuration(
  value: string | HumanDurationLike,
  what = 'duration',
): Duration {
  let duration: Duration | undefined;
  try {
    duration = readDuration(value);
  } catch {
    // luxon refuses some numbers (NaN, non-numbers) by throwing: the same answer as any other bad value
  }
  if (duration && usable(duration)) {
    return duration;
  }
  throw new Error(
    `Invalid ${what} ${JSON.stringify(
      value,
    )}: use a number with a unit (30m, 12h, 7d, 2w), ISO 8601 (P7D) or an object such as { days: 7 }, not negative and at most ${MAX_DURATION_YEARS} years`,
  );
}

/**
 * Renders a duration for people: `14 days`, `3 hours`. Whole units, rounded
 * down as luxon's `toRelative` does, so that a reason and a relative time
 * shown beside it agree (3.7 days is `3 days` in both). @public
 */
export function describeDuration(duration: Duration): string {
  const days = duration.as('days');
  if (days >= 1) {
    const whole = Math.floor(days);
    return `${whole} day${whole === 1 ? '' : 's'}`;
  }
  const hours = Math.floor(duration.as('hours'));
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/**
 * Freshness of an image built at `created` against `maxAge`: `fresh` up to half
 * of it, `aging` up to all of it, `stale` beyond, `unknown` without a build time.
 *
 * @public
 */
export function freshnessVerdict(options: {
  created?: string;
  maxAge: Duration;
  now: DateTime;
}): Verdict<FreshnessVerdict> {
  const { created, maxAge, now } = options;
  if (!created) {
    return {
      verdict: 'unknown',
      reason: 'Build time unknown: the image records no created time',
    };
  }
  const built = DateTime.fromISO(created, { zone: 'utc' });
  if (!built.isValid) {
    return { verdict: 'unknown', reason: `Build time unreadable: ${created}` };
  }
  const age = now.diff(built);
  const ageText = describeDuration(age);
  const limit = describeDuration(maxAge);
  if (age > maxAge) {
    return {
      verdict: 'stale',
      reason: `Built ${ageText} ago, older than the ${limit} limit`,
    };
  }
  if (age.toMillis() > maxAge.toMillis() / 2) {
    return {
      verdict: 'aging',
      reason: `Built ${ageText} ago, past half of the ${limit} limit`,
    };
  }
  return {
    verdict: 'fresh',
    reason: `Built ${ageText} ago, within the ${limit} limit`,
  };
}
