/**
 * Fuzzes what the client does with manifest, index and config bodies, through
 * the real OciClient.inspect (transport, digest checks, parsing, platform
 * selection) over an in-memory registry given as `fetch`. Valid multi-arch
 * and single images must give the entry the selection rules pick (wanted
 * platform, else linux/amd64, else the first, never an attestation) with its
 * digest, config, labels and size. Mutated bodies (fields missing, wrong types,
 * null, huge arrays, bad digests) and arbitrary JSON must end in an OciError of
 * the documented classes, or in details of the documented types; never a
 * TypeError, never a hang.
 */
import {
  expectClassified,
  fuzzRuns,
  FUZZ_TEST_TIMEOUT_MS,
  runCaseAsync,
} from '@internal/test/harness/fuzz';
import fc from 'fast-check';
import { OciClient } from '../client';
import { OciError, OciErrorCode } from '../errors';
import { MEDIA_TYPES } from '../manifest';
import { parsePlatform } from '../platform';
import { ImageDetails } from './inspect';
import { Json, MemoryRegistry as Store } from '../testing/memoryRegistry';

const PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm64/v8',
  'linux/arm/v7',
  'linux/s390x',
  'windows/amd64',
  'unknown/unknown',
];
/** linux/arm64 means linux/arm64/v8: one entry for both. */
const samePlatform = (p: string) =>
  p === 'linux/arm64' ? 'linux/arm64/v8' : p;

const label = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.string({ maxLength: 10 }),
  { maxKeys: 3 },
);
const created = fc.option(
  fc
    .date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2030-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map(d => d.toISOString()),
);

const imageSpec = fc.record({
  created,
  labels: label,
  layers: fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 4 }),
  docker: fc.boolean(),
});

const indexSpec = fc.record({
  entries: fc.uniqueArray(
    fc.record({ platform: fc.constantFrom(...PLATFORMS), image: imageSpec }),
    { minLength: 0, maxLength: 5, selector: e => samePlatform(e.platform) },
  ),
  docker: fc.boolean(),
  /** Attestation entries marked only by annotation. */
  attestationByAnnotation: fc.boolean(),
});

const wanted = fc.option(
  fc.constantFrom(
    'linux/arm64/v8',
    'linux/arm64',
    'linux/arm/v7',
    'linux/s390x',
    'windows/amd64',
    'linux/riscv64',
  ),
);

type ImageSpec = typeof imageSpec extends fc.Arbitrary<infer T> ? T : never;
type IndexSpec = typeof indexSpec extends fc.Arbitrary<infer T> ? T : never;

/** A place in a JSON document and what happens there. */
interface Mutation {
  level: 'config' | 'manifest' | 'index';
  path: string[];
  action: 'delete' | 'set';
  value?: Json;
}

const odd: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    -1,
    1e308,
    'sha256:../../v2/_catalog',
    'not-a-digest',
    true,
    [],
    {},
    // An own property named __proto__, as JSON.parse makes it.
    JSON.parse('{"__proto__": "x"}'),
    Array.from({ length: 20_000 }, () => ({ size: 1 })),
  ),
  fc.string({ maxLength: 5 }),
  fc.array(fc.constant(null), { minLength: 1, maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  level: fc.constantFrom('config', 'manifest', 'index'),
  path: fc.array(
    fc.constantFrom(
      'config',
      'layers',
      'manifests',
      'annotations',
      'mediaType',
      'schemaVersion',
      'digest',
      'size',
      'platform',
      'os',
      'architecture',
      'variant',
      'created',
      'Labels',
      '0',
      '1',
      'org.opencontainers.image.created',
      'vnd.docker.reference.type',
    ),
    { minLength: 1, maxLength: 4 },
  ),
  action: fc.constantFrom('delete', 'set'),
  value: odd,
});

function mutate(doc: Json, path: string[], action: string, value?: Json): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  let node: Json = copy;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return copy;
    node = (node as Record<string, Json>)[key];
  }
  if (node === null || typeof node !== 'object') return copy;
  const last = path[path.length - 1];
  if (action === 'delete') delete (node as Record<string, Json>)[last];
  else (node as Record<string, Json>)[last] = value ?? null;
  return copy;
}

function apply(
  doc: Json,
  level: Mutation['level'],
  mutations: Mutation[],
): Json {
  return mutations
    .filter(m => m.level === level)
    .reduce((d, m) => mutate(d, m.path, m.action, m.value), doc);
}

interface Pushed {
  digest: string;
  configDigest: string;
  size: number;
  spec: ImageSpec;
}

function pushImage(
  store: Store,
  spec: ImageSpec,
  platform: string | undefined,
  mutations: Mutation[],
): Pushed {
  const [os, architecture, variant] = (platform ?? 'linux/amd64').split('/');
  const config = apply(
    {
      ...(spec.created ? { created: spec.created } : {}),
      os,
      architecture,
      ...(variant ? { variant } : {}),
      config: { Labels: spec.labels },
      rootfs: { type: 'layers', diff_ids: [] },
    },
    'config',
    mutations,
  );
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = store.putBlob(configBytes);
  const manifest = apply(
    {
      schemaVersion: 2,
      mediaType: spec.docker
        ? MEDIA_TYPES.dockerManifest
        : MEDIA_TYPES.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: configBytes.length,
      },
      layers: spec.layers.map((size, i) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: `sha256:${String(i).padStart(64, '0')}`,
        size,
      })),
    },
    'manifest',
    mutations,
  );
  const digest = store.putManifest(
    manifest,
    spec.docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest,
    platform === undefined ? 'v1' : undefined,
  );
  return {
    digest,
    configDigest,
    size: configBytes.length + spec.layers.reduce((a, b) => a + b, 0),
    spec,
  };
}

function pushIndex(store: Store, spec: IndexSpec, mutations: Mutation[]) {
  const pushed = spec.entries.map(e => ({
    platform: e.platform,
    image: pushImage(store, e.image, e.platform, mutations),
  }));
  const type = spec.docker
    ? MEDIA_TYPES.dockerManifestList
    : MEDIA_TYPES.ociIndex;
  const index = apply(
    {
      schemaVersion: 2,
      mediaType: type,
      manifests: pushed.map(({ platform, image }) => {
        const [os, architecture, variant] = platform.split('/');
        const attestation = platform === 'unknown/unknown';
        return {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: image.digest,
          size: 1,
          ...(attestation && spec.attestationByAnnotation
            ? {
                annotations: {
                  'vnd.docker.reference.type': 'attestation-manifest',
                },
              }
            : {
                platform: { os, architecture, ...(variant ? { variant } : {}) },
              }),
        };
      }),
    },
    'index',
    mutations,
  );
  store.putManifest(index, type, 'v1');
  return pushed;
}

/** The entry the selection rules pick: wanted, else linux/amd64, else the first image. */
function expectedPick<T extends { platform: string }>(
  entries: T[],
  want?: string,
) {
  const images = entries.filter(e => e.platform !== 'unknown/unknown');
  return (
    (want &&
      images.find(e => samePlatform(e.platform) === samePlatform(want))) ||
    images.find(e => e.platform === 'linux/amd64') ||
    images[0]
  );
}

/** The documented classes; a Record, so the compiler keeps it in step with OciErrorCode. */
const CLASSES: Record<OciErrorCode, true> = {
  TIMEOUT: true,
  INVALID_REQUEST: true,
  AUTHENTICATION: true,
  NOT_FOUND: true,
  RATE_LIMITED: true,
  SERVER_ERROR: true,
  DIGEST_MISMATCH: true,
  TOO_LARGE: true,
  BLOCKED_HOST: true,
  UNKNOWN: true,
};

let cases = 0;

async function inspect(store: Store, want: string | undefined, input: unknown) {
  cases++;
  const client = new OciClient({ fetch: store.fetch, retry: { retries: 0 } });
  const outcome = await runCaseAsync(input, () =>
    client.inspect('localhost:5000/app:v1', {
      platform: want ? parsePlatform(want) : undefined,
    }),
  );
  if (!outcome.ok) {
    expectClassified(
      outcome.error,
      e =>
        e instanceof OciError &&
        CLASSES[e.code] === true &&
        e.host === 'localhost:5000' &&
        e.message.includes('localhost:5000'),
      input,
    );
    return undefined;
  }
  expectWellTyped(outcome.value);
  return outcome.value;
}

/** What ImageDetails promises, checked on whatever came back. */
function expectWellTyped(details: ImageDetails) {
  const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;
  expect(details.digest).toMatch(DIGEST);
  expect(details.configDigest).toMatch(DIGEST);
  if (details.indexDigest !== undefined)
    expect(details.indexDigest).toMatch(DIGEST);
  expect(typeof details.mediaType).toBe('string');
  expect(Number.isSafeInteger(details.size) && details.size >= 0).toBe(true);
  for (const record of [details.labels, details.annotations]) {
    expect(
      record !== null && typeof record === 'object' && !Array.isArray(record),
    ).toBe(true);
    for (const value of Object.values(record))
      expect(typeof value).toBe('string');
  }
  if (details.created !== undefined) {
    expect(new Date(details.created).toISOString()).toBe(details.created);
  }
  if (details.platform) {
    expect(typeof details.platform.os).toBe('string');
    expect(typeof details.platform.architecture).toBe('string');
    if (details.platform.variant !== undefined)
      expect(typeof details.platform.variant).toBe('string');
  }
}

describe('OciClient.inspect under fuzzing', () => {
  jest.setTimeout(FUZZ_TEST_TIMEOUT_MS);

  it('picks the right entry of valid indexes and reads valid images', async () => {
    const before = cases;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(indexSpec, imageSpec),
        wanted,
        async (spec, want) => {
          const store = new Store();
          const isIndex = 'entries' in spec;
          const entries = isIndex ? pushIndex(store, spec, []) : [];
          const single = isIndex
            ? undefined
            : pushImage(store, spec, undefined, []);
          const details = await inspect(store, want ?? undefined, {
            spec,
            want,
          });
          const pick = isIndex
            ? expectedPick(entries, want ?? undefined)?.image
            : single;
          // No image in the index: an OciError (inspect() answers undefined); else the pick.
          expect(details === undefined).toBe(pick === undefined);
          expect(details ?? {}).toMatchObject(
            pick
              ? {
                  digest: pick.digest,
                  configDigest: pick.configDigest,
                  labels: pick.spec.labels,
                  size: pick.size,
                  created: pick.spec.created ?? undefined,
                }
              : {},
          );
        },
      ),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('answers mutated manifests, indexes and configs with OciErrors or well-typed details', async () => {
    const before = cases;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(indexSpec, imageSpec),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        wanted,
        async (spec, mutations, want) => {
          const store = new Store();
          if ('entries' in spec) pushIndex(store, spec, mutations);
          else pushImage(store, spec, undefined, mutations);
          await inspect(store, want ?? undefined, { spec, mutations, want });
        },
      ),
      fuzzRuns(4000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(4000);
  });

  it('answers arbitrary JSON and bytes as the manifest with OciErrors or well-typed details', async () => {
    const before = cases;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map(v => Buffer.from(JSON.stringify(v) ?? 'null')),
          fc.json().map(t => Buffer.from(t)),
          fc.uint8Array({ maxLength: 200 }).map(a => Buffer.from(a)),
          fc
            .string({ unit: 'grapheme', maxLength: 100 })
            .map(s => Buffer.from(s)),
        ),
        fc.constantFrom(...Object.values(MEDIA_TYPES), 'text/plain', ''),
        async (bytes, type) => {
          const store = new Store();
          store.putManifest(bytes, type, 'v1');
          await inspect(store, undefined, bytes.toString('utf8'));
        },
      ),
      fuzzRuns(3000),
    );
    // Every generated case ran (none skipped, the run not cut short).
    expect(cases - before).toBe(3000);
  });

  it('ran at least 10,000 generated cases in all', () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
