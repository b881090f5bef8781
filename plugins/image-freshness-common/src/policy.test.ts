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
  it('is unknown without a build time, never 1970', () => {
    expect(freshnessVerdict({ maxAge, now })).toEqual({
      verdict: 'unknown',
      reason: 'Build time unknown: the image records no created time',
    });
  });
});
