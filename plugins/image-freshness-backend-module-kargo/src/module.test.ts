/**
 * The module in a test backend with the real core plugin, a real registry
 * and catalog entities: after a refresh, `GET /kargo/warehouses` answers
 * Warehouses for the external image and the discovered base, none for the
 * managed image, each subscription valid against Kargo's schema; callers
 * without a service token or the permission are refused; the yarn script
 * writes the same YAML to a file.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushImage } from '@internal/test/harness/images';
import { allowAllBut, OUTSIDER } from '@internal/test/harness/permissions';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { imageFreshnessPlugin } from '@internal/test/harness/corePlugin';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import {
  DNS_LABEL,
  KARGO_INTERVAL,
  kargoImageSubscriptionValidator,
} from './__testUtils__/kargoSchema';
import imageFreshnessModuleKargo from './index';
import type { KargoWarehouse } from './warehouses';

jest.setTimeout(120_000);

const API = '/api/image-freshness';
const SCRIPT = path.resolve(__dirname, '../bin/write-warehouses.js');

const component = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
});

/** Denies OUTSIDER everything; every other caller is allowed. */
const permissions = allowAllBut(OUTSIDER);

describe('the kargo module', () => {
  let registry: TestRegistry;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let h: string;

  beforeAll(async () => {
    registry = await startRegistry();
    h = registry.host;
    const base = await pushImage(registry.url, 'runtime/node', '22.1.0', {
      created: '2026-10-01T00:00:00Z',
    });
    await pushImage(registry.url, 'acme/payments', '1.0', {
      created: '2026-11-01T00:00:00Z',
      annotations: {
        'org.opencontainers.image.base.name': `${h}/runtime/node:22.1.0`,
        'org.opencontainers.image.base.digest': base.digest,
      },
    });
    await pushImage(registry.url, 'vendor/redis', '7', {
      created: '2026-09-01T00:00:00Z',
    });
    backend = await startTestBackend({
      features: [
        imageFreshnessPlugin,
        imageFreshnessModuleKargo,
        catalogServiceMock.factory({
          entities: [
            // managed: built by its CI from its Dockerfile
            component('payments', {
              'image-freshness/images': `${h}/acme/payments:1.0`,
              'image-freshness/dockerfile': 'Dockerfile',
              'backstage.io/source-location':
                'url:https://git.example.com/acme/payments/',
            }),
            // external: a vendor's image, monitored by its tag
            component('cache', {
              'image-freshness/images': `${h}/vendor/redis:7`,
            }),
          ],
        }),
        permissions.factory,
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: {
            imageFreshness: {
              cacheDuration: '0s',
              allowedHosts: [h],
              baseImages: {
                tracking: [
                  {
                    repository: `${h}/runtime/node`,
                    strategy: 'SemVer',
                    constraint: '^22',
                    allowTags: ['^22\\.\\d+\\.\\d+$'],
                    ignoreTags: ['-rc'],
                    discoveryLimit: 30,
                  },
                ],
              },
              kargo: { namespace: 'image-factory', interval: { minutes: 10 } },
            },
          },
        }),
      ],
    });
    for (const name of ['payments', 'cache']) {
      await refreshed(name);
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
  });

  /** Refreshes the entity by hand and waits until its report has its base-image rows. */
  async function refreshed(name: string) {
    const url = `${API}/entities/component/default/${name}`;
    expect((await request(backend.server).post(`${url}/refresh`)).status).toBe(
      202,
    );
    for (let i = 0; i < 200; i++) {
      const report = await request(backend.server).get(url);
      if (report.body.baseImages?.length) return;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`${name} was never refreshed`);
  }

  const get = (accept?: string, auth = mockCredentials.service.header()) => {
    const req = request(backend.server)
      .get(`${API}/kargo/warehouses`)
      .set('authorization', auth);
    return accept ? req.set('accept', accept) : req;
  };

  it('answers multi-document YAML: the base and the external image, never the managed image, each valid for Kargo', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/yaml; charset=utf-8');
    const warehouses = parseAllDocuments(res.text).map(
      d => d.toJS() as KargoWarehouse,
    );
    const validate = kargoImageSubscriptionValidator();
    for (const w of warehouses) {
      expect(validate(w.spec.subscriptions[0].image)).toEqual([]);
      expect(w.metadata.name).toMatch(DNS_LABEL);
      expect(w.spec.interval).toMatch(KARGO_INTERVAL);
    }
    expect(
      warehouses.map(w => ({
        namespace: w.metadata.namespace,
        annotations: w.metadata.annotations,
        spec: w.spec,
      })),
    ).toEqual([
      {
        namespace: 'image-factory',
        annotations: {
          'image-freshness/repository': `${h}/runtime/node`,
          'image-freshness/monitors': 'base',
          'image-freshness/dependents': `component:default/payments ${h}/acme/payments:1.0`,
        },
        spec: {
          interval: '10m0s',
          freightCreationPolicy: 'Automatic',
          subscriptions: [
            {
              image: {
                repoURL: `${h}/runtime/node`,
                imageSelectionStrategy: 'SemVer',
                constraint: '^22',
                allowTagsRegexes: ['^22\\.\\d+\\.\\d+$'],
                ignoreTagsRegexes: ['-rc'],
                discoveryLimit: 30,
                platform: 'linux/amd64',
              },
            },
          ],
        },
      },
      {
        namespace: 'image-factory',
        annotations: {
          'image-freshness/repository': `${h}/vendor/redis:7`,
          'image-freshness/monitors': 'external',
        },
        spec: {
          interval: '10m0s',
          freightCreationPolicy: 'Automatic',
          subscriptions: [
            {
              image: {
                repoURL: `${h}/vendor/redis`,
                imageSelectionStrategy: 'Digest',
                constraint: '7',
                discoveryLimit: 20,
                platform: 'linux/amd64',
              },
            },
          ],
        },
      },
    ]);
    // the same names on the next call
    const again = parseAllDocuments((await get()).text).map(
      d => (d.toJS() as KargoWarehouse).metadata.name,
    );
    expect(again).toEqual(warehouses.map(w => w.metadata.name));
  });

  it('answers a Kubernetes List in JSON for Accept: application/json', async () => {
    const yaml = parseAllDocuments((await get()).text).map(d => d.toJS());
    const res = await get('application/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ apiVersion: 'v1', kind: 'List', items: yaml });
  });

  it('needs a service token or the permission: 401 without valid credentials, 403 for a denied user, 200 for an allowed one', async () => {
    const none = await get(undefined, mockCredentials.user.invalidHeader());
    expect(none.status).toBe(401);
    const denied = await get(undefined, mockCredentials.user.header(OUTSIDER));
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining('image-freshness.kargo.warehouses.read'),
    });
    expect((await get(undefined, mockCredentials.user.header())).status).toBe(
      200,
    );
  });

  it('the yarn script writes the YAML to a file, and leaves the last good file when the portal refuses', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kargo-'));
    try {
      const { port } = backend.server.address() as { port: number };
      const run = (token: string) =>
        promisify(execFile)(
          process.execPath,
          [
            SCRIPT,
            '--out',
            'gitops/warehouses.yaml',
            '--url',
            `http://127.0.0.1:${port}`,
          ],
          { env: { ...process.env, BACKSTAGE_TOKEN: token, INIT_CWD: dir } },
        );
      const out = path.join(dir, 'gitops/warehouses.yaml');
      const { stdout } = await run(mockCredentials.service.token());
      expect(stdout).toBe(`Wrote 2 Warehouses to ${out}\n`);
      expect(fs.readFileSync(out, 'utf8')).toBe((await get()).text);
      const failed = await run('not-a-token').catch(e => e);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('answered 401');
      expect(failed.stderr).not.toContain('not-a-token');
      expect(fs.readFileSync(out, 'utf8')).toBe((await get()).text);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
