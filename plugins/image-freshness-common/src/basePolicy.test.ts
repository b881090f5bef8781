import { DateTime, Duration } from 'luxon';
import {
  BaseDigestSighting,
  BaseImageFacts,
  baseImageVerdict,
  baseMovedAt,
  inferBuiltOnDigest,
} from './basePolicy';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const A = digest('a');
const B = digest('b');
const C = digest('c');
const A_AMD64 = digest('1');

const history: BaseDigestSighting[] = [
  // deliberately out of order: the functions sort by firstSeen
  {
    digest: B,
    firstSeen: '2026-11-10T06:00:00.000Z',
    lastSeen: '2026-11-15T00:00:00.000Z',
  },
  {
    digest: A,
    manifestDigest: A_AMD64,
    firstSeen: '2026-11-01T00:00:00.000Z',
    lastSeen: '2026-11-10T05:30:00.000Z',
  },
  {
    digest: C,
    firstSeen: '2026-11-15T00:30:00.000Z',
    lastSeen: '2026-11-22T00:00:00.000Z',
  },
];

describe('inferBuiltOnDigest', () => {
  it('takes the digest the tag pointed at when the image was built', () => {
    expect(
      inferBuiltOnDigest({ history, imageCreated: '2026-11-12T00:00:00Z' }),
    ).toEqual({ digest: B, rule: 'build-time' });
    // a digest first seen exactly at build time counts as in use then
    expect(
      inferBuiltOnDigest({ history, imageCreated: '2026-11-15T00:30:00Z' }),
    ).toEqual({ digest: C, rule: 'build-time' });
  });

  it('falls back to the first digest seen without a build time or before the history', () => {
    expect(inferBuiltOnDigest({ history })).toEqual({
      digest: A,
      rule: 'first-seen',
    });
    expect(
      inferBuiltOnDigest({ history, imageCreated: '2026-10-01T00:00:00Z' }),
    ).toEqual({ digest: A, rule: 'first-seen' });
    expect(inferBuiltOnDigest({ history: [] })).toBeUndefined();
  });
});

describe('baseMovedAt', () => {
  it('is undefined while the tag points at the built-on digest (index or platform manifest)', () => {
    expect(
      baseMovedAt({ history, builtOnDigest: C, currentDigest: C }),
    ).toBeUndefined();
    expect(
      baseMovedAt({
        history: history.slice(1, 2),
        builtOnDigest: A_AMD64,
        currentDigest: A,
      }),
    ).toBeUndefined();
  });

  it('is the first sighting of the next digest when the built-on one is in the history', () => {
    expect(baseMovedAt({ history, builtOnDigest: A, currentDigest: C })).toBe(
      '2026-11-10T06:00:00.000Z',
    );
    expect(
      baseMovedAt({ history, builtOnDigest: A_AMD64, currentDigest: C }),
    ).toBe('2026-11-10T06:00:00.000Z');
    expect(baseMovedAt({ history, builtOnDigest: B, currentDigest: C })).toBe(
      '2026-11-15T00:30:00.000Z',
    );
  });

  it('is the last sighting of the built-on digest when the tag went back to an older one', () => {
    expect(baseMovedAt({ history, builtOnDigest: C, currentDigest: A })).toBe(
      '2026-11-22T00:00:00.000Z',
    );
  });

  it('is the later of build time and first sighting for a digest never seen', () => {
    const D = digest('d');
    expect(baseMovedAt({ history, builtOnDigest: D, currentDigest: C })).toBe(
      '2026-11-01T00:00:00.000Z',
    );
    expect(
      baseMovedAt({
        history,
        builtOnDigest: D,
        currentDigest: C,
        imageCreated: '2026-11-05T12:00:00Z',
      }),
    ).toBe('2026-11-05T12:00:00.000Z');
    expect(
      baseMovedAt({
        history,
        builtOnDigest: D,
        currentDigest: C,
        imageCreated: '2026-10-05T12:00:00Z',
      }),
    ).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('baseImageVerdict', () => {
  const delay = Duration.fromObject({ days: 7 });
  const moved: BaseImageFacts = {
    name: 'registry.example.com/library/node:22',
    tag: '22',
    builtOnDigest: A,
    currentDigest: B,
    movedAt: '2026-11-10T06:00:00.000Z',
  };
  const at = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });

  it('is current when built on what the tag points to now', () => {
    const result = baseImageVerdict({
      managed: true,
      base: { ...moved, currentDigest: A, movedAt: undefined },
      rebuildDelay: delay,
      now: at('2026-11-22T00:00:00Z'),
    });
    expect(result).toEqual({
      verdict: {
        verdict: 'current',
        reason: `Built on sha256:aaaaaaaaaaaa, the digest registry.example.com/library/node:22 points to now`,
      },
    });
  });

  it.each([
    // one second after the move
    [
      '2026-11-10T06:00:01Z',
      'updated',
      'is due on 2026-11-17 06:00 UTC (7 days delay), in 6 days', // whole days left, as luxon's toRelative counts them
    ],
    // one hour before the delay runs out
    ['2026-11-17T05:00:00Z', 'updated', 'in 1 hour'],
    // exactly at the delay
    [
      '2026-11-17T06:00:00Z',
      'rebuild-due',
      'was due on 2026-11-17 06:00 UTC (7 days delay), 0 hours ago',
    ],
    // three days later
    ['2026-11-20T06:00:00Z', 'rebuild-due', '3 days ago'],
  ])('at %s it is %s', (now, verdict, reason) => {
    const result = baseImageVerdict({
      managed: true,
      base: moved,
      rebuildDelay: delay,
      now: at(now),
    });
    expect(result.verdict.verdict).toBe(verdict);
    expect(result.verdict.reason).toContain(
      'Base registry.example.com/library/node:22 moved on 2026-11-10 06:00 UTC (built on sha256:aaaaaaaaaaaa, now sha256:bbbbbbbbbbbb)',
    );
    expect(result.verdict.reason).toContain(reason);
    expect(result.rebuildDueAt).toBe('2026-11-17T06:00:00.000Z');
  });

  it('uses the rebuild delay it is given', () => {
    const result = baseImageVerdict({
      managed: true,
      base: moved,
      rebuildDelay: Duration.fromObject({ days: 14 }),
      now: at('2026-11-20T06:00:00Z'),
    });
    expect(result.verdict.verdict).toBe('updated');
    expect(result.rebuildDueAt).toBe('2026-11-24T06:00:00.000Z');
  });

  it('counts a newer allowed tag from when it was first seen, the earlier trigger winning', () => {
    const newer: BaseImageFacts = {
      name: 'registry.example.com/library/node:22.11.0',
      tag: '22.11.0',
      builtOnDigest: A,
      currentDigest: A,
      newestTag: '22.12.0',
      newerTagSince: '2026-11-12T00:00:00.000Z',
    };
    const updated = baseImageVerdict({
      managed: true,
      base: newer,
      rebuildDelay: delay,
      now: at('2026-11-18T00:00:00Z'),
    });
    expect(updated.verdict.verdict).toBe('updated');
    expect(updated.verdict.reason).toContain(
      'A newer base tag 22.12.0 is allowed (newer tags seen since 2026-11-12 00:00 UTC)',
    );
    expect(updated.rebuildDueAt).toBe('2026-11-19T00:00:00.000Z');
    const both = baseImageVerdict({
      managed: true,
      base: { ...newer, currentDigest: B, movedAt: '2026-11-10T00:00:00.000Z' },
      rebuildDelay: delay,
      now: at('2026-11-18T00:00:00Z'),
    });
    expect(both.verdict.verdict).toBe('rebuild-due');
    expect(both.rebuildDueAt).toBe('2026-11-17T00:00:00.000Z');
  });

  it('words the action for external images', () => {
    const result = baseImageVerdict({
      managed: false,
      base: moved,
      rebuildDelay: delay,
      now: at('2026-11-20T06:00:00Z'),
    });
    expect(result.verdict.reason).toContain(
      'a newer image from its publisher was due',
    );
  });

  it('says how the built-on digest was inferred', () => {
    const result = baseImageVerdict({
      managed: true,
      base: { ...moved, builtOnInferred: 'build-time' },
      rebuildDelay: delay,
      now: at('2026-11-11T00:00:00Z'),
    });
    expect(result.verdict.reason).toContain(
      '(built-on digest inferred from the build time)',
    );
  });

  it.each<[string, Parameters<typeof baseImageVerdict>[0], string]>([
    [
      'no base information',
      {
        managed: false,
        noBaseReason: 'The image records no base',
        rebuildDelay: delay,
        now: at('2026-11-20T00:00:00Z'),
      },
      'The image records no base',
    ],
    [
      'an unresolved base',
      {
        managed: true,
        base: { name: 'r/x:1', tag: '1' },
        error: {
          class: 'NOT_FOUND',
          message: 'r/x:1 not found',
          advice: '',
          at: '2026-11-20T00:00:00Z',
        },
        rebuildDelay: delay,
        now: at('2026-11-20T00:00:00Z'),
      },
      'Base r/x:1 could not be resolved: r/x:1 not found',
    ],
    [
      'a base pinned by digest only',
      {
        managed: true,
        base: { name: `r/x@${A}`, builtOnDigest: A, currentDigest: A },
        rebuildDelay: delay,
        now: at('2026-11-20T00:00:00Z'),
      },
      'pinned by digest without a tag',
    ],
  ])('is unknown for %s', (_, options, reason) => {
    const result = baseImageVerdict(options);
    expect(result.verdict.verdict).toBe('unknown');
    expect(result.verdict.reason).toContain(reason);
    expect(result.rebuildDueAt).toBeUndefined();
  });

  it('is current for scratch', () => {
    expect(
      baseImageVerdict({
        managed: true,
        base: { name: 'scratch', scratch: true },
        rebuildDelay: delay,
        now: at('2026-11-20T00:00:00Z'),
      }).verdict,
    ).toEqual({
      verdict: 'current',
      reason: 'Built FROM scratch: there is no base image that could move',
    });
  });
});
