import {
  deleteManifest,
  pushImage,
  pushIndex,
} from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import type { BaseImageReport } from 'backstage-plugin-image-freshness-common';
import { FileServer, startFileServer } from './__testUtils__/fileServer';
import { createTestParts, entity, testClock } from './__testUtils__/parts';

jest.setTimeout(60_000);

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

describe('BaseImageTracker (real registry, real UrlReader, fixed clock)', () => {
  let registry: TestRegistry;
  let files: FileServer;
  let parts: Awaited<ReturnType<typeof createTestParts>> | undefined;

  beforeAll(async () => {
    [registry, files] = await Promise.all([startRegistry(), startFileServer()]);
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), files?.stop()]);
  });
  afterEach(async () => {
    await parts?.close();
    parts = undefined;
  });

  async function setup(
    clock: ReturnType<typeof testClock>,
    imageFreshness: Record<string, unknown> = {},
  ) {
    parts = await createTestParts({
      registryHost: registry.host,
      readingHost: files.host,
      clock,
      imageFreshness,
    });
    return parts;
  }

  const only = (bases: BaseImageReport[]) => {
    expect(bases).toHaveLength(1);
    return bases[0];
  };

  it('tracks a base recorded in annotations: current, moved (updated), rebuild due after the delay, current after a rebuild', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const p = await setup(clock);
    const baseRef = `${registry.host}/anno/debian:bookworm`;
    const base1 = await pushImage(registry.url, 'anno/debian', 'bookworm', {
      created: '2026-10-30T00:00:00Z',
      files: { 'os-release': 'v1' },
    });
    const child = `${registry.host}/anno/app:1`;
    const pushed = await pushImage(registry.url, 'anno/app', '1', {
      created: '2026-10-31T00:00:00Z',
      annotations: { [BASE_NAME]: baseRef, [BASE_DIGEST]: base1.digest },
    });
    const api = entity('anno', [child]);

    let bases = (await p.refresh(api)).baseImages;
    expect(only(bases)).toEqual({
      image: child,
      imageDigest: pushed.digest,
      managed: false,
      base: {
        name: baseRef,
        builtOnDigest: base1.digest,
        currentDigest: base1.digest,
        strategy: 'Digest',
        checkedAt: '2026-11-01T00:00:00.000Z',
        source: { kind: 'annotation' },
      },
      verdict: {
        verdict: 'current',
        reason: `Built on ${base1.digest.slice(
          0,
          19,
        )}, the digest ${baseRef} points to now`,
      },
    });

    // The base gets fixes: a new digest under the same tag, seen at the next refresh.
    clock.set('2026-11-03T06:00:00Z');
    const base2 = await pushImage(registry.url, 'anno/debian', 'bookworm', {
      created: '2026-11-03T00:00:00Z',
      files: { 'os-release': 'v2' },
    });
    bases = (await p.refresh(api)).baseImages;
    expect(only(bases).base).toMatchObject({
      builtOnDigest: base1.digest,
      currentDigest: base2.digest,
      movedAt: '2026-11-03T06:00:00.000Z',
      rebuildDueAt: '2026-11-10T06:00:00.000Z',
    });
    expect(only(bases).verdict).toEqual({
      verdict: 'updated',
      reason: expect.stringContaining(
        `Base ${baseRef} moved on 2026-11-03 06:00 UTC (built on ${base1.digest.slice(
          0,
          19,
        )}, now ${base2.digest.slice(
          0,
          19,
        )}); a newer image from its publisher is due on 2026-11-10 06:00 UTC (7 days delay), in 7 days`,
      ),
    });

    // Reports are read at later times without refreshing: the verdict follows the clock.
    clock.set('2026-11-10T05:00:00Z');
    expect(only((await p.report(api)).baseImages).verdict.verdict).toBe(
      'updated',
    );
    clock.set('2026-11-10T06:00:00Z');
    expect(only((await p.report(api)).baseImages).verdict).toEqual({
      verdict: 'rebuild-due',
      reason: expect.stringContaining(
        'was due on 2026-11-10 06:00 UTC (7 days delay), 0 hours ago',
      ),
    });
    // A refresh at that time keeps when the base moved.
    expect(only((await p.refresh(api)).baseImages).base?.movedAt).toBe(
      '2026-11-03T06:00:00.000Z',
    );

    // The entity's own delay wins over the default.
    clock.set('2026-11-05T07:00:00Z');
    const patient = entity('anno', [child], {
      'image-freshness/rebuild-delay': '2d',
    });
    expect(only((await p.report(patient)).baseImages)).toMatchObject({
      base: { rebuildDueAt: '2026-11-05T06:00:00.000Z' },
      verdict: { verdict: 'rebuild-due' },
    });

    // Rebuilt on the new base: current again.
    clock.set('2026-11-11T00:00:00Z');
    const rebuilt = await pushImage(registry.url, 'anno/app', '1', {
      created: '2026-11-10T23:00:00Z',
      annotations: { [BASE_NAME]: baseRef, [BASE_DIGEST]: base2.digest },
    });
    bases = (await p.refresh(api)).baseImages;
    expect(only(bases)).toMatchObject({
      imageDigest: rebuilt.digest,
      base: { builtOnDigest: base2.digest, currentDigest: base2.digest },
      verdict: { verdict: 'current' },
    });
    expect(only(bases).base?.movedAt).toBeUndefined();
  });

  it('reads the base from config labels when the manifest has no annotations, and reports images without base information as unknown', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const p = await setup(clock);
    const base = await pushImage(registry.url, 'label/alpine', '3.20', {
      files: { v: '1' },
    });
    const labelled = `${registry.host}/label/app:1`;
    await pushImage(registry.url, 'label/app', '1', {
      labels: {
        [BASE_NAME]: `${registry.host}/label/alpine:3.20`,
        [BASE_DIGEST]: base.digest,
      },
    });
    const plain = `${registry.host}/label/plain:1`;
    await pushImage(registry.url, 'label/plain', '1', { files: { p: '1' } });
    const bases = (await p.refresh(entity('label', [labelled, plain])))
      .baseImages;
    const byImage = Object.fromEntries(bases.map(b => [b.image, b]));
    expect(byImage[labelled].base?.source).toEqual({ kind: 'label' });
    expect(byImage[labelled].verdict.verdict).toBe('current');
    expect(byImage[plain]).toMatchObject({
      managed: false,
      verdict: {
        verdict: 'unknown',
        reason:
          'The image records no org.opencontainers.image.base.name annotation or label, and the entity declares no Dockerfile (image-freshness/dockerfile) to read it from (external image, monitored by its tag)',
      },
    });
    expect(byImage[plain].base).toBeUndefined();
  });

  it('reads the final stage of the Dockerfile through the UrlReader, infers the built-on digest, discovers newer SemVer tags, and keeps the last good base when the Dockerfile breaks', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const repo = `${registry.host}/df/node`;
    const p = await setup(clock, {
      rebuildDelay: '3d',
      baseImages: {
        tracking: [
          {
            repository: repo,
            strategy: 'SemVer',
            constraint: '^22',
            allowTags: ['-bookworm-slim$'],
          },
        ],
      },
    });
    const node = await pushImage(
      registry.url,
      'df/node',
      '22.11.0-bookworm-slim',
      {
        created: '2026-10-20T00:00:00Z',
        files: { node: '22.11.0' },
      },
    );
    await pushImage(registry.url, 'df/node', '22.12.0-alpine', {
      files: { node: 'alpine' },
    });
    await pushImage(registry.url, 'df/node', '23.0.0-bookworm-slim', {
      files: { node: '23' },
    });
    const child = `${registry.host}/df/app:1.0`;
    const pushed = await pushImage(registry.url, 'df/app', '1.0', {
      created: '2026-10-25T00:00:00Z',
    });
    const dockerfilePath = '/acme/app/tree/main/docker/Dockerfile.app';
    const dockerfile = [
      `ARG REGISTRY=${registry.host}`,
      'ARG NODE=22.11.0',
      'FROM --platform=$BUILDPLATFORM ${REGISTRY}/df/node:${NODE}-bookworm-slim AS build',
      'RUN npm ci',
      'FROM build AS test',
      'RUN npm test',
      'FROM build',
      'CMD ["node", "main.js"]',
    ].join('\n');
    files.set(dockerfilePath, dockerfile);
    const api = entity('df', [child], {
      'backstage.io/source-location': `url:${files.url}/acme/app/tree/main/`,
      'image-freshness/dockerfile': 'docker/Dockerfile.app',
    });

    let base = only((await p.refresh(api)).baseImages);
    expect(files.requests()).toContain(dockerfilePath);
    expect(base).toEqual({
      image: child,
      imageDigest: pushed.digest,
      managed: true,
      base: {
        name: `${registry.host}/df/node:22.11.0-bookworm-slim`,
        builtOnDigest: node.digest,
        builtOnInferred: 'first-seen',
        currentDigest: node.digest,
        strategy: 'SemVer',
        checkedAt: '2026-11-01T00:00:00.000Z',
        source: {
          kind: 'dockerfile',
          dockerfile: {
            path: 'docker/Dockerfile.app',
            url: `${files.url}${dockerfilePath}`,
            line: 3,
            text: 'FROM --platform=$BUILDPLATFORM ${REGISTRY}/df/node:${NODE}-bookworm-slim AS build',
          },
          platform: '$BUILDPLATFORM',
        },
      },
      verdict: {
        verdict: 'current',
        reason: expect.stringContaining(
          '(built-on digest assumed to be the first one seen)',
        ),
      },
    });

    // A newer allowed version appears (23.0.0 is outside ^22, alpine is not allowed).
    clock.set('2026-11-02T00:00:00Z');
    await pushImage(registry.url, 'df/node', '22.12.0-bookworm-slim', {
      files: { node: '22.12.0' },
    });
    base = only((await p.refresh(api)).baseImages);
    expect(base.base).toMatchObject({
      newestTag: '22.12.0-bookworm-slim',
      newerTags: ['22.12.0-bookworm-slim'],
      newerTagSince: '2026-11-02T00:00:00.000Z',
      rebuildDueAt: '2026-11-05T00:00:00.000Z',
    });
    expect(base.verdict).toEqual({
      verdict: 'updated',
      reason: expect.stringContaining(
        'A newer base tag 22.12.0-bookworm-slim is allowed (newer tags seen since 2026-11-02 00:00 UTC); a rebuild is due on 2026-11-05 00:00 UTC (3 days delay)',
      ),
    });

    // The Dockerfile breaks: a classified error naming file and line; the last good base stays.
    clock.set('2026-11-05T00:00:00Z');
    files.set(
      dockerfilePath,
      dockerfile.replace('FROM build\n', 'FROM build AS\n'),
    );
    base = only((await p.refresh(api)).baseImages);
    expect(base.error).toMatchObject({
      class: 'INVALID_REQUEST',
      message: `Dockerfile docker/Dockerfile.app line 7 (${files.url}${dockerfilePath}): FROM has 2 arguments (build AS); write FROM image[:tag][@digest] [AS name]`,
      advice: expect.stringContaining('Fix docker/Dockerfile.app line 7'),
      at: '2026-11-05T00:00:00.000Z',
    });
    expect(base.base?.newestTag).toBe('22.12.0-bookworm-slim');
    expect(base.verdict.verdict).toBe('rebuild-due');

    // The Dockerfile disappears: NOT_FOUND, still the last good base.
    files.set(dockerfilePath, undefined);
    base = only((await p.refresh(api)).baseImages);
    expect(base.error).toMatchObject({
      class: 'NOT_FOUND',
      advice: expect.stringContaining(
        'image-freshness/dockerfile ("docker/Dockerfile.app")',
      ),
    });
    expect(base.base?.name).toBe(
      `${registry.host}/df/node:22.11.0-bookworm-slim`,
    );

    // Fixed: the Dockerfile moves to 22.12.0 and the image is rebuilt on it.
    clock.set('2026-11-06T00:00:00Z');
    files.set(
      dockerfilePath,
      dockerfile.replace('NODE=22.11.0', 'NODE=22.12.0'),
    );
    await pushImage(registry.url, 'df/app', '1.0', {
      created: '2026-11-05T12:00:00Z',
    });
    base = only((await p.refresh(api)).baseImages);
    expect(base.error).toBeUndefined();
    expect(base.base).toMatchObject({
      name: `${registry.host}/df/node:22.12.0-bookworm-slim`,
    });
    expect(base.base?.newestTag).toBeUndefined();
    expect(base.verdict.verdict).toBe('current');
  });

  it('infers the built-on digest of a tag-only FROM from the build time, and keeps a digest-pinned FROM', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const p = await setup(clock);
    const baseRef = `${registry.host}/infer/debian:bookworm`;
    const d1 = await pushImage(registry.url, 'infer/debian', 'bookworm', {
      files: { v: '1' },
    });
    const tagOnly = `${registry.host}/infer/tagonly:1`;
    const pinned = `${registry.host}/infer/pinned:1`;
    await pushImage(registry.url, 'infer/tagonly', '1', {
      created: '2026-10-31T00:00:00Z',
    });
    await pushImage(registry.url, 'infer/pinned', '1', {
      created: '2026-10-31T00:00:00Z',
    });
    files.set('/infer/tagonly/Dockerfile', `FROM ${baseRef}\n`);
    files.set('/infer/pinned/Dockerfile', `FROM ${baseRef}@${d1.digest}\n`);
    const tagOnlyEntity = entity('tagonly', [tagOnly], {
      'backstage.io/source-location': `url:${files.url}/infer/tagonly`,
      'image-freshness/dockerfile': 'Dockerfile',
    });
    const pinnedEntity = entity('pinned', [pinned], {
      'backstage.io/source-location': `url:${files.url}/infer/pinned/`,
      'image-freshness/dockerfile': 'Dockerfile',
    });
    await p.refresh(tagOnlyEntity);
    await p.refresh(pinnedEntity);

    clock.set('2026-11-02T00:00:00Z');
    const d2 = await pushImage(registry.url, 'infer/debian', 'bookworm', {
      files: { v: '2' },
    });
    let tagOnlyBase = only((await p.refresh(tagOnlyEntity)).baseImages);
    expect(tagOnlyBase.base).toMatchObject({
      builtOnDigest: d1.digest,
      builtOnInferred: 'first-seen',
      currentDigest: d2.digest,
      movedAt: '2026-11-02T00:00:00.000Z',
    });
    const pinnedBase = only((await p.refresh(pinnedEntity)).baseImages);
    expect(pinnedBase.base).toMatchObject({
      name: `${baseRef}@${d1.digest}`,
      builtOnDigest: d1.digest,
      currentDigest: d2.digest,
      movedAt: '2026-11-02T00:00:00.000Z',
    });
    expect(pinnedBase.base?.builtOnInferred).toBeUndefined();

    // Rebuilt after the base moved: the digest current at build time per the history.
    clock.set('2026-11-03T00:00:00Z');
    await pushImage(registry.url, 'infer/tagonly', '1', {
      created: '2026-11-02T12:00:00Z',
    });
    tagOnlyBase = only((await p.refresh(tagOnlyEntity)).baseImages);
    expect(tagOnlyBase.base).toMatchObject({
      builtOnDigest: d2.digest,
      builtOnInferred: 'build-time',
    });
    expect(tagOnlyBase.verdict).toEqual({
      verdict: 'current',
      reason: expect.stringContaining(
        '(built-on digest inferred from the build time)',
      ),
    });
  });

  it('recognises scratch, skips the Dockerfile for a sidecar from another repository, and keeps the last good base when the registry loses it', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const p = await setup(clock);
    const app = `${registry.host}/misc/app:1`;
    const sidecar = `${registry.host}/misc/proxy:1`;
    await pushImage(registry.url, 'misc/app', '1', {
      labels: { 'org.opencontainers.image.source': `${files.url}/acme/static` },
    });
    await pushImage(registry.url, 'misc/proxy', '1', {
      labels: {
        'org.opencontainers.image.source': 'https://example.com/other/proxy',
      },
    });
    files.set(
      '/acme/static/Dockerfile',
      'FROM golang:1.23 AS build\nFROM --platform=linux/arm64 scratch\nCOPY --from=build /app /app\n',
    );
    const statics = entity('static', [app, sidecar], {
      'backstage.io/source-location': `url:${files.url}/acme/static/`,
      'image-freshness/dockerfile': 'Dockerfile',
    });
    const bases = Object.fromEntries(
      (await p.refresh(statics)).baseImages.map(b => [b.image, b]),
    );
    expect(bases[app]).toMatchObject({
      managed: true,
      base: {
        name: 'scratch',
        source: {
          kind: 'dockerfile',
          platform: 'linux/arm64',
          dockerfile: { line: 2, text: 'FROM --platform=linux/arm64 scratch' },
        },
      },
      verdict: {
        verdict: 'current',
        reason: 'Built FROM scratch: there is no base image that could move',
      },
    });
    expect(bases[sidecar]).toMatchObject({
      managed: false,
      verdict: {
        verdict: 'unknown',
        reason: expect.stringContaining(
          "is another repository than the entity's",
        ),
      },
    });

    // A base the registry loses: NOT_FOUND beside the last good facts.
    const base = await pushImage(registry.url, 'misc/base', '1', {
      files: { b: '1' },
    });
    const child = `${registry.host}/misc/child:1`;
    await pushImage(registry.url, 'misc/child', '1', {
      annotations: {
        [BASE_NAME]: `${registry.host}/misc/base:1`,
        [BASE_DIGEST]: base.digest,
      },
    });
    const withBase = entity('lost', [child]);
    await p.refresh(withBase);
    await deleteManifest(registry.url, 'misc/base', base.digest);
    clock.set('2026-11-02T00:00:00Z');
    const lost = only((await p.refresh(withBase)).baseImages);
    expect(lost.error).toMatchObject({ class: 'NOT_FOUND' });
    expect(lost.error?.message).toContain(
      `Base ${registry.host}/misc/base:1 of ${child}`,
    );
    expect(lost.base).toMatchObject({
      currentDigest: base.digest,
      checkedAt: '2026-11-01T00:00:00.000Z',
    });
    expect(lost.verdict.verdict).toBe('current');
  });

  it('matches a multi-arch base by index or platform digest, with base annotations on a multi-arch child index', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const p = await setup(clock);
    const arches = (v: string) => [
      { files: { v }, platform: { os: 'linux', architecture: 'amd64' } },
      {
        files: { v },
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
    ];
    const base1 = await pushIndex(registry.url, 'multi/base', '1', arches('1'));
    const baseRef = `${registry.host}/multi/base:1`;
    const arm64 = base1.manifests[1];
    // The child is multi-arch too; its index carries the base annotations, naming
    // the arm64 manifest of the base (what a per-platform build records).
    await pushIndex(registry.url, 'multi/app', '1', arches('app'), {
      annotations: { [BASE_NAME]: baseRef, [BASE_DIGEST]: arm64.digest },
    });
    const app = entity('multi', [`${registry.host}/multi/app:1`], {
      'image-freshness/platform': 'linux/arm64/v8',
    });
    let base = only((await p.refresh(app)).baseImages);
    expect(base).toMatchObject({
      base: {
        builtOnDigest: arm64.digest,
        currentDigest: base1.digest,
        source: { kind: 'annotation' },
      },
      verdict: { verdict: 'current' },
    });

    clock.set('2026-11-02T00:00:00Z');
    const base2 = await pushIndex(registry.url, 'multi/base', '1', arches('2'));
    base = only((await p.refresh(app)).baseImages);
    expect(base.base).toMatchObject({
      builtOnDigest: arm64.digest,
      currentDigest: base2.digest,
      movedAt: '2026-11-02T00:00:00.000Z',
    });
    expect(base.verdict.verdict).toBe('updated');
  });

  it('never fails the container refresh when tracking fails', async () => {
    const clock = testClock('2026-11-01T00:00:00Z');
    const p = await setup(clock);
    const image = `${registry.host}/fail/app:1`;
    const pushed = await pushImage(registry.url, 'fail/app', '1');
    // The tracker's table is gone: tracking throws, the container refresh does not.
    await p.knex.schema.dropTable('entity_base_images');
    const summary = await p.refresher.refresh(entity('fail', [image]));
    expect(summary).toEqual({
      entityRef: 'component:default/fail',
      containers: 1,
      errors: 0,
    });
    const stored = await p.freshnessStore.getEntity('component:default/fail');
    expect(stored?.containers[0].digest).toBe(pushed.digest);
    expect(stored?.refreshedAt.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(p.logger.warn).toHaveBeenCalledWith('Could not track base images', {
      entityRef: 'component:default/fail',
      error: expect.stringContaining('entity_base_images'),
    });
  });
});
