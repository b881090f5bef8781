/**
 * Fuzzes the local label selector matcher against the Kubernetes API
 * stand-in's server-side filtering, the one the per-entity workloads query
 * relies on: for generated selectors (every operator, conjunctions, the
 * empty-value forms, keywords as keys and values, damaged ones) and
 * generated label sets, the local parser must accept exactly what the
 * stand-in accepts and select exactly the objects it returns. Once through
 * the parsing functions directly (many cases), once over HTTP (the selector
 * in the query string, the objects in a running stand-in).
 */
import { fuzzRuns } from '@internal/test/harness/fuzz';
import {
  type KubernetesStandIn,
  matchesLabelSelector as standInMatches,
  parseLabelSelector as standInParse,
  startKubernetesStandIn,
} from '@internal/test/harness/kubernetes';
import fc from 'fast-check';
import {
  LabelSelectorError,
  matchesLabelSelector,
  parseLabelSelector,
} from './labelSelector';

const KEYS = [
  'app',
  'tier',
  'in',
  'notin',
  'backstage.io/kubernetes-id',
  'app.kubernetes.io/part-of',
  'rank',
];
const VALUES = [
  '',
  'a',
  'b',
  'web',
  'in',
  'notin',
  '0',
  '7',
  '12',
  '+3',
  'x.y_z-1',
];

const key = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KEYS) },
  // damaged keys: a bad prefix, two slashes, a leading dash, a space
  {
    weight: 1,
    arbitrary: fc.constantFrom('-a', 'a/b/c', '/a', 'A_/b', 'a b', 'é'),
  },
);
const value = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 1, arbitrary: fc.constantFrom('-x', 'a/b', 'x'.repeat(64), '(') },
);
const space = fc.constantFrom('', '', ' ', '  ', '\t');
const requirement = fc.oneof(
  fc.tuple(key).map(([k]) => k),
  fc.tuple(key).map(([k]) => `!${k}`),
  fc
    .tuple(key, fc.constantFrom('=', '==', '!='), space, value)
    .map(([k, op, s, v]) => `${k}${s}${op}${s}${v}`),
  fc
    .tuple(
      key,
      fc.constantFrom('in', 'notin'),
      fc.array(value, { maxLength: 3 }),
      fc.constantFrom(',', ', ', ',,'),
      space,
    )
    .map(([k, op, vs, sep, s]) => `${k} ${op}${s}(${vs.join(sep)})`),
  fc
    .tuple(key, fc.constantFrom('>', '<'), value)
    .map(([k, op, v]) => `${k}${op}${v}`),
);
/** A selector: requirements joined by commas, now and then damaged. */
const selector = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(requirement, { maxLength: 4 }).map(r => r.join(',')),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.array(requirement, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(',', ',,', ' ', '(', ')', '!', '=', '>', 'in'),
        fc.nat(40),
      )
      .map(([reqs, junk, at]) => {
        const text = reqs.join(',');
        const i = at % (text.length + 1);
        return text.slice(0, i) + junk + text.slice(i);
      }),
  },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom(...'ab=!(),<> \tin1/.-'),
      maxLength: 16,
    }),
  },
);
const labels = fc.dictionary(
  fc.constantFrom(...KEYS),
  fc.constantFrom(...VALUES),
  {
    maxKeys: 4,
  },
);

/** What a parser says of a selector: rejected, or the verdict for each label set. */
function verdicts(
  parse: (s: string) => unknown,
  matches: (l: Record<string, string>, r: any) => boolean,
  text: string,
  sets: Array<Record<string, string>>,
): 'rejected' | boolean[] {
  let requirements: unknown;
  try {
    requirements = parse(text);
  } catch {
    return 'rejected';
  }
  return sets.map(l => matches(l, requirements));
}

describe('the local label selector matcher', () => {
  it('accepts and matches exactly what the stand-in does', () => {
    fc.assert(
      fc.property(
        selector,
        fc.array(labels, { maxLength: 6 }),
        (text, sets) => {
          expect(
            verdicts(parseLabelSelector, matchesLabelSelector, text, sets),
          ).toEqual(verdicts(standInParse, standInMatches, text, sets));
        },
      ),
      fuzzRuns(3000),
    );
  });

  it('throws only LabelSelectorError, naming the requirement', () => {
    fc.assert(
      fc.property(selector, text => {
        let thrown: unknown;
        try {
          parseLabelSelector(text);
        } catch (error) {
          thrown = error;
        }
        expect(
          thrown === undefined ||
            (thrown instanceof LabelSelectorError &&
              thrown.message.startsWith('unable to parse requirement: ')),
        ).toBe(true);
      }),
      fuzzRuns(1000),
    );
  });

  describe('over HTTP', () => {
    let cluster: KubernetesStandIn;
    const TOKEN = 'fuzz-token';
    beforeAll(async () => {
      cluster = await startKubernetesStandIn({ token: TOKEN });
    });
    afterAll(() => cluster?.stop());

    it('selects the same objects the stand-in returns for the selector', async () => {
      await fc.assert(
        fc.asyncProperty(
          selector,
          fc.array(labels, { minLength: 1, maxLength: 8 }),
          async (text, sets) => {
            cluster.setObjects(
              sets.map((l, i) => ({
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                metadata: { name: `d${i}`, namespace: 'fuzz', labels: l },
              })),
            );
            const res = await fetch(
              `${
                cluster.url
              }/apis/apps/v1/deployments?labelSelector=${encodeURIComponent(
                text,
              )}`,
              { headers: { authorization: `Bearer ${TOKEN}` } },
            );
            const local = verdicts(
              parseLabelSelector,
              matchesLabelSelector,
              text,
              sets,
            );
            const body = (await res.json()) as {
              items?: Array<{ metadata: { name: string } }>;
            };
            const served =
              res.status === 400
                ? 'rejected'
                : (body.items ?? []).map(i => i.metadata.name).sort();
            expect(served).toEqual(
              local === 'rejected'
                ? 'rejected'
                : sets
                    .map((_, i) => `d${i}`)
                    .filter((_, i) => local[i])
                    .sort(),
            );
          },
        ),
        fuzzRuns(200),
      );
    });
  });

  it.each([
    // the API server's lexer reads a NUL as the end of the string
    ['a\u0000=b', { a: 'b' }, true],
    ['a\u0000=b', { a: 'x' }, false],
    ['\u0000a=b', {}, true],
    ['a=\u0000b', { a: 'b' }, true],
    ['x in (foo,,baz),y,z notin ()', { x: '', y: '1', z: '2' }, true],
    ['rank>7', { rank: '12' }, true],
    ['rank<7', { rank: '+3' }, true],
    ['rank<7', { rank: 'x' }, false],
  ])('%j against %j → %s', (text, l, expected) => {
    expect(matchesLabelSelector(l, parseLabelSelector(text))).toBe(expected);
  });
});
