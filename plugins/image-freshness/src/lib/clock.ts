import { DateTime, Duration } from 'luxon';

/*
 * The frontend's one clock. Every component and hook reads "now" here, and
 * here only: luxon's clock (`Settings.now`), which relative times
 * (`toRelative`, `diffNow`) read too, so a row can never read one way in
 * luxon and another in the wall clock. Tests pin it with `Settings.now` (or
 * Jest's fake timers, which luxon's default clock follows).
 */

/** Now, as luxon sees it. */
export function now(): DateTime {
  // The one place that reads it.
  // eslint-disable-next-line no-restricted-syntax
  return DateTime.now();
}

/** Now in epoch milliseconds, as luxon sees it. */
export function nowMillis(): number {
  return now().toMillis();
}

/** How long ago an ISO time was, by the same clock. */
export function ageOf(iso: string): Duration {
  return now().diff(DateTime.fromISO(iso));
}
