import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import {
  BackendFeature,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockServices } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { deleteManifest, pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { skopeoInspect } from '@internal/test/harness/skopeo';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startPluginBackend,
  waitForComponent,
} from './__testUtils__/pluginBackend';

jest.setTimeout(120_000);

/** Runs only when triggered; every run refreshes every entity (no interval to wait). */
const MANUAL_SCHEDULE = {
  frequency: { trigger: 'manual' },
  timeout: { minutes: 1 },
};

const entityYaml = (images: string) => `
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: api
  annotations:
    image-freshness/images: "${images}"
spec:
  type: service
  lifecycle: production
  owner: team-a
`;

describe('image-freshness backend plugin (real catalog, real registry)', () => {
  let registry: TestRegistry;
  let dir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-plugin-'));
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startBackend(
    images: string[],
    options: {
      databaseDir?: string;
      features?: BackendFeature[];
      imageFreshness?: Record<string, unknown>;
    } = {},
  ) {
    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(catalogFile, entityYaml(images.join(',')));
    return startPluginBackend({
      features: [
        catalogPlugin,
        ...(options.features ?? []),
        ...(options.databaseDir ? [databaseServiceFactory] : []),
      ],
      config: {
        backend: options.databaseDir
          ? {
              database: {
                client: 'better-sqlite3',
                connection: { directory: options.databaseDir },
              },
            }
          : {},
        catalog: {
          rules: [{ allow: ['Component'] }],
          locations: [{ type: 'file', target: catalogFile }],
        },
        imageFreshness: {
          cacheDuration: '0s',
          maxAge: '30d',
          allowedHosts: [registry.host],
          ...options.imageFreshness,
        },
      },
    });
  }

  it('resolves annotated images from the registry, serves them, and keeps the last good answer on error', async () => {
    const created = '2026-11-01T08:30:00.000Z';
    const pushed = await pushImage(registry.url, 'demo/api', '1.0', {
      created,
      labels: { 'org.opencontainers.image.source': 'https://example.com/api' },
    });
    const good = `${registry.host}/demo/api:1.0`;
    const missing = `${registry.host}/demo/nothing:1.0`;
    const malformed = `${registry.host}/Demo/API:1.0`;
    const blocked = '127.0.0.2:5000/demo/api:1.0'; // loopback, not in allowedHosts
    // someone pasted a token in front of the host: never valid, never shown
    const withToken = `deploy:tok3n-s3cret@${registry.host}/demo/api:1.0`;
    const { backend, scheduler } = await startBackend(
      [good, missing, malformed, blocked, withToken],
      // The test triggers each run itself, the second right after the first:
      // a manually triggered schedule has no interval, so every run
      // refreshes every entity.
      { imageFreshness: { schedule: MANUAL_SCHEDULE } },
    );
    try {
      await waitForComponent(backend.server, 'api');
      // Run the scheduled task now rather than waiting for its schedule.
      await scheduler.triggerTask('image-freshness-refresh');

      const res = await request(backend.server).get(
        '/api/image-freshness/entities/component/default/api',
      );
      expect(res.status).toBe(200);
      const report = res.body as EntityImageReport;
      expect(report.entityRef).toBe('component:default/api');
      expect(report.refreshedAt).toBeDefined();
      const byImage = Object.fromEntries(
        report.containers.map(c => [c.image, c]),
      );

      const inspected = await skopeoInspect(good);
      expect(byImage[good].metadata?.digest).toBe(inspected.Digest);
      expect(byImage[good].metadata?.digest).toBe(pushed.digest);
      expect(byImage[good].metadata?.created).toBe(created);
      expect(byImage[good].metadata?.labels).toEqual({
        'org.opencontainers.image.source': 'https://example.com/api',
      });
      expect(byImage[good].metadata?.size).toBe(pushed.size);
      expect(byImage[good].error).toBeUndefined();

      expect(byImage[missing].error?.class).toBe('NOT_FOUND');
      expect(byImage[missing].error?.message).toContain(missing);
      expect(byImage[malformed].error?.class).toBe('INVALID_REQUEST');
      expect(byImage[malformed].error?.message).toContain('Demo/API');
      expect(byImage[blocked].error?.class).toBe('BLOCKED_HOST');
      expect(byImage[blocked].error?.advice).toContain('allowedHosts');
      const masked = `***@${registry.host}/demo/api:1.0`;
      expect(byImage[masked].error?.class).toBe('INVALID_REQUEST');
      expect(JSON.stringify(report)).not.toContain('tok3n-s3cret');

      // The registry loses the image: the error is recorded, the last good answer stays.
      await deleteManifest(registry.url, 'demo/api', pushed.digest);
      await scheduler.triggerTask('image-freshness-refresh');
      const after = await request(backend.server).get(
        '/api/image-freshness/entities/component/default/api',
      );
      const again = (after.body as EntityImageReport).containers.find(
        c => c.image === good,
      );
      expect(again?.error?.class).toBe('NOT_FOUND');
      expect(again?.metadata?.digest).toBe(pushed.digest);
      expect(again?.resolvedAt).toBe(byImage[good].resolvedAt);
    } finally {
      await backend.stop();
    }
  });

  it('answers 404 for entities the catalog does not know and 401 without valid credentials', async () => {
    const { backend } = await startBackend([`${registry.host}/demo/api:1.0`]);
    try {
      const missing = await request(backend.server).get(
        '/api/image-freshness/entities/component/default/nope',
      );
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toContain('component:default/nope');
      const unauthenticated = await request(backend.server)
        .get('/api/image-freshness/entities/component/default/api')
        .set('authorization', 'Bearer mock-invalid-user-token');
      expect(unauthenticated.status).toBe(401);
    } finally {
      await backend.stop();
    }
  });

  it('refreshes on request at most once a minute per entity', async () => {
    const { backend } = await startBackend([`${registry.host}/demo/api:1.0`]);
    try {
      await waitForComponent(backend.server, 'api');
      const url = '/api/image-freshness/entities/component/default/api';
      const first = await request(backend.server).post(`${url}/refresh`);
      expect(first.status).toBe(202);
      const second = await request(backend.server).post(`${url}/refresh`);
      expect(second.status).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(50);
      expect(second.body.error.message).toContain('component:default/api');
      // the accepted refresh did run
      let report: EntityImageReport | undefined;
      for (let i = 0; i < 50 && !report?.refreshedAt; i++) {
        report = (await request(backend.server).get(url)).body;
        await new Promise(r => setTimeout(r, 100));
      }
      expect(report?.containers.map(c => c.image)).toEqual([
        `${registry.host}/demo/api:1.0`,
      ]);
    } finally {
      await backend.stop();
    }
  });

  it('hides entities the caller may not read in the catalog, while the refresh still sees them', async () => {
    // Users may read nothing; services (the refresh task) may read everything.
    const isUser = (credentials: { principal: unknown }) =>
      (credentials.principal as { type?: string }).type === 'user';
    const permissions: Partial<PermissionsService> = {
      async authorize(requests, { credentials }) {
        return requests.map(() => ({
          result: isUser(credentials)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        }));
      },
      async authorizeConditional(requests, { credentials }) {
        return requests.map(() => ({
          result: isUser(credentials)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
        }));
      },
    };
    const { backend, scheduler } = await startBackend(
      [`${registry.host}/demo/api:1.0`],
      { features: [mockServices.permissions.mock(permissions).factory] },
    );
    try {
      for (let i = 0; i < 100; i++) {
        await scheduler.triggerTask('image-freshness-refresh');
        const res = await request(backend.server)
          .get('/api/image-freshness/entities/component/default/api')
          .set('authorization', 'Bearer mock-service-token');
        if (res.status === 200 && res.body.containers.length > 0) break;
        await new Promise(r => setTimeout(r, 200));
      }
      const asService = await request(backend.server)
        .get('/api/image-freshness/entities/component/default/api')
        .set('authorization', 'Bearer mock-service-token');
      expect(asService.status).toBe(200);
      expect(asService.body.containers).toHaveLength(1);
      const asUser = await request(backend.server)
        .get('/api/image-freshness/entities/component/default/api')
        .set('authorization', 'Bearer mock-user-token');
      expect(asUser.status).toBe(404);
      expect(JSON.stringify(asUser.body)).not.toContain('demo/api');
    } finally {
      await backend.stop();
    }
  });

  it('keeps its data across a restart on a SQLite file', async () => {
    const pushed = await pushImage(registry.url, 'demo/persisted', '3.0', {
      created: '2026-11-20T00:00:00.000Z',
    });
    const image = `${registry.host}/demo/persisted:3.0`;
    const databaseDir = fs.mkdtempSync(path.join(dir, 'sqlite-'));
    const url = '/api/image-freshness/entities/component/default/api';
    const first = await startBackend([image], { databaseDir });
    let before: EntityImageReport;
    try {
      await waitForComponent(first.backend.server, 'api');
      await first.scheduler.triggerTask('image-freshness-refresh');
      before = (await request(first.backend.server).get(url)).body;
      expect(before.containers[0].metadata?.digest).toBe(pushed.digest);
    } finally {
      await first.backend.stop();
    }
    expect(fs.readdirSync(databaseDir)).toContain('image-freshness.sqlite');
    // Restarted, without running the refresh: everything is served from the file.
    const second = await startBackend([image], { databaseDir });
    try {
      await waitForComponent(second.backend.server, 'api');
      const after = (await request(second.backend.server).get(url)).body;
      expect(after.refreshedAt).toBe(before.refreshedAt);
      expect(after.containers).toEqual(before.containers);
    } finally {
      await second.backend.stop();
    }
  });

  it('uses registry credentials from config or a Docker config file, and classifies a refusal', async () => {
    const secured = await startRegistry({
      basicAuth: { username: 'reader', password: 's3cret-pass' },
    });
    try {
      const pushed = await pushImage(
        secured.url,
        'private/api',
        '1.0',
        {},
        {
          username: 'reader',
          password: 's3cret-pass',
        },
      );
      const image = `${secured.host}/private/api:1.0`;
      const dockerConfig = path.join(dir, 'docker-config.json');
      fs.writeFileSync(
        dockerConfig,
        JSON.stringify({
          auths: {
            [secured.host]: {
              auth: Buffer.from('reader:s3cret-pass').toString('base64'),
            },
          },
        }),
      );
      const variants: Array<
        [string, Record<string, unknown>, string | undefined]
      > = [
        [
          'config credentials',
          {
            registries: [
              {
                host: secured.host,
                credentials: { username: 'reader', password: 's3cret-pass' },
              },
            ],
          },
          undefined,
        ],
        ['a Docker config file', { dockerConfigFile: dockerConfig }, undefined],
        ['no credentials', {}, 'AUTHENTICATION'],
      ];
      for (const [, imageFreshness, expectedError] of variants) {
        const { backend, scheduler } = await startBackend([image], {
          imageFreshness: {
            ...imageFreshness,
            allowedHosts: [registry.host, secured.host],
          },
        });
        try {
          await waitForComponent(backend.server, 'api');
          await scheduler.triggerTask('image-freshness-refresh');
          const res = await request(backend.server).get(
            '/api/image-freshness/entities/component/default/api',
          );
          const [container] = (res.body as EntityImageReport).containers;
          expect(container.error?.class).toBe(expectedError);
          expect(container.metadata?.digest).toBe(
            expectedError ? undefined : pushed.digest,
          );
          // the secret never reaches the API
          expect(JSON.stringify(res.body)).not.toContain('s3cret-pass');
        } finally {
          await backend.stop();
        }
      }
    } finally {
      await secured.stop();
    }
  });
});
