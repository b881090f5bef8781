/**
 * Fuzzes the Dockerfile parser. Generated multi-stage Dockerfiles (parser
 * directives, global ARGs the FROM lines are assembled from in every
 * substitution form, ARGs redeclared inside stages, `FROM ... AS` chains with
 * mixed case, line continuations with comments between them, heredocs whose
 * bodies hold FROM lines, comments, blank lines) must resolve to the image the
 * generator put in the final stage, on the right line. Damaged Dockerfiles,
 * arbitrary text and blow-up attempts (ARGs that double, deep nesting) must end
 * in a DockerfileError with a line inside the file, or a base whose image is a
 * valid reference; never another error, never a hang.
 */
import {
  expectClassified,
  fuzzRuns,
  runCase,
} from '@internal/test/harness/fuzz';
import fc from 'fast-check';
import { parseReference } from 'oci-client';
import {
  DockerfileBase,
  DockerfileError,
  parseDockerfile,
} from './DockerfileParser';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const word = (min: number, max: number) =>
  fc.string({
    unit: fc.constantFrom(...LOWER),
    minLength: min,
    maxLength: max,
  });

/** Images a FROM may name, with a digest sometimes. */
const image = fc
  .tuple(
    fc.constantFrom(
      '',
      'registry.example.com/',
      'localhost:5000/',
      '127.0.0.1:5000/',
      'ghcr.io/',
    ),
    fc.array(word(1, 6), { minLength: 1, maxLength: 3 }),
    fc.option(fc.constantFrom('1', '22-bookworm-slim', 'v1.2.3', 'latest')),
    fc.option(fc.constant(`sha256:${'ab'.repeat(32)}`)),
  )
  .map(([host, path, tag, digest]) => ({
    text: `${host}${path.join('/')}${tag ? `:${tag}` : ''}${
      digest ? `@${digest}` : ''
    }`,
    digest: digest ?? undefined,
  }));

/** How a piece of a FROM line is written: literally or through an ARG. */
const pieceForm = fc.constantFrom(
  'literal',
  '${@}',
  '$@',
  '${@:-wrong}',
  '${@-wrong}',
  '${UNSET:-${@}}',
  '${@:+${@}}',
  '${UNSET:-lit}',
  '${EMPTY:+lit}',
);

interface Written {
  /** The FROM text. */
  text: string;
  /** Global ARG declarations it needs, `NAME=value` (value maybe quoted). */
  args: string[];
}

let argCounter = 0;

/** Writes `value` as a FROM argument made of pieces and ARGs. */
function writeImage(
  value: string,
  cuts: number[],
  forms: string[],
  quoted: boolean[],
): Written {
  const points = [...new Set(cuts.map(c => c % (value.length + 1)))].sort(
    (a, b) => a - b,
  );
  const pieces: string[] = [];
  let last = 0;
  for (const p of [...points, value.length]) {
    if (p > last) pieces.push(value.slice(last, p));
    last = p;
  }
  const args: string[] = [];
  const text = pieces
    .map((piece, i) => {
      const form = forms[i % forms.length];
      if (form === 'literal') return piece;
      if (form === '${UNSET:-lit}') return `\${UNSET:-${piece}}`;
      if (form === '${EMPTY:+lit}') return `\${EMPTY:+x}${piece}`;
      const name = `P${argCounter++}`;
      const q = quoted[i % quoted.length] ? '"' : '';
      args.push(`${name}=${q}${piece}${q}`);
      // `$N` runs on into following name characters: brace it then.
      const next = pieces[i + 1]?.[0] ?? '';
      if (form === '$@' && /[A-Za-z0-9_]/.test(next)) return `\${${name}}`;
      return form.replace(/@/g, name);
    })
    .join('');
  return { text, args };
}

/** Instructions inside a stage; none of them may change what FROM resolves to. */
const bodyLine = fc.oneof(
  fc.constant('RUN apk add --no-cache curl'),
  fc.constant('# FROM evil:1 (a comment)'),
  fc.constant(''),
  fc.constant('WORKDIR /app'),
  fc.constant('ARG P0=evil'),
  fc.constant('ENV PATH=/app/bin:$PATH'),
  fc.constant(
    'RUN set -e \\\n    && echo FROM evil \\\n    # a comment inside\n    && true',
  ),
  fc.constant('RUN <<EOF\nFROM evil:2\nset -e\nEOF'),
  fc.constant('RUN <<-EOT bash\n\tFROM evil:3\n\tEOT'),
  fc.constant('COPY <<"EOF" /etc/x\nFROM evil:4 AS x\nEOF'),
  fc.constant('COPY --from=0 /a /b'),
  fc.constant('CMD ["node", "index.js"]'),
  fc.constant('  HEALTHCHECK NONE'),
);

const platformFlag = fc.option(
  fc.constantFrom(
    '--platform=linux/arm64',
    '--platform=$BUILDPLATFORM',
    '--platform=${TARGETPLATFORM}',
  ),
);

const stageSpec = fc.record({
  image,
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  forms: fc.array(pieceForm, { minLength: 1, maxLength: 4 }),
  quoted: fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }),
  /** Refer to an earlier stage instead of an image (index into earlier stages). */
  fromStage: fc.option(fc.nat()),
  name: fc.option(word(1, 8)),
  upper: fc.boolean(),
  platform: platformFlag,
  continued: fc.boolean(),
  body: fc.array(bodyLine, { maxLength: 4 }),
});

const dockerfileSpec = fc.record({
  directives: fc.subarray(['# syntax=docker/dockerfile:1', '# check=skip=all']),
  stages: fc.array(stageSpec, { minLength: 1, maxLength: 5 }),
  crlf: fc.boolean(),
  extraArgs: fc.boolean(),
});

type Spec = typeof dockerfileSpec extends fc.Arbitrary<infer T> ? T : never;

interface Built {
  content: string;
  /** The base the parser must find. */
  want: Pick<DockerfileBase, 'image' | 'digest' | 'line' | 'stages'>;
}

/** Writes the Dockerfile and works out the base it means, as Docker would. */
function build(spec: Spec): Built {
  const lines: string[] = [...spec.directives];
  const args: string[] = spec.extraArgs
    ? ['ARG EMPTY', 'ARG UNUSED=1 OTHER']
    : ['ARG EMPTY'];
  const stageLines: string[][] = [];
  const froms: Array<{
    line: number;
    name?: string;
    target: number | string;
    digest?: string;
  }> = [];
  const names = new Set<string>();
  spec.stages.forEach((stage, index) => {
    const named = froms.filter(f => f.name);
    let target: number | string;
    let fromText: string;
    if (stage.fromStage !== null && named.length > 0) {
      const earlier = named[stage.fromStage % named.length];
      target = froms.indexOf(earlier);
      fromText = stage.upper ? earlier.name!.toUpperCase() : earlier.name!;
    } else {
      const written = writeImage(
        stage.image.text,
        stage.cuts,
        stage.forms,
        stage.quoted,
      );
      args.push(...written.args.map(a => `ARG ${a}`));
      target = stage.image.text;
      fromText = written.text;
    }
    // A stage name must not be an image name used later (that would be a reference to it).
    const name =
      stage.name && !names.has(stage.name)
        ? `s${index}${stage.name}`
        : undefined;
    if (name) names.add(name);
    const as = name ? ` ${stage.upper ? 'AS' : 'as'} ${name}` : '';
    const flag = stage.platform ? `${stage.platform} ` : '';
    const from = stage.continued
      ? `FROM ${flag}\\\n  # continued\n  ${fromText}${
          as ? ` \\\n${as.trim()}` : ''
        }`
      : `FROM ${flag}${fromText}${as}`;
    stageLines.push([from, ...stage.body]);
    froms.push({
      line: 0,
      name,
      target,
      digest: typeof target === 'string' ? stage.image.digest : undefined,
    });
  });
  lines.push(...args);
  stageLines.forEach((block, i) => {
    // 1-based: the line after everything written so far.
    froms[i].line = lines.length ? lines.join('\n').split('\n').length + 1 : 1;
    lines.push(...block);
  });
  let index = froms.length - 1;
  const followed: string[] = [];
  while (typeof froms[index].target === 'number') {
    const next = froms[index].target as number;
    followed.push(froms[next].name!);
    index = next;
  }
  const content = lines.join('\n').replace(/\n/g, spec.crlf ? '\r\n' : '\n');
  return {
    content,
    want: {
      image: froms[index].target as string,
      digest: froms[index].digest,
      line: froms[index].line,
      stages: followed,
    },
  };
}

let cases = 0;

/**
 * Parses; allowed outcomes are a DockerfileError (with a line inside the file
 * when it has one) or a base that is scratch or a valid reference.
 */
function check(content: string, platform?: string) {
  cases++;
  const outcome = runCase(content, () =>
    parseDockerfile(content, { platform }),
  );
  if (!outcome.ok) {
    const lineCount = content.split(/\r\n|\r|\n/).length;
    expectClassified(
      outcome.error,
      e =>
        e instanceof DockerfileError &&
        e.message.length > 0 &&
        (e.line === undefined || (e.line >= 1 && e.line <= lineCount)),
      content,
    );
    return outcome;
  }
  const base = outcome.value;
  if (!base.scratch) {
    expect(() => parseReference(base.image)).not.toThrow();
    expect(base.digest).toBe(parseReference(base.image).digest);
  }
  return outcome;
}

describe('parseDockerfile under fuzzing', () => {
  it('resolves a generated Dockerfile to the base its final stage names', () => {
    const before = cases;
    fc.assert(
      fc.property(
        dockerfileSpec,
        fc.option(fc.constantFrom('linux/amd64', 'linux/arm64/v8')),
        (spec, platform) => {
          const { content, want } = build(spec);
          const outcome = check(content, platform ?? undefined);
          if (!outcome.ok) throw outcome.error;
          expect(outcome.value).toMatchObject({
            ...want,
            scratch: false,
          });
        },
      ),
      fuzzRuns(4000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(4000);
  });

  it('answers damaged Dockerfiles with a DockerfileError or a valid base', () => {
    const before = cases;
    const damage = fc.oneof(
      fc
        .tuple(fc.nat(), fc.string({ unit: 'grapheme', maxLength: 4 }))
        .map(([at, insert]) => (s: string) => {
          const i = at % (s.length + 1);
          return s.slice(0, i) + insert + s.slice(i);
        }),
      fc.tuple(fc.nat(), fc.nat({ max: 20 })).map(([at, n]) => (s: string) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + s.slice(i + n);
      }),
      fc.constantFrom(
        (s: string) => s.replace(/\}/, ''),
        (s: string) => s.replace(/\$\{/, '${:'),
        (s: string) => s.replace(/FROM/, 'FORM'),
        (s: string) => s.replace(/ AS /i, ' ASS '),
        (s: string) => s.replace(/ARG [^\n]*/, 'ARG'),
        (s: string) => s.replace(/FROM [^\n]*/, 'FROM'),
        (s: string) => s.replace(/FROM /, 'FROM --platform= '),
        (s: string) => `RUN x\n${s}`,
        (s: string) => `# escape=\`\n${s.replace(/\\\n/g, '`\n')}`,
        (s: string) => s.replace(/\n/g, '\\\n'),
        (s: string) => s.replace(/(FROM \S+)/, '$1 x y z'),
        (s: string) => s.replace(/=/, '=${'),
        (s: string) => s.toLowerCase(),
      ),
    );
    fc.assert(
      fc.property(
        dockerfileSpec,
        fc.array(damage, { minLength: 1, maxLength: 3 }),
        (spec, damages) => {
          check(damages.reduce((s, d) => d(s), build(spec).content));
        },
      ),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('answers arbitrary text with a DockerfileError or a valid base', () => {
    const before = cases;
    const dockerish = fc.string({
      unit: fc.constantFrom(
        'FROM ',
        'ARG ',
        'AS ',
        'RUN ',
        '\n',
        '\\\n',
        '$',
        '${',
        '}',
        ':-',
        ':+',
        'a',
        'B=',
        '"',
        '#',
        ' ',
        'scratch',
        '<<EOF',
        'EOF',
        '@',
        ':',
        '/',
        'é',
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          dockerish,
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
        ),
        content => {
          check(content);
        },
      ),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('bounds ARGs that repeat themselves and deeply nested variables', () => {
    const before = cases;
    const attack = fc.record({
      seed: word(1, 8),
      chain: fc.integer({ min: 1, max: 45 }),
      copies: fc.integer({ min: 1, max: 4 }),
      form: fc.constantFrom('$@', '${@}', '${U:-${@}}'),
      nesting: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }) },
      ),
    });
    fc.assert(
      fc.property(attack, ({ seed, chain, copies, form, nesting }) => {
        const ref = (i: number) => form.replace('@', `A${i}`);
        const content = [
          `ARG A0=${seed}`,
          ...Array.from(
            { length: chain },
            (_, i) => `ARG A${i + 1}=${ref(i).repeat(copies)}`,
          ),
          `FROM ${'${U:-'.repeat(nesting)}alpine${'}'.repeat(nesting)}:${ref(
            chain,
          )}`,
        ].join('\n');
        check(content);
      }),
      fuzzRuns(700),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(700);
  });

  it('ran at least 10,000 generated cases in all', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
