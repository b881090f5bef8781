/**
 * Fuzzes the WWW-Authenticate parser: structured challenges (several per
 * header, quoted values with commas, spaces, escaped quotes and backslashes,
 * bare tokens, odd spacing and empty list elements, parameter names such as
 * `__proto__`) must parse back to exactly what was written; garbage must give
 * a well-formed (possibly empty) list. It never throws and never hangs.
 */
import {
  fuzzRuns,
  runCase,
  expectClassified,
} from '@internal/test/harness/fuzz';
import fc from 'fast-check';
import { AuthChallenge, parseChallenges } from './challenge';

const TCHARS =
  "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({
  unit: fc.constantFrom(...TCHARS),
  minLength: 1,
  maxLength: 12,
});
const name = fc.oneof(
  { weight: 8, arbitrary: token },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'Realm'),
  },
);
/** Optional white space (RFC 9110 OWS): spaces and tabs. */
const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
/** A list separator: a comma with OWS, and sometimes empty elements (`a, , b`). */
const comma = fc
  .tuple(ows, fc.integer({ min: 1, max: 3 }), ows)
  .map(([a, n, b]) => `${a}${Array(n).fill(',').join(' ')}${b}`);

interface Param {
  name: string;
  value: string;
  quoted: boolean;
}

/** A value as a bare token, or as a quoted string with anything in it. */
const param: fc.Arbitrary<Param> = fc.oneof(
  fc.record({ name, value: token, quoted: fc.constant(false) }),
  fc.record({
    name,
    value: fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({
        unit: fc.constantFrom('a', ',', ' ', '"', '\\', '=', ':', '/', '\t'),
        maxLength: 30,
      }),
      fc.constant('repository:a/b:pull,push repository:c:pull'),
    ),
    quoted: fc.constant(true),
  }),
);

const challenge = fc.record({
  scheme: token,
  params: fc.uniqueArray(param, {
    maxLength: 5,
    selector: p => p.name.toLowerCase(),
  }),
  separators: fc.array(fc.tuple(ows, ows, comma), {
    minLength: 5,
    maxLength: 5,
  }),
});

type Generated = typeof challenge extends fc.Arbitrary<infer T> ? T : never;

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, c => `\\${c}`)}"`;
}

function serialise(challenges: Generated[], lead: string): string {
  return (
    lead +
    challenges
      .map(c => {
        const params = c.params.map((p, i) => {
          const [before, after] = c.separators[i];
          const value = p.quoted ? quote(p.value) : p.value;
          return `${p.name}${before}=${after}${value}`;
        });
        const between = c.params.map((_, i) => c.separators[i][2]);
        return `${c.scheme}${params.length ? ' ' : ''}${params
          .map((p, i) => (i === 0 ? p : `${between[i]}${p}`))
          .join('')}`;
      })
      .join(', ')
  );
}

function meaning(challenges: Generated[]): AuthChallenge[] {
  return challenges.map(c => {
    const params: Record<string, string> = {};
    for (const p of c.params) {
      Object.defineProperty(params, p.name.toLowerCase(), {
        value: p.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { scheme: c.scheme.toLowerCase(), params };
  });
}

let cases = 0;

function parse(header: string): AuthChallenge[] {
  cases++;
  const outcome = runCase(header, () => parseChallenges(header));
  if (!outcome.ok) {
    // The parser documents no error at all: any throw is a crash.
    expectClassified(outcome.error, () => false, header);
  }
  return (outcome as { value: AuthChallenge[] }).value;
}

/** Own properties only: `__proto__` must be a parameter, not a prototype. */
function ownEntries(params: Record<string, string>): [string, string][] {
  return Object.getOwnPropertyNames(params)
    .sort()
    .map(key => [key, Object.getOwnPropertyDescriptor(params, key)!.value]);
}

describe('parseChallenges under fuzzing', () => {
  it('parses structured challenges back to exactly what was written', () => {
    const before = cases;
    fc.assert(
      fc.property(
        fc.array(challenge, { minLength: 1, maxLength: 4 }),
        ows,
        (challenges, lead) => {
          const header = serialise(challenges, lead);
          const parsed = parse(header);
          const want = meaning(challenges);
          expect(parsed.map(c => c.scheme)).toEqual(want.map(c => c.scheme));
          parsed.forEach((c, i) =>
            expect(ownEntries(c.params)).toEqual(ownEntries(want[i].params)),
          );
          for (const c of parsed) {
            expect(Object.getPrototypeOf(c.params)).toBe(Object.prototype);
          }
        },
      ),
      fuzzRuns(5000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(5000);
  });

  it('gives a well-formed list for garbage', () => {
    const before = cases;
    const headerish = fc.string({
      unit: fc.constantFrom(
        'B',
        'r',
        '=',
        '"',
        '\\',
        ',',
        ' ',
        '\t',
        '\n',
        'é',
        '😀',
      ),
      maxLength: 60,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          headerish,
          fc.string({ unit: 'grapheme', maxLength: 80 }),
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc.string({ maxLength: 3000 }),
        ),
        header => {
          for (const c of parse(header)) {
            expect(c.scheme).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
            for (const [key, value] of ownEntries(c.params)) {
              expect(key).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
              expect(typeof value).toBe('string');
            }
          }
        },
      ),
      fuzzRuns(5000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(5000);
  });

  it('stays linear on long pathological headers', () => {
    for (const header of [
      `Bearer realm="${'\\'.repeat(200_000)}`,
      'a '.repeat(100_000),
      `Bearer ${'x='.repeat(100_000)}`,
      `${','.repeat(100_000)}=`,
      `b ${'t'.repeat(200_000)} =`,
    ]) {
      expect(Array.isArray(parse(header))).toBe(true);
    }
  });

  it('ran at least 10,000 generated cases in all', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
