import catalogPlugin from '@backstage/plugin-catalog-backend';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import type {
  BaseImageReport,
  EntityImageReport,
} from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startPluginBackend,
  waitForComponent,
} from '../__testUtils__/pluginBackend';
import { FileServer, startFileServer } from './__testUtils__/fileServer';

jest.setTimeout(120_000);

const component = (name: string, annotations: Record<string, string>) => `
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
${Object.entries(annotations)
  .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
  .join('\n')}
spec:
  type: service
  lifecycle: production
  owner: team-a
`;

describe('base images in the real backend (real catalog, registry, UrlReader)', () => {
  let registry: TestRegistry;
  let files: FileServer;
  let dir: string;

  beforeAll(async () => {
    [registry, files] = await Promise.all([startRegistry(), startFileServer()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-bases-'));
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), files?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the base of every image: Dockerfile, annotation and NewestBuild tracking, with verdicts after the base moves', async () => {
    const h = registry.host;
    // Bases
    await pushImage(registry.url, 'runtime/node', '22.11.0-bookworm-slim', {
      created: '2026-11-01T00:00:00Z',
      files: { v: '22.11.0' },
    });
    await pushImage(registry.url, 'runtime/node', '22.12.0-bookworm-slim', {
      created: '2026-11-10T00:00:00Z',
      files: { v: '22.12.0' },
    });
    const debian1 = await pushImage(
      registry.url,
      'runtime/debian',
      'bookworm',
      {
        created: '2026-11-01T00:00:00Z',
        files: { v: '1' },
      },
    );
    const nightly1 = await pushImage(
      registry.url,
      'runtime/tools',
      'nightly-a',
      {
        created: '2026-11-01T00:00:00Z',
        files: { v: 'a' },
      },
    );
    // Children
    await pushImage(registry.url, 'acme/api', '1.0', {
      created: '2026-11-02T00:00:00Z',
    });
    await pushImage(registry.url, 'acme/worker', '2.0', {
      created: '2026-11-02T00:00:00Z',
      annotations: {
        'org.opencontainers.image.base.name': `${h}/runtime/debian:bookworm`,
        'org.opencontainers.image.base.digest': debian1.digest,
      },
    });
    await pushImage(registry.url, 'acme/cli', '3.0', {
      created: '2026-11-02T00:00:00Z',
      labels: {
        'org.opencontainers.image.base.name': `${h}/runtime/tools:nightly-a`,
        'org.opencontainers.image.base.digest': nightly1.digest,
      },
    });
    files.set(
      '/acme/api/blob/main/build/Dockerfile',
      [
        `ARG BASE=${h}/runtime/node`,
        'ARG NODE_VERSION=22.11.0',
        'FROM ${BASE}:${NODE_VERSION}-bookworm-slim AS deps',
        'FROM deps AS build',
        'RUN npm run build',
        'FROM deps',
        'COPY --from=build /app/dist /app',
      ].join('\n'),
    );

    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(
      catalogFile,
      [
        component('api', {
          'image-freshness/images': `${h}/acme/api:1.0`,
          'image-freshness/dockerfile': 'build/Dockerfile',
          'backstage.io/source-location': `url:${files.url}/acme/api/blob/main/`,
          'image-freshness/rebuild-delay': '0s',
        }),
        component('worker', {
          'image-freshness/images': `${h}/acme/worker:2.0`,
        }),
        component('cli', { 'image-freshness/images': `${h}/acme/cli:3.0` }),
      ].join('---\n'),
    );

    const { backend, scheduler } = await startPluginBackend({
      features: [catalogPlugin],
      config: {
        backend: { reading: { allow: [{ host: files.host }] } },
        catalog: {
          rules: [{ allow: ['Component'] }],
          locations: [{ type: 'file', target: catalogFile }],
        },
        imageFreshness: {
          cacheDuration: '0s',
          allowedHosts: [h],
          rebuildDelay: '7d',
          // The test triggers each run itself, the second right after the
          // first: a manually triggered schedule has no interval, so every
          // run refreshes every entity.
          schedule: {
            frequency: { trigger: 'manual' },
            timeout: { minutes: 1 },
          },
          baseImages: {
            tracking: [
              {
                repository: `${h}/runtime/node`,
                strategy: 'SemVer',
                constraint: '^22',
                allowTags: ['-bookworm-slim$'],
              },
              {
                repository: `${h}/runtime/tools`,
                strategy: 'NewestBuild',
                allowTags: ['^nightly-'],
                discoveryLimit: 5,
              },
            ],
          },
        },
      },
    });
    const bases = async (name: string): Promise<BaseImageReport> => {
      const res = await request(backend.server).get(
        `/api/image-freshness/entities/component/default/${name}`,
      );
      expect(res.status).toBe(200);
      const report = res.body as EntityImageReport;
      expect(report.baseImages).toHaveLength(1);
      return report.baseImages[0];
    };
    try {
      await waitForComponent(backend.server, 'cli');
      const before = new Date();
      await scheduler.triggerTask('image-freshness-refresh');

      const api = await bases('api');
      expect(api).toMatchObject({
        image: `${h}/acme/api:1.0`,
        managed: true,
        base: {
          name: `${h}/runtime/node:22.11.0-bookworm-slim`,
          strategy: 'SemVer',
          newestTag: '22.12.0-bookworm-slim',
          source: {
            kind: 'dockerfile',
            dockerfile: {
              path: 'build/Dockerfile',
              url: `${files.url}/acme/api/blob/main/build/Dockerfile`,
              line: 3,
              text: 'FROM ${BASE}:${NODE_VERSION}-bookworm-slim AS deps',
            },
          },
        },
        // a newer allowed version with a 0s delay: due at once
        verdict: { verdict: 'rebuild-due' },
      });
      expect(api.verdict.reason).toContain(
        'A newer base tag 22.12.0-bookworm-slim is allowed',
      );

      expect(await bases('worker')).toMatchObject({
        managed: false,
        base: {
          name: `${h}/runtime/debian:bookworm`,
          builtOnDigest: debian1.digest,
          currentDigest: debian1.digest,
          strategy: 'Digest',
          source: { kind: 'annotation' },
        },
        verdict: { verdict: 'current' },
      });
      const cli = await bases('cli');
      expect(cli).toMatchObject({
        base: { strategy: 'NewestBuild', source: { kind: 'label' } },
        verdict: { verdict: 'current' },
      });
      expect(cli.base?.newestTag).toBeUndefined();

      // The bases move: debian gets a new digest, tools a newer nightly build.
      const debian2 = await pushImage(
        registry.url,
        'runtime/debian',
        'bookworm',
        {
          created: '2026-11-20T00:00:00Z',
          files: { v: '2' },
        },
      );
      await pushImage(registry.url, 'runtime/tools', 'nightly-b', {
        created: '2026-11-20T00:00:00Z',
        files: { v: 'b' },
      });
      const moved = new Date();
      await scheduler.triggerTask('image-freshness-refresh');
      const after = new Date();

      const worker = await bases('worker');
      expect(worker).toMatchObject({
        base: { builtOnDigest: debian1.digest, currentDigest: debian2.digest },
        verdict: { verdict: 'updated' },
      });
      const movedAt = Date.parse(worker.base!.movedAt!);
      expect(movedAt).toBeGreaterThanOrEqual(moved.getTime());
      expect(movedAt).toBeLessThanOrEqual(after.getTime());
      expect(Date.parse(worker.base!.rebuildDueAt!) - movedAt).toBe(
        7 * 24 * 3600_000,
      );

      const cliAfter = await bases('cli');
      expect(cliAfter.base).toMatchObject({
        newestTag: 'nightly-b',
        newerTags: ['nightly-b'],
      });
      expect(cliAfter.verdict.verdict).toBe('updated');
      expect(Date.parse(cliAfter.base!.newerTagSince!)).toBeGreaterThanOrEqual(
        before.getTime(),
      );
    } finally {
      await backend.stop();
    }
  });
});
