/**
 * The module in a test backend with the real parts around it: the real
 * image-freshness backend reading a real registry, the real Tech Insights
 * backend (its SQLite store and scheduler wiring) with the JSON rules
 * engine, and the checks of the portal's app-config. After a refresh and a
 * run of the fact retriever, the checks pass for a fresh entity and fail
 * for one with a stale image and a rebuild due; an entity without
 * image annotations gets no facts. Through a fault proxy in front of the
 * image-freshness backend, a report that fails (500, 404, a hang, a body
 * that is not a report) is logged with its class and skipped while the
 * others' facts are stored.
 */
import {
  coreServices,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import techInsightsPlugin from '@backstage-community/plugin-tech-insights-backend';
import techInsightsJsonRulesEngine from '@backstage-community/plugin-tech-insights-backend-module-jsonfc';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { captureService } from '@internal/test/harness/captureService';
import { imageFreshnessPlugin } from '@internal/test/harness/corePlugin';
import {
  FaultProxy,
  startFaultProxy,
} from '@internal/test/harness/fault-proxy';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { createImageFreshnessFactRetriever } from './factRetriever';
import techInsightsModuleImageFreshness from './index';

jest.setTimeout(120_000);

const FRESHNESS = '/api/image-freshness';
const INSIGHTS = '/api/tech-insights';

/** The checks the portal ships in app-config.yaml: the tests run exactly those. */
const appConfig = parse(
  fs.readFileSync(path.resolve(__dirname, '../../../app-config.yaml'), 'utf8'),
);
const CHECKS = Object.keys(appConfig.techInsights.factChecker.checks);

const component = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
});

interface CheckResult {
  check: { id: string; name: string };
  result: boolean;
  facts: Record<string, { value: unknown }>;
}

describe('the image-freshness fact retriever in Tech Insights', () => {
  let registry: TestRegistry;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  /** The test backend's scheduler (one for every plugin): the test runs the tasks. */
  const scheduler = captureService('tech-insights', coreServices.scheduler);
  const catalog = (h: string) => [
    component('fresh', {
      'image-freshness/images': `${h}/shop/fresh:1.0`,
      // fresh for as long as this test will ever run
      'image-freshness/max-age': '1000y',
    }),
    component('stale', {
      'image-freshness/images': `${h}/shop/stale:1.0, ${h}/shop/app:2.0`,
      'image-freshness/rebuild-delay': '0d',
    }),
    component('distroless', {
      'image-freshness/images': `${h}/shop/distroless:1.0`,
    }),
    component('plain', {}),
  ];

  beforeAll(async () => {
    registry = await startRegistry();
    const h = registry.host;
    await pushImage(registry.url, 'shop/fresh', '1.0', {
      created: '2026-11-01T00:00:00Z',
    });
    await pushImage(registry.url, 'shop/stale', '1.0', {
      created: '2020-01-01T00:00:00Z',
    });
    await pushImage(registry.url, 'shop/distroless', '1.0', {});
    // app:2.0 was built on base:1 which has moved since: a rebuild is due
    const builtOn = await pushImage(registry.url, 'shop/base', '1', {
      created: '2026-10-01T00:00:00Z',
    });
    await pushImage(registry.url, 'shop/app', '2.0', {
      created: '2020-02-01T00:00:00Z',
      annotations: {
        'org.opencontainers.image.base.name': `${h}/shop/base:1`,
        'org.opencontainers.image.base.digest': builtOn.digest,
      },
    });
    await pushImage(registry.url, 'shop/base', '1', {
      created: '2026-10-15T00:00:00Z',
    });

    backend = await startTestBackend({
      features: [
        imageFreshnessPlugin,
        techInsightsPlugin,
        techInsightsJsonRulesEngine,
        techInsightsModuleImageFreshness,
        catalogServiceMock.factory({ entities: catalog(h) }),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        scheduler.module,
        mockServices.rootConfig.factory({
          data: {
            imageFreshness: { cacheDuration: '0s', allowedHosts: [h] },
            techInsights: {
              ...appConfig.techInsights,
              factRetrievers: {
                imageFreshnessFactRetriever: { cadence: '0 0 1 1 *' },
              },
            },
          },
        }),
      ],
    });
    await scheduler.get().triggerTask('image-freshness-refresh');
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
  });

  async function runChecks(name: string): Promise<CheckResult[]> {
    const res = await request(backend.server)
      .post(`${INSIGHTS}/checks/run/default/component/${name}`)
      .set('authorization', mockCredentials.user.header())
      .send({ checks: CHECKS });
    expect(res.status).toBe(200);
    return res.body;
  }
  /** The entity's latest image-freshness facts, as the Tech Insights API serves them. */
  async function latestFacts(name: string) {
    const res = await request(backend.server)
      .get(`${INSIGHTS}/facts/latest`)
      .query({ entity: `component:default/${name}`, ids: 'image-freshness' })
      .set('authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    return res.body['image-freshness']?.facts as
      | Record<string, unknown>
      | undefined;
  }
  const byCheck = (results: CheckResult[]) =>
    Object.fromEntries(results.map(r => [r.check.name, r.result]));

  describe('after the retriever ran', () => {
    beforeAll(async () => {
      await scheduler.get().triggerTask('image-freshness');
    });

    it('publishes its schema', async () => {
      const res = await request(backend.server)
        .get(`${INSIGHTS}/fact-schemas?ids[]=image-freshness`)
        .set('authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      const [schema] = res.body;
      expect(schema.id).toBe('image-freshness');
      expect(schema.staleImages.type).toBe('integer');
      expect(schema.oldestImageAgeDays.description).toMatch(
        /built longest ago/,
      );
      expect(schema.refreshedAt.type).toBe('datetime');
    });

    it('passes every check for a fresh entity', async () => {
      const results = await runChecks('fresh');
      expect(byCheck(results)).toEqual({
        'No stale images': true,
        'No rebuild due': true,
        'No critical vulnerabilities': true,
        'Build times recorded': true,
        'All images resolve': true,
      });
    });

    it('fails "No stale images" and "No rebuild due" for the entity running old images on a moved base', async () => {
      const results = await runChecks('stale');
      expect(byCheck(results)).toMatchObject({
        'No stale images': false,
        'No rebuild due': false,
        'Build times recorded': true,
      });
      const facts = await latestFacts('stale');
      expect(facts).toMatchObject({
        images: 2,
        staleImages: 2,
        rebuildsDue: 1,
        imagesWithErrors: 0,
      });
      // built on 2020-01-01: more than six years ago whenever this runs
      expect(facts?.oldestImageAgeDays).toBeGreaterThan(6 * 365);
    });

    it('fails "Build times recorded" for an image without a created time', async () => {
      expect(byCheck(await runChecks('distroless'))).toMatchObject({
        'Build times recorded': false,
        'No stale images': true,
      });
    });

    it('gives an entity without image annotations no facts, so no check result', async () => {
      expect(await runChecks('plain')).toEqual([]);
      expect(await latestFacts('plain')).toBeUndefined();
      expect(await latestFacts('fresh')).toMatchObject({ images: 1 });
    });

    it('refuses to run checks for a caller without credentials', async () => {
      const res = await request(backend.server)
        .post(`${INSIGHTS}/checks/run/default/component/fresh`)
        .set('authorization', mockCredentials.none.header())
        .send({ checks: CHECKS });
      expect(res.status).toBe(401);
    });
  });

  describe('when reports fail', () => {
    let proxy: FaultProxy;
    let warnings: Array<{ message: string; meta?: Record<string, unknown> }>;
    let logger: LoggerService;

    beforeAll(async () => {
      proxy = await startFaultProxy(
        `http://localhost:${backend.server.port()}`,
      );
    });
    afterAll(async () => {
      await proxy?.stop();
    });
    beforeEach(() => {
      proxy.clearFaults();
      warnings = [];
      const base = mockServices.logger.mock();
      logger = {
        ...base,
        warn: (message, meta) => {
          warnings.push({ message, meta: meta as Record<string, unknown> });
        },
        child: () => logger,
      };
    });

    /** Runs the retriever as Tech Insights does, reading image-freshness through the proxy. */
    async function retrieve(timeoutMs = 10_000) {
      const h = registry.host;
      const retriever = createImageFreshnessFactRetriever({
        catalog: catalogServiceMock({ entities: catalog(h) }),
        timeoutMs,
        clock: () => new Date('2026-12-01T00:00:00Z'),
      });
      const facts = await retriever.handler({
        config: mockServices.rootConfig(),
        discovery: {
          getBaseUrl: async id => `${proxy.url}/api/${id}`,
          getExternalBaseUrl: async id => `${proxy.url}/api/${id}`,
        },
        auth: mockServices.auth({ pluginId: 'tech-insights' }),
        urlReader: mockServices.urlReader.mock(),
        logger,
      });
      return Object.fromEntries(facts.map(f => [f.entity.name, f.facts]));
    }

    it('reads every report with a service token, as a plugin does', async () => {
      proxy.clearRequests();
      const facts = await retrieve();
      expect(Object.keys(facts).sort()).toEqual([
        'distroless',
        'fresh',
        'stale',
      ]);
      // the clock of the run, not the wall clock
      expect(facts.stale.oldestImageAgeDays).toBe(2526);
      const paths = proxy.requests().map(r => `${r.method} ${r.path}`);
      expect(paths.sort()).toEqual([
        `GET ${FRESHNESS}/entities/component/default/distroless`,
        `GET ${FRESHNESS}/entities/component/default/fresh`,
        `GET ${FRESHNESS}/entities/component/default/stale`,
      ]);
      expect(warnings).toEqual([]);
    });

    it.each([
      [
        'a server error',
        {
          answer: {
            status: 500,
            body: '{"error":{"message":"database down"}}',
          },
        },
        'SERVER_ERROR',
        /answered 500 for the report of component:default\/stale \(database down\); retried on the next run/,
      ],
      [
        'a missing entity',
        { answer: { status: 404, body: '{}' } },
        'NOT_FOUND',
        /answered 404 .* the entity left the catalog/,
      ],
      [
        'a refused token',
        { answer: { status: 401, body: '{}' } },
        'AUTHENTICATION',
        /answered 401 .* accepts service tokens/,
      ],
      [
        'a rate limit',
        { answer: { status: 429, body: '{}' } },
        'RATE_LIMITED',
        /answered 429/,
      ],
      [
        'a body that is not a report',
        { answer: { status: 200, body: '<html>login</html>' } },
        'SERVER_ERROR',
        /not an entity report for component:default\/stale/,
      ],
      [
        'a hang',
        { hang: true as const },
        'TIMEOUT',
        /did not answer .* within 1000 ms/,
      ],
    ])(
      'logs %s with its class, skips that entity and stores the others',
      async (_what, fault, errorClass, message) => {
        proxy.addFault({ path: '/entities/component/default/stale', fault });
        const facts = await retrieve(1000);
        expect(Object.keys(facts).sort()).toEqual(['distroless', 'fresh']);
        expect(facts.fresh.staleImages).toBe(0);
        expect(warnings).toHaveLength(1);
        expect(warnings[0].meta).toMatchObject({
          entityRef: 'component:default/stale',
          errorClass,
        });
        expect(String(warnings[0].meta?.error)).toMatch(message);
      },
    );

    it('logs an unreachable backend as a server error for each entity, and stores nothing', async () => {
      await proxy.down();
      try {
        const facts = await retrieve();
        expect(facts).toEqual({});
        expect(warnings.map(w => w.meta?.errorClass)).toEqual([
          'SERVER_ERROR',
          'SERVER_ERROR',
          'SERVER_ERROR',
        ]);
        expect(String(warnings[0].meta?.error)).toMatch(
          /Could not reach the image-freshness backend at http:\/\/127\.0\.0\.1:\d+\/api\/image-freshness/,
        );
      } finally {
        await proxy.up();
      }
    });
  });
});
