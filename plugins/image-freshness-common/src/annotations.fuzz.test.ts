/**
 * Fuzzes what the common package reads from catalog annotations: the
 * `image-freshness/images` list, whether an entity has anything to show, and
 * the durations of `image-freshness/max-age` and `-rebuild-delay`. Lists come
 * back trimmed, de-duplicated, in order, and stable when written again;
 * durations are either usable (valid, finite, not negative, and a time plus
 * them is still a time) or refused with parseDuration's own error naming the
 * value; nothing else is thrown and nothing hangs.
 */
import type { Entity } from '@backstage/catalog-model';
import {
  CASE_LIMIT_MS,
  fuzzRuns,
  startCaseClock,
} from '@internal/test/harness/fuzz';
import fc from 'fast-check';
import { DateTime, Duration, DurationLikeObject } from 'luxon';
import {
  ANNOTATION_IMAGES,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  ANNOTATION_MAX_AGE,
  isImageFreshnessAvailable,
  parseImagesAnnotation,
} from './annotations';
import { parseDuration } from './policy';

let cases = 0;

function timed<T>(fn: () => T): T {
  cases++;
  const elapsed = startCaseClock();
  try {
    return fn();
  } finally {
    expect(elapsed()).toBeLessThan(CASE_LIMIT_MS);
  }
}

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      ',',
      '\n',
      '\r',
      ' ',
      '\t',
      ':',
      '/',
      '\u00a0',
      '\u2028',
    ),
    maxLength: 30,
  }),
);

const reference = fc.constantFrom(
  'nginx:1.27',
  'ghcr.io/acme/api:v1',
  `localhost:5000/app@sha256:${'a'.repeat(64)}`,
  '[::1]:5000/x',
  'Ünïcode/Ref',
);
const separator = fc.constantFrom(
  ',',
  '\n',
  ', ',
  ' ,\n',
  '\r\n',
  ',,',
  '\n\n  ',
);

describe('image-freshness/images under fuzzing', () => {
  it('gives trimmed, unique, non-empty references in order, stable when written again', () => {
    const before = cases;
    fc.assert(
      fc.property(text, value => {
        const images = timed(() => parseImagesAnnotation(value));
        for (const image of images) {
          expect(image).toBe(image.trim());
          expect(image).not.toBe('');
          expect(image).not.toMatch(/[,\n]/);
        }
        expect(new Set(images).size).toBe(images.length);
        expect(parseImagesAnnotation(images.join(','))).toEqual(images);
        expect(parseImagesAnnotation(images.join('\n'))).toEqual(images);
      }),
      fuzzRuns(2000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(2000);
  });

  it('reads lists written with any mix of separators and spacing', () => {
    const before = cases;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(reference, separator, fc.constantFrom('', ' ', '\t')),
          {
            maxLength: 8,
          },
        ),
        items => {
          const value = items
            .map(([r, s, pad]) => `${pad}${r}${pad}${s}`)
            .join('');
          const want = [...new Set(items.map(([r]) => r))];
          expect(timed(() => parseImagesAnnotation(value))).toEqual(want);
        },
      ),
      fuzzRuns(1000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(1000);
  });

  it('says whether an entity has something to show, for any annotations', () => {
    const before = cases;
    const annotations = fc.option(
      fc.dictionary(
        fc.constantFrom(
          ANNOTATION_IMAGES,
          ANNOTATION_KUBERNETES_ID,
          ANNOTATION_KUBERNETES_LABEL_SELECTOR,
          ANNOTATION_MAX_AGE,
          'other',
        ),
        text,
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(annotations, value => {
        const entity: Entity = {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'x', annotations: value },
        };
        const want = Boolean(
          value?.[ANNOTATION_IMAGES]?.trim() ||
            value?.[ANNOTATION_KUBERNETES_ID] ||
            value?.[ANNOTATION_KUBERNETES_LABEL_SELECTOR],
        );
        expect(timed(() => isImageFreshnessAvailable(entity))).toBe(want);
      }),
      fuzzRuns(1000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(1000);
  });
});

const UNITS: Record<string, keyof DurationLikeObject> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
  w: 'weeks',
  y: 'years',
};

/** Either a usable duration or parseDuration's documented refusal. */
function checkDuration(value: Parameters<typeof parseDuration>[0]) {
  let result: Duration | undefined;
  try {
    result = timed(() => parseDuration(value, ANNOTATION_MAX_AGE));
  } catch (error) {
    // The documented refusal: a plain Error naming the annotation and the value.
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor).toBe(Error);
    expect((error as Error).message).toContain(
      `Invalid ${ANNOTATION_MAX_AGE} ${JSON.stringify(value)}: use`,
    );
    return undefined;
  }
  expect(result.isValid).toBe(true);
  const ms = result.toMillis();
  expect(Number.isFinite(ms) && ms >= 0).toBe(true);
  const now = DateTime.fromISO('2026-11-22T12:00:00Z', { zone: 'utc' });
  expect(now.plus(result).isValid).toBe(true);
  expect(now.minus(result).isValid).toBe(true);
  expect(result.toISO()).not.toBeNull();
  return result;
}

describe('durations of image-freshness/max-age and -rebuild-delay under fuzzing', () => {
  it('reads number-and-unit durations as written', () => {
    const before = cases;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat({ max: 1000 }),
          fc
            .double({ min: 0, max: 1000, noNaN: true })
            .map(n => Number(n.toFixed(3))),
        ),
        fc.constantFrom(...Object.keys(UNITS)),
        fc.constantFrom('', ' ', '  '),
        (n, unit, space) => {
          const result = checkDuration(` ${n}${space}${unit} `);
          expect(result?.as(UNITS[unit])).toBeCloseTo(n, 6);
        },
      ),
      fuzzRuns(2000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(2000);
  });

  it('answers near-valid and arbitrary text with a usable duration or its own error', () => {
    const before = cases;
    const nearValid = fc
      .tuple(
        fc.constantFrom('', '-', '+', 'P', '-P', 'P-', 'PT', 'P1Y', 'PT-'),
        fc.oneof(
          fc.nat().map(String),
          fc.constantFrom(
            '9'.repeat(20),
            '9'.repeat(400),
            '1e3',
            '0.5',
            '.5',
            'Infinity',
            'NaN',
          ),
        ),
        fc.constantFrom(
          '',
          'd',
          'D',
          'y',
          'Y',
          'H',
          'ms',
          'w',
          'W',
          'M',
          'S',
          'x',
          'd d',
        ),
      )
      .map(parts => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(nearValid, text), value => {
        const result = checkDuration(value);
        // What is accepted reads the same again in its ISO form.
        const again = result && parseDuration(result.toISO()!);
        // (to the millisecond: ISO 8601 text keeps no finer fraction)
        expect(
          Math.abs((again?.toMillis() ?? 0) - (result?.toMillis() ?? 0)),
        ).toBeLessThan(1);
      }),
      fuzzRuns(4000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(4000);
  });

  it('answers HumanDuration objects of any numbers with a usable duration or its own error', () => {
    const before = cases;
    const number = fc.oneof(
      fc.integer({ min: -10, max: 10_000 }),
      fc.double(),
      fc.constantFrom(1e300, -0, Number.MAX_SAFE_INTEGER),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'years',
            'months',
            'weeks',
            'days',
            'hours',
            'minutes',
            'seconds',
            'milliseconds',
          ),
          number,
          { minKeys: 1, maxKeys: 3 },
        ),
        value => {
          checkDuration(value);
        },
      ),
      fuzzRuns(1500),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(1500);
  });

  it('ran at least 10,000 generated cases in all', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
