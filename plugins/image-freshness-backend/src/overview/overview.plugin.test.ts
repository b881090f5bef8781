/**
 * `GET /overview` on the plugin as the portal runs it: the real catalog
 * (reading a catalog file) deciding with the test policy that hides
 * entities labelled `confidential` from users (test/e2e/security.test.ts
 * runs it in the real permission backend), a real registry, refreshes. Users see the rows, counts and owners of the
 * entities they may read and nothing of the others; the verdicts are the
 * entity report's.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogYaml } from '@internal/test/harness/catalog';
import {
  CONFIDENTIAL_LABEL,
  confidentialPermissions,
} from '@internal/test/harness/confidential-policy';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import type {
  ImageFreshnessOverview,
  OverviewRow,
} from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startPluginBackend,
  waitForComponent,
} from '../__testUtils__/pluginBackend';

jest.setTimeout(180_000);

const API = '/api/image-freshness';
const serviceHeader = mockCredentials.service.header();

describe('GET /overview', () => {
  let registry: TestRegistry;
  let dir: string;
  let backend: Awaited<ReturnType<typeof startPluginBackend>>['backend'];
  let h: string;
  let images: Record<'old' | 'web' | 'fresh' | 'secret', string>;

  beforeAll(async () => {
    registry = await startRegistry();
    h = registry.host;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-overview-'));
    const base = await pushImage(registry.url, 'runtime/base', '1', {
      created: '2026-10-01T00:00:00Z',
      files: { v: '1' },
    });
    await pushImage(registry.url, 'acme/api', 'old', {
      created: '2020-01-01T00:00:00Z',
    });
    await pushImage(registry.url, 'acme/api', 'fresh', {
      created: '2026-11-01T00:00:00Z',
      files: { v: 'fresh' },
    });
    await pushImage(registry.url, 'acme/web', '1', {
      created: '2026-11-02T00:00:00Z',
      annotations: {
        'org.opencontainers.image.base.name': `${h}/runtime/base:1`,
        'org.opencontainers.image.base.digest': base.digest,
      },
    });
    await pushImage(registry.url, 'acme/secret', '1', {
      created: '2019-06-01T00:00:00Z',
      files: { v: 'secret' },
    });
    // the base tag has moved on since the image was built on it
    await pushImage(registry.url, 'runtime/base', '1', {
      created: '2026-11-05T00:00:00Z',
      files: { v: '2' },
    });
    images = {
      old: `${h}/acme/api:old`,
      fresh: `${h}/acme/api:fresh`,
      web: `${h}/acme/web:1`,
      secret: `${h}/acme/secret:1`,
    };
    const catalogFile = path.join(dir, 'catalog.yaml');
    // `api`'s image is stale at any date; the others have limits far past
    // their build times, so they stay fresh whatever the date (the suite
    // also runs 400 days ahead); `web`'s base moved, its rebuild is due at once.
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        {
          name: 'api',
          owner: 'team-a',
          system: 'shop',
          annotations: { 'image-freshness/images': images.old },
        },
        {
          name: 'docs',
          owner: 'team-a',
          annotations: {
            'image-freshness/images': images.fresh,
            'image-freshness/max-age': '36500d',
          },
        },
        {
          name: 'web',
          owner: 'team-b',
          system: 'shop',
          annotations: {
            'image-freshness/images': `${images.web},${h}/acme/missing:1`,
            'image-freshness/max-age': '36500d',
            'image-freshness/rebuild-delay': '0s',
          },
        },
        {
          name: 'secret',
          owner: 'team-c',
          system: 'vault',
          labels: { [CONFIDENTIAL_LABEL.label]: CONFIDENTIAL_LABEL.value },
          annotations: { 'image-freshness/images': images.secret },
        },
      ]),
    );
    const started = await startPluginBackend({
      modules: false,
      features: [catalogPlugin, confidentialPermissions().factory],
      config: {
        catalog: {
          rules: [{ allow: ['Component', 'Group', 'System'] }],
          locations: [{ type: 'file', target: catalogFile }],
        },
        imageFreshness: { allowedHosts: [h], cacheDuration: '0s' },
      },
    });
    backend = started.backend;
    for (const name of ['api', 'docs', 'web', 'secret']) {
      await waitForComponent(backend.server, name, serviceHeader);
    }
    await started.scheduler.triggerTask('image-freshness-refresh');
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (query: string, auth = mockCredentials.user.header()) =>
    request(backend.server)
      .get(`${API}/overview${query}`)
      .set('authorization', auth);

  const short = (rows: OverviewRow[]) =>
    rows.map(r => [
      r.entityRef,
      r.image,
      r.freshness.verdict,
      r.base?.verdict.verdict,
    ]);

  it('shows a user the entities they may read, stale images and due rebuilds first, with counts per owner', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    const body = res.body as ImageFreshnessOverview;
    expect(short(body.items)).toEqual([
      // stale and due rebuilds, the oldest build first
      ['component:default/api', images.old, 'stale', 'unknown'],
      ['component:default/web', images.web, 'fresh', 'rebuild-due'],
      // then unknown (never resolved), then the rest
      ['component:default/web', `${h}/acme/missing:1`, 'unknown', undefined],
      ['component:default/docs', images.fresh, 'fresh', 'unknown'],
    ]);
    expect(body.items[0]).toMatchObject({
      owner: 'group:default/team-a',
      system: 'system:default/shop',
      registry: h,
      tag: 'old',
      digest: expect.stringMatching(/^sha256:/),
      created: '2020-01-01T00:00:00.000Z',
      containers: 1,
      workloads: 1,
      clusters: [],
    });
    expect(body.items[1].base).toMatchObject({
      name: `${h}/runtime/base:1`,
      rebuildDueAt: expect.any(String),
    });
    expect(body.items[2].error).toMatchObject({ class: 'NOT_FOUND' });
    expect(body.totalItems).toBe(4);
    expect(body.owners.map(o => [o.owner, o.images])).toEqual([
      // one stale or due image each; then more images first
      ['group:default/team-a', 2],
      ['group:default/team-b', 2],
    ]);
    expect(body.totals).toEqual({
      images: 4,
      stale: 1,
      aging: 0,
      fresh: 2,
      unknown: 1,
      rebuildDue: 1,
      updated: 0,
    });
    expect(body.facets).toEqual({
      owners: ['group:default/team-a', 'group:default/team-b'],
      systems: ['system:default/shop'],
      registries: [h],
    });
    // nothing of the confidential entity: no row, owner, system or image
    expect(res.text).not.toMatch(/secret|team-c|vault/);
  });

  it('gives the verdicts of the entity report', async () => {
    const { body } = await get('');
    const reported: Record<string, unknown> = {};
    for (const name of ['api', 'docs', 'web']) {
      const report = await request(backend.server)
        .get(`${API}/entities/component/default/${name}`)
        .set('authorization', mockCredentials.user.header());
      expect(report.status).toBe(200);
      for (const c of report.body.containers) {
        const base = report.body.baseImages.find(
          (b: { image: string }) => b.image === c.image,
        );
        reported[c.image] = [c.freshness, base?.verdict, c.digest];
      }
    }
    expect(
      Object.fromEntries(
        (body as ImageFreshnessOverview).items.map(r => [
          r.image,
          [r.freshness, r.base?.verdict, r.digest],
        ]),
      ),
    ).toEqual(reported);
  });

  it('filters by owner, system, verdict, registry and text, and pages', async () => {
    const owner = (await get('?owner=group:default/team-b'))
      .body as ImageFreshnessOverview;
    expect(owner.items.map(r => r.image)).toEqual([
      images.web,
      `${h}/acme/missing:1`,
    ]);
    expect(owner.owners.map(o => o.owner)).toEqual(['group:default/team-b']);
    // the filter choices stay those of every readable row
    expect(owner.facets.owners).toHaveLength(2);

    const due = (await get('?verdict=rebuild-due')).body;
    expect(short(due.items)).toEqual([
      ['component:default/web', images.web, 'fresh', 'rebuild-due'],
    ]);
    expect(due.totals).toMatchObject({ images: 1, fresh: 1, rebuildDue: 1 });
    const either = (await get('?verdict=stale&verdict=unknown')).body;
    expect(either.items.map((r: OverviewRow) => r.image)).toEqual([
      images.old,
      `${h}/acme/missing:1`,
    ]);
    expect((await get('?verdict=stale,unknown')).body.items).toEqual(
      either.items,
    );
    expect((await get('?system=system:default/vault')).body.totalItems).toBe(0);
    expect((await get(`?registry=${h}`)).body.totalItems).toBe(4);
    expect((await get('?registry=ghcr.io')).body.totalItems).toBe(0);
    expect(
      (await get('?q=MISSING')).body.items.map((r: OverviewRow) => r.image),
    ).toEqual([`${h}/acme/missing:1`]);

    const page = (await get('?limit=2&offset=1')).body;
    expect(page).toMatchObject({ offset: 1, limit: 2, totalItems: 4 });
    expect(short(page.items)).toEqual(
      short((await get('')).body.items.slice(1, 3)),
    );
    expect((await get('?offset=10')).body.items).toEqual([]);
  });

  it('shows a service every entity, the confidential one too', async () => {
    const res = await get('', serviceHeader);
    expect(res.status).toBe(200);
    expect(short(res.body.items)[0]).toEqual([
      'component:default/secret',
      images.secret,
      'stale',
      'unknown',
    ]);
    expect(res.body.owners.map((o: { owner?: string }) => o.owner)).toContain(
      'group:default/team-c',
    );
  });

  it('refuses a malformed query with 400 naming the parameter, and invalid credentials with 401', async () => {
    for (const [query, named] of [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?offset=-1', 'offset'],
      ['?verdict=rotten', 'verdict'],
      ['?page=2', 'page'],
      [`?q=${'x'.repeat(201)}`, 'q'],
    ]) {
      const res = await get(query);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.error).toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(named),
      });
    }
    const invalid = await get('', mockCredentials.user.invalidHeader());
    expect(invalid.status).toBe(401);
  });
});
