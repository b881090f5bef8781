/**
 * `GET /vulnerabilities/:digest` names the image a digest belongs to, so it
 * answers users only about digests they could find anyway: those of entities
 * the catalog lets them read, and those a repository scan lists. The catalog's
 * decision is played by a stand-in that lets each user read a fixed set of
 * entities (the real catalog with a real policy is in test/e2e/security.test.ts);
 * the store is the real one on SQLite.
 */
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import type { BackstageUserPrincipal } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import express from 'express';
import request from 'supertest';
import type { RepositoryScan } from '../scans/ScanStore';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { createDigestAccess } from './digestAccess';
import { KnexVulnerabilityStore } from './KnexVulnerabilityStore';
import { createVulnerabilitiesRouter } from './router';

const databases = storeTestDatabases();

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const PUBLIC = digest('a'); // runs in component:default/shop
const SECRET = digest('b'); // runs in component:default/vault only
const SCANNED = digest('c'); // found by a repository scan
const NOWHERE = digest('d'); // scanned once, used nowhere now

/** Which entities run which digest. */
const RUNNING: Record<string, string[]> = {
  [PUBLIC]: ['component:default/shop', 'component:default/vault'],
  [SECRET]: ['component:default/vault'],
};
/** Which entities each user may read, as a catalog policy would decide. */
const READABLE: Record<string, string[]> = {
  'user:default/alice': ['component:default/shop'],
  'user:default/root': ['component:default/shop', 'component:default/vault'],
};

async function createApp() {
  const store = await KnexVulnerabilityStore.create({
    database: await databases.database('SQLITE_3'),
  });
  for (const [d, reference] of [
    [PUBLIC, 'r.example/shop@'],
    [SECRET, 'r.example/vault@'],
    [SCANNED, 'r.example/base@'],
    [NOWHERE, 'r.example/gone@'],
  ]) {
    await store.recordSummary(d, `${reference}${d}`, {
      counts: { HIGH: 2 },
      total: 2,
      scannedAt: new Date('2026-11-22T10:00:00Z'),
    });
  }
  const catalog = catalogServiceMock.mock({
    getEntitiesByRefs: async ({ entityRefs }, options) => {
      const credentials =
        options && 'credentials' in options ? options.credentials : undefined;
      const user = (credentials?.principal as BackstageUserPrincipal)
        .userEntityRef;
      return {
        items: entityRefs.map(ref =>
          READABLE[user]?.includes(ref)
            ? {
                apiVersion: 'backstage.io/v1alpha1',
                kind: 'Component',
                metadata: { name: ref.split('/')[1] },
              }
            : undefined,
        ),
      };
    },
  });
  const scan = { images: [{ tag: '1', digest: SCANNED }] } as RepositoryScan;
  const app = express();
  app.use(
    createVulnerabilitiesRouter({
      httpAuth: mockServices.httpAuth(),
      store,
      availability: { available: true, scanner: 'trivy', version: '0.57.0' },
      severities: ['HIGH'],
      mayRead: createDigestAccess({
        auth: mockServices.auth(),
        catalog,
        freshness: { entityRefsWithDigest: async d => RUNNING[d] ?? [] },
        scans: { listScans: async () => [scan] },
      }),
    }),
  );
  app.use(
    MiddlewareFactory.create({
      config: new ConfigReader({}),
      logger: mockServices.logger.mock(),
    }).error(),
  );
  return app;
}

describe('who may read a digest vulnerability summary', () => {
  let app: express.Express;
  beforeAll(async () => {
    app = await createApp();
  });

  const read = (d: string, header: string) =>
    request(app).get(`/vulnerabilities/${d}`).set('authorization', header);
  const user = (ref: string) => mockCredentials.user.header(ref);

  it('answers a user about digests of entities the catalog lets them read, and of scanned repositories', async () => {
    for (const d of [PUBLIC, SCANNED]) {
      const res = await read(d, user('user:default/alice'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ digest: d, counts: { HIGH: 2 } });
    }
  });

  it('answers a digest of an entity the user cannot read like one never scanned', async () => {
    const hidden = await read(SECRET, user('user:default/alice'));
    const unknown = await read(digest('e'), user('user:default/alice'));
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.message).toBe(
      unknown.body.error.message.replace(digest('e'), SECRET),
    );
    expect(JSON.stringify(hidden.body)).not.toContain('vault');
    // a digest no entity runs any more is nobody's to read
    expect((await read(NOWHERE, user('user:default/root'))).status).toBe(404);
  });

  it('answers a user who can read the entity, and services, about every digest', async () => {
    const root = await read(SECRET, user('user:default/root'));
    expect(root.status).toBe(200);
    expect(root.body.reference).toBe(`r.example/vault@${SECRET}`);
    for (const d of [SECRET, NOWHERE]) {
      expect((await read(d, mockCredentials.service.header())).status).toBe(
        200,
      );
    }
  });
});
