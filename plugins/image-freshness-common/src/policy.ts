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

/**
 * Parses `7d`, `12h`, `30m`, ISO 8601 (`P7D`) or a HumanDuration object.
 * Throws an error that names the value and the accepted forms.
 *
 * @public
 */
export function parseDuration(
  value: string | HumanDurationLike,
  what = 'duration',
): Duration {
  if (typeof value === 'object' && value !== null) {
    const duration = Duration.fromObject(value);
    if (duration.isValid && duration.toMillis() >= 0) {
      return duration;
    }
  } else if (typeof value === 'string') {
    const text = value.trim();
    const short = SHORT_DURATION.exec(text);
    if (short) {
      return Duration.fromObject({ [SHORT_UNITS[short[2]]]: Number(short[1]) });
    }
    const iso = Duration.fromISO(text);
    if (iso.isValid) {
      return iso;
    }
  }
  throw new Error(
    `Invalid ${what} ${JSON.stringify(
      value,
    )}: use a number with a unit (30m, 12h, 7d, 2w), ISO 8601 (P7D) or an object such as { days: 7 }`,
  );
}

/** Renders a duration for people: `14 days`, `3 hours`. @public */
export function describeDuration(duration: Duration): string {
  const days = duration.as('days');
  if (days >= 1) {
    const whole = Math.round(days);
    return `${whole} day${whole === 1 ? '' : 's'}`;
  }
  const hours = Math.round(duration.as('hours'));
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
