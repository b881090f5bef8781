import { DateTime, Duration } from 'luxon';
import { freshnessVerdict, parseDuration } from './policy';

const now = DateTime.fromISO('2026-11-22T12:00:00Z', { zone: 'utc' });
const maxAge = Duration.fromObject({ days: 30 });

describe('parseDuration', () => {
  it.each([
    ['7d', 7 * 24],
    ['12h', 12],
    ['P2D', 48],
    [{ days: 1, hours: 6 }, 30],
  ])('reads %j', (value, hours) => {
    expect(parseDuration(value).as('hours')).toBe(hours);
  });
  it('names the bad value and the accepted forms', () => {
    expect(() => parseDuration('seven days', 'maxAge')).toThrow(
      /Invalid maxAge "seven days": use a number with a unit/,
    );
  });

  // Counterexamples of annotations.fuzz.test.ts: before, each was accepted as
  // a negative or unusable duration (a time plus it was no time), or thrown
  // as luxon's own error.
  it.each([
    ['-P7D'],
    ['P-1D'],
    ['P1Y14282694W'],
    [`${'9'.repeat(400)}d`],
    [{ years: 273733.8 }],
    [{ days: -1 }],
    [{ days: Number.NaN }],
  ])('refuses %j with its own error', value => {
    expect(() => parseDuration(value, 'maxAge')).toThrow(
      `Invalid maxAge ${JSON.stringify(
        value,
      )}: use a number with a unit (30m, 12h, 7d, 2w), ISO 8601 (P7D) or an object such as { days: 7 }, not negative and at most 10000 years`,
    );
  });

  it('accepts up to 10000 years', () => {
    expect(parseDuration('10000y').as('years')).toBe(10_000);
    expect(() => parseDuration('10001y')).toThrow('at most 10000 years');
  });
});

describe('freshnessVerdict', () => {
  it.each([
    [
      '2026-11-20T12:00:00Z',
      'fresh',
      'Built 2 days ago, within the 30 days limit',
    ],
    [
      '2026-11-01T12:00:00Z',
      'aging',
      'Built 21 days ago, past half of the 30 days limit',
    ],
    [
      '2026-09-01T12:00:00Z',
      'stale',
      'Built 82 days ago, older than the 30 days limit',
    ],
  ])('%s is %s', (created, verdict, reason) => {
    expect(freshnessVerdict({ created, maxAge, now })).toEqual({
      verdict,
      reason,
    });
  });
  it('counts whole days as a relative time beside it does', () => {
    // 3 days and 17 hours: luxon's toRelative says "3 days ago"
    const created = now.minus({ days: 3, hours: 17 });
    expect(created.toRelative({ base: now })).toBe('3 days ago');
    expect(
      freshnessVerdict({ created: created.toISO()!, maxAge, now }).reason,
    ).toBe('Built 3 days ago, within the 30 days limit');
  });
  it('is unknown without a build time, never 1970', () => {
    expect(freshnessVerdict({ maxAge, now })).toEqual({
      verdict: 'unknown',
      reason: 'Build time unknown: the image records no created time',
    });
  });
});
