/*
 * Base images as real builders record them, through the real backend and the built app in
 * Chromium: images built by Debian's buildah from real Dockerfiles FROM a base in the test
 * registry (OCI format: base annotations; Docker format: no base record), and an index with
 * BuildKit-style SLSA provenance and no annotations or labels (test/harness/buildkit.ts, the
 * documented layout). The base then moves; the Base images tab shows each image's base, the
 * digest it was built on, the base's digest now and the verdict, and names the source.
 */
import type {
  BaseImageReport,
  EntityImageReport,
} from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../harness/browser';
import { Buildah, startBuildah } from '../harness/buildah';
import { pushBuildKitIndex, PushedBuildKitIndex } from '../harness/buildkit';
import { pushImage } from '../harness/images';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { skopeoInspect } from '../harness/skopeo';
import {
  guestToken,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { catalogYaml } from '../harness/catalog';

jest.setTimeout(300_000);

const OUTPUT = path.join(ROOT, 'test-output');
const short = (digest: string) => digest.replace('sha256:', '').slice(0, 12);

describe('base images recorded by real builders: buildah, and BuildKit provenance', () => {
  let registry: TestRegistry;
  let buildah: Buildah;
  let backend: TestBackend;
  let dir: string;
  let h: string;
  let base1: string;
  let base2: string;
  let api: PushedBuildKitIndex;
  let report: EntityImageReport;

  const dockerfile = (h_: string) =>
    [
      `ARG BASE=${h_}/base/runtime`,
      'FROM ${BASE}:1 AS build',
      'COPY app.txt /app.txt',
      'FROM ${BASE}:1',
      'LABEL org.opencontainers.image.title=worker',
      'COPY --from=build /app.txt /srv/app.txt',
    ].join('\n');

  beforeAll(async () => {
    requireBinaries('docker-registry', 'skopeo', 'chromium', 'buildah');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (the README test command does)',
      );
    }
    registry = await startRegistry();
    h = registry.host;
    buildah = startBuildah();
    // The base, built by buildah too.
    const baseDockerfile = [
      'FROM scratch',
      'COPY base.txt /base.txt',
      'LABEL org.example.base=runtime',
    ].join('\n');
    await buildah.buildAndPush({
      image: `${h}/base/runtime:1`,
      dockerfile: baseDockerfile,
      context: { 'base.txt': 'base 1\n' },
    });
    base1 = (await skopeoInspect(`${h}/base/runtime:1`)).Digest;
    // Images built on it: buildah (OCI and Docker formats) and BuildKit-style provenance.
    for (const format of ['oci', 'docker'] as const) {
      await buildah.buildAndPush({
        image: `${h}/shop/worker-${format}:1.0`,
        dockerfile: dockerfile(h),
        context: { 'app.txt': 'worker\n' },
        format,
      });
    }
    const golang = await pushImage(registry.url, 'base/golang', '1.23', {
      files: { v: 'go' },
    });
    const frontend = await pushImage(registry.url, 'docker/dockerfile', '1', {
      files: { v: 'frontend' },
    });
    const apiDockerfile = [
      '# syntax=docker/dockerfile:1',
      `FROM ${h}/base/golang:1.23 AS build`,
      'RUN go build -o /api .',
      `FROM ${h}/base/runtime:1`,
      'COPY --from=build /api /api',
    ].join('\n');
    api = await pushBuildKitIndex(registry.url, 'shop/api', '1.0', [
      {
        image: { created: '2026-11-20T10:01:00Z', files: { v: 'api' } },
        provenance: {
          version: 'v1',
          frontend: {
            ref: `${h}/docker/dockerfile:1`,
            digest: frontend.digest,
          },
          images: [
            { ref: `${h}/base/golang:1.23`, digest: golang.digest },
            { ref: `${h}/base/runtime:1`, digest: base1 },
          ],
          stages: [
            {
              from: { image: 0 },
              line: 2,
              steps: [{ run: 'go build -o /api .' }],
            },
            {
              from: { image: 1 },
              line: 4,
              steps: [{ copy: '/api', from: { stage: 0 } }],
            },
          ],
          dockerfile: apiDockerfile,
        },
      },
    ]);
    // The base moves after the builds.
    await buildah.buildAndPush({
      image: `${h}/base/runtime:1`,
      dockerfile: baseDockerfile,
      context: { 'base.txt': 'base 2\n' },
    });
    base2 = (await skopeoInspect(`${h}/base/runtime:1`)).Digest;

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-builders-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        {
          name: 'builders',
          annotations: {
            'image-freshness/images': [
              `${h}/shop/api:1.0`,
              `${h}/shop/worker-oci:1.0`,
              `${h}/shop/worker-docker:1.0`,
            ].join(','),
            'image-freshness/rebuild-delay': '3d',
          },
        },
      ]),
    );
    backend = await startBackend({
      logName: 'builders-backend',
      config: () => ({
        catalog: { locations: [{ type: 'file', target: catalogFile }] },
        imageFreshness: {
          allowedHosts: [h],
          schedule: {
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
      }),
    });
    const token = await guestToken(backend.url);
    for (let i = 0; i < 240; i++) {
      const res = await fetch(
        `${backend.url}/api/image-freshness/entities/component/default/builders`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      if (res.ok) {
        report = (await res.json()) as EntityImageReport;
        if (
          report.baseImages.length === 3 &&
          report.baseImages.every(
            b => b.verdict.verdict !== 'unknown' || !b.base,
          )
        ) {
          break;
        }
      }
      await new Promise(r => setTimeout(r, 500));
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    await buildah?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const row = (image: string): BaseImageReport => {
    const found = report.baseImages.find(b => b.image === `${h}/${image}`);
    if (!found)
      throw new Error(`no base row for ${image}: ${JSON.stringify(report)}`);
    return found;
  };

  it('buildah (OCI format) records the final FROM and the base manifest digest as annotations, inherits labels, nanosecond created, a history per step', async () => {
    const image = `${h}/shop/worker-oci:1.0`;
    const manifest = await skopeoInspect(image, { raw: true });
    expect(manifest.mediaType).toBe(
      'application/vnd.oci.image.manifest.v1+json',
    );
    expect(manifest.annotations).toEqual({
      'org.opencontainers.image.base.name': `${h}/base/runtime:1`,
      'org.opencontainers.image.base.digest': base1,
    });
    const config = await skopeoInspect(image, { config: true });
    // sub-second precision, written as Go's RFC 3339 with nanoseconds: trailing zeros are trimmed,
    // so 17:15:37.647843100 reads .6478431
    expect(config.created).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$/,
    );
    expect(config.config.Labels).toEqual({
      'io.buildah.version': expect.stringMatching(/^1\.\d+/),
      'org.example.base': 'runtime',
      'org.opencontainers.image.title': 'worker',
    });
    const history = config.history as Array<{
      created_by: string;
      comment?: string;
    }>;
    expect(history.at(-1)).toMatchObject({
      created_by: expect.stringContaining('COPY'),
      comment: `FROM ${h}/base/runtime:1`,
    });
    expect(history.map(e => e.created_by).join('\n')).toContain(
      'LABEL org.opencontainers.image.title=worker',
    );

    // ...and the plugin reads exactly that.
    const container = report.containers.find(c => c.image === image)!;
    expect(container.metadata?.created).toBe(
      new Date(config.created).toISOString(),
    );
    expect(container.metadata?.labels['io.buildah.version']).toBeDefined();
    const base = row('shop/worker-oci:1.0');
    expect(base.base).toMatchObject({
      name: `${h}/base/runtime:1`,
      builtOnDigest: base1,
      currentDigest: base2,
      source: { kind: 'annotation' },
    });
    expect(base.base?.builtOnInferred).toBeUndefined();
    expect(base.verdict.verdict).toBe('updated');
  });

  it('buildah (Docker format) records no base: the report says so', async () => {
    const manifest = await skopeoInspect(`${h}/shop/worker-docker:1.0`, {
      raw: true,
    });
    expect(manifest.mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(manifest.annotations).toBeUndefined();
    const base = row('shop/worker-docker:1.0');
    expect(base.base).toBeUndefined();
    expect(base.verdict).toMatchObject({ verdict: 'unknown' });
    expect(base.verdict.reason).toContain(
      'The image records no org.opencontainers.image.base.name annotation or label',
    );
  });

  it('an index with BuildKit provenance and no annotations or labels: base, built-on and current digests and the verdict, on the API and the Base images tab', async () => {
    const base = row('shop/api:1.0');
    expect(base.imageDigest).toBe(api.images[0].digest);
    expect(base.base).toMatchObject({
      name: `${h}/base/runtime:1`,
      builtOnDigest: base1,
      currentDigest: base2,
      source: {
        kind: 'provenance',
        provenance: {
          attestation: api.attestations[0].digest,
          predicateType: 'https://slsa.dev/provenance/v1',
          determinedBy: 'build-steps',
          dockerfile: {
            path: 'Dockerfile',
            line: 4,
            text: `FROM ${h}/base/runtime:1`,
          },
        },
      },
    });
    expect(base.base?.movedAt).toBeDefined();
    expect(base.verdict.verdict).toBe('updated');
    expect(base.verdict.reason).toContain(`Base ${h}/base/runtime:1 moved on`);

    fs.mkdirSync(OUTPUT, { recursive: true });
    const browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1600, height: 1000 },
    });
    try {
      await page.goto(`${backend.url}/catalog/default/component/builders`);
      await page
        .getByRole('button', { name: 'Enter' })
        .click({ timeout: 60_000 });
      await page
        .getByText('Base images', { exact: true })
        .click({ timeout: 30_000 });
      const apiRow = page
        .getByRole('row')
        .filter({ hasText: `${h}/shop/api:1.0` });
      await apiRow.waitFor({ timeout: 60_000 });
      const text = (await apiRow.textContent()) ?? '';
      expect(text).toContain('base/runtime:1');
      expect(text).toContain(short(base1));
      expect(text).toContain(short(base2));
      expect(text).toContain('moved since the build');
      expect(text).toContain('Provenance');
      expect(text).toContain(
        "SLSA v1, final stage's base, from the build steps",
      );
      expect(text).toContain(`Dockerfile:4`);
      expect(text).toMatch(/Updated/i);
      const ociRow = page
        .getByRole('row')
        .filter({ hasText: `${h}/shop/worker-oci:1.0` });
      expect(await ociRow.textContent()).toContain('Annotation');
      expect(await ociRow.textContent()).toContain(short(base1));
      await page.screenshot({
        path: path.join(OUTPUT, 'base-images-provenance.png'),
        fullPage: true,
      });
    } catch (error) {
      await page.screenshot({
        path: path.join(OUTPUT, 'builders-failure.png'),
        fullPage: true,
      });
      throw error;
    } finally {
      await browser.close();
    }
  });
});
