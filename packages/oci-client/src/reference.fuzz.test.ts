/**
 * Fuzzes the image reference parser: near-valid references built from hosts
 * (ports, IPv4, IPv6, mixed case), path components, tags and digests, some
 * overlong or broken, and arbitrary text and unicode. Proves that it fails
 * only with OciError INVALID_REQUEST naming the input, never hangs, and that
 * every reference it accepts re-serialises to a canonical form that parses
 * to the same thing.
 */
import {
  CASE_LIMIT_MS,
  startCaseClock,
  expectClassified,
  fuzzRuns,
  runCase,
} from '@internal/test/harness/fuzz';
import fc from 'fast-check';
import { OciError } from './errors';
import { formatReference, ImageReference, parseReference } from './reference';

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });

/** Short, and sometimes around the 255-character name limit. */
const alnum = fc.oneof(
  { weight: 6, arbitrary: chars(LOWER, 1, 8) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 230, max: 260 })
      .chain(n => chars(LOWER, n, n)),
  },
);
const separator = fc.constantFrom('.', '_', '__', '-', '--');

/** A valid path component: alphanumeric runs joined by separators. */
const pathComponent = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([first, rest]) => first + rest.map(([s, a]) => s + a).join(''));

const label = fc
  .tuple(
    chars(`${LOWER}ABCDEFGHIJKLMNOPQRSTUVWXYZ`, 1, 10),
    chars(`${LOWER}-`, 0, 6),
    chars(LOWER, 1, 4),
  )
  .map(([a, b, c]) => (b ? a + b + c : a));
const port = fc.integer({ min: 1, max: 65535 }).map(p => `:${p}`);

/** Hosts that the parser must take as a registry. */
const validHost = fc.oneof(
  fc
    .tuple(fc.array(label, { minLength: 2, maxLength: 4 }), fc.option(port))
    .map(([labels, p]) => labels.join('.') + (p ?? '')),
  fc.tuple(label, port).map(([l, p]) => l + p),
  fc.constantFrom('localhost', 'index.docker.io', 'registry-1.docker.io'),
  fc.tuple(fc.ipV4(), fc.option(port)).map(([ip, p]) => ip + (p ?? '')),
  fc
    .tuple(fc.ipV6(), fc.option(port))
    .filter(([ip]) => /^[a-fA-F0-9:]+$/.test(ip))
    .map(([ip, p]) => `[${ip}]${p ?? ''}`),
);

const validTag = fc
  .tuple(chars(`${LOWER}ABCXYZ_`, 1, 1), chars(`${LOWER}ABCXYZ_.-`, 0, 20))
  .map(([a, b]) => a + b);
const validDigest = fc.oneof(
  chars('0123456789abcdef', 64, 64).map(h => `sha256:${h}`),
  chars('0123456789abcdef', 128, 128).map(h => `sha512:${h}`),
);

interface Parts {
  host?: string;
  path: string[];
  tag?: string;
  digest?: string;
}

const validParts: fc.Arbitrary<Parts> = fc
  .record(
    {
      host: validHost,
      path: fc.array(pathComponent, { minLength: 1, maxLength: 4 }),
      tag: validTag,
      digest: validDigest,
    },
    { requiredKeys: ['path'] },
  )
  // Without a host, a first component with a '.' would be read as one (Docker's rule).
  .filter(
    p => !!p.host || p.path.length === 1 || !/[.]|^localhost$/.test(p.path[0]),
  );

function text(parts: Parts): string {
  return `${parts.host ? `${parts.host}/` : ''}${parts.path.join('/')}${
    parts.tag ? `:${parts.tag}` : ''
  }${parts.digest ? `@${parts.digest}` : ''}`;
}

/** What the parts mean once normalised, as Docker reads them. */
function expected(parts: Parts): ImageReference {
  const path = parts.path;
  const host = parts.host ?? 'docker.io';
  const registry = ['index.docker.io', 'registry-1.docker.io'].includes(host)
    ? 'docker.io'
    : host;
  const repository =
    registry === 'docker.io' && path.length === 1
      ? `library/${path[0]}`
      : path.join('/');
  return {
    registry,
    repository,
    tag: parts.tag ?? (parts.digest ? undefined : 'latest'),
    digest: parts.digest,
  };
}

/** A damage that may (or may not) make a near-valid reference invalid. */
const damage = fc.oneof(
  fc.constant((s: string) => s.toUpperCase()),
  fc.constant((s: string) => ` ${s}\t`),
  fc.constant((s: string) => s.replace('/', '//')),
  fc.constant((s: string) => `${s}:`),
  fc.constant((s: string) => `${s}@`),
  fc.constant((s: string) => `@${s}`),
  fc.constant((s: string) => s.replace(/[0-9a-f]$/, 'G')),
  fc.constant((s: string) => s.replace(':', '::')),
  fc.constant((s: string) => `${s}/`),
  fc.constant((s: string) => s.replace('.', '..')),
  fc.constant((s: string) => `-${s}`),
  fc.constant((s: string) => `https://${s}`),
  fc.constant((s: string) => `user:token@${s}`),
  fc.constant((s: string) => s.replace(/\//, '/\u0130/')),
  fc.constant((s: string) => s + 'x'.repeat(300)),
  fc
    .tuple(fc.nat(), fc.string({ unit: 'grapheme', maxLength: 3 }))
    .map(([at, insert]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(i);
    }),
  fc.nat().map(at => (s: string) => s.slice(0, at % (s.length + 1))),
);

let cases = 0;

/**
 * Parses `input`; the only allowed failure is OciError INVALID_REQUEST that
 * quotes the input. What parses must round-trip through its canonical form.
 */
function check(input: string): ImageReference | OciError {
  cases++;
  const outcome = runCase(input, () => parseReference(input));
  if (!outcome.ok) {
    expectClassified(
      outcome.error,
      e =>
        e instanceof OciError &&
        e.code === 'INVALID_REQUEST' &&
        e.message.includes(`"${input}"`),
      input,
    );
    return outcome.error as OciError;
  }
  const parsed = outcome.value;
  const canonical = formatReference(parsed);
  expect(parseReference(canonical)).toEqual(parsed);
  expect(formatReference(parseReference(canonical))).toBe(canonical);
  expect(parsed.tag ?? parsed.digest).toBeDefined();
  expect(`${parsed.registry}/${parsed.repository}`.length).toBeLessThanOrEqual(
    255,
  );
  return parsed;
}

describe('parseReference under fuzzing', () => {
  it('reads valid references as Docker does, or refuses names over 255 characters', () => {
    const before = cases;
    fc.assert(
      fc.property(validParts, parts => {
        const input = text(parts);
        const want = expected(parts);
        const result = check(input);
        const name = `${want.registry}/${want.repository}`;
        // Over 255 characters once normalised: refused; else exactly what Docker reads.
        const tooLong = name.length > 255;
        expect(
          result instanceof OciError &&
            result.message.includes('longer than 255'),
        ).toBe(tooLong);
        expect(tooLong ? undefined : result).toEqual(
          tooLong ? undefined : want,
        );
      }),
      fuzzRuns(4000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(4000);
  });

  it('answers damaged references with INVALID_REQUEST or a reference that round-trips', () => {
    const before = cases;
    fc.assert(
      fc.property(
        validParts,
        fc.array(damage, { minLength: 1, maxLength: 3 }),
        (parts, damages) => {
          check(damages.reduce((s, d) => d(s), text(parts)));
        },
      ),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('answers arbitrary text and unicode with INVALID_REQUEST or a reference that round-trips', () => {
    const before = cases;
    const referenceish = chars('aZ09:/@.-_[]% \n\u00e9\u0301\u{1f600}', 0, 40);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 60 }),
          referenceish,
          fc.string({ maxLength: 2000 }),
        ),
        input => {
          check(input);
        },
      ),
      fuzzRuns(3500),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3500);
  });

  it('keeps a long input within the time bound', () => {
    const long = `${'a/'.repeat(50_000)}b:${'x'.repeat(100_000)}`;
    const elapsed = startCaseClock();
    expect(check(long)).toBeInstanceOf(OciError);
    expect(elapsed()).toBeLessThan(CASE_LIMIT_MS);
  });

  it('ran at least 10,000 generated cases in all', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
