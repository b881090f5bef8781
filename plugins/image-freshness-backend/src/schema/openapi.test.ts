/**
 * The OpenAPI spec (`src/schema/openapi.yaml`) against the plugin as it
 * runs: the plugin with the Trivy module (a fake `trivy` binary), the
 * registry-probes, kargo and rebuild modules (the rebuild module dispatching
 * to the GitHub API stand-in) in a test backend, a real registry, every task
 * run once. The routes the backend really mounts must be exactly the spec's
 * operations, and every answer, successes and errors, must have a status,
 * content type, headers and body the spec describes; every status the spec
 * lists must be seen. Adding a route, or a field to an answer, without
 * adding it to the spec fails here.
 */
import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  FakeTrivyDir,
  fakeTrivyDir,
  printReport,
  trivyReport,
} from '@internal/test/harness/fakeTrivy';
import { pushImage } from '@internal/test/harness/images';
import { allowAllBut, OUTSIDER } from '@internal/test/harness/permissions';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { ApiStandIn, startGithubStandIn } from '@internal/test/harness/scm';
import { imageFreshnessFeaturesExtensionPoint } from 'backstage-plugin-image-freshness-node';
import Router from 'express-promise-router';
import request from 'supertest';
import {
  OpenApiContract,
  mountedRoutes,
} from '../__testUtils__/openApiContract';
import { startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(120_000);

const API = '/api/image-freshness';

const entity = (images: string[]): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'api',
    namespace: 'default',
    annotations: { 'image-freshness/images': images.join(',') },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
});

/** Denies OUTSIDER everything; every other caller is allowed. */
const permissions = allowAllBut(OUTSIDER);

describe('the OpenAPI spec against the running plugin', () => {
  let registry: TestRegistry;
  let github: ApiStandIn;
  let trivy: FakeTrivyDir;
  let contract: OpenApiContract;
  let backend: Awaited<ReturnType<typeof startPluginBackend>>['backend'];
  let apiDigest: string;
  let h: string;

  beforeAll(async () => {
    contract = await OpenApiContract.load();
    registry = await startRegistry();
    h = registry.host;
    trivy = fakeTrivyDir();
    const trivyPath = trivy.write(
      'trivy',
      printReport(
        trivyReport([{ severities: ['CRITICAL', 'HIGH', 'HIGH', 'LOW'] }]),
      ),
    );
    const base = await pushImage(registry.url, 'runtime/base', '1', {
      created: '2026-10-01T00:00:00Z',
      files: { v: '1' },
    });
    const pushed = await pushImage(registry.url, 'acme/api', '1.0.0', {
      created: '2026-11-01T08:30:00Z',
      labels: { 'org.opencontainers.image.source': 'https://example.com/api' },
      annotations: {
        'org.opencontainers.image.base.name': `${h}/runtime/base:1`,
        'org.opencontainers.image.base.digest': base.digest,
      },
    });
    apiDigest = pushed.digest;
    // a managed image (the rebuild module's routes), built on the base before it moves
    await pushImage(registry.url, 'acme/worker', '1.0', {
      created: '2026-11-01T08:30:00Z',
      files: { worker: '1' },
      annotations: {
        'org.opencontainers.image.base.name': `${h}/runtime/base:1`,
        'org.opencontainers.image.base.digest': base.digest,
      },
    });
    github = await startGithubStandIn({
      token: 'ghs_contract',
      workflows: [{ owner: 'acme', repo: 'worker', file: 'rebuild.yaml' }],
    });
    await pushImage(registry.url, 'acme/api', '1.1.0', {
      created: '2026-11-10T00:00:00Z',
      files: { v: '1.1' },
    });
    // the base tag moves on: the base report has a current digest and a move
    await pushImage(registry.url, 'runtime/base', '1', {
      created: '2026-11-05T00:00:00Z',
      files: { v: '2' },
    });

    const started = await startPluginBackend({
      features: [
        catalogServiceMock.factory({
          entities: [
            entity([`${h}/acme/api:1.0.0`, `${h}/acme/missing:1.0`]),
            {
              ...entity([`${h}/acme/worker:1.0`]),
              metadata: {
                name: 'worker',
                namespace: 'default',
                annotations: {
                  'image-freshness/images': `${h}/acme/worker:1.0`,
                  'image-freshness/dockerfile': 'Dockerfile',
                  'image-freshness/rebuild-workflow': 'rebuild.yaml',
                  'backstage.io/source-location': `url:${github.url}/acme/worker/tree/main/`,
                },
              },
            },
          ],
        }),
        permissions.factory,
      ],
      config: {
        integrations: {
          github: [
            {
              host: github.host,
              apiBaseUrl: github.url,
              token: 'ghs_contract',
            },
          ],
        },
        imageFreshness: {
          rebuild: {},
          cacheDuration: '0s',
          allowedHosts: [h],
          scans: [{ repository: `${h}/acme/api`, sort: 'semver' }],
          trivy: { path: trivyPath },
          healthProbes: [
            {
              name: 'local',
              registry: h,
              repository: 'probe/health',
              node: 'node-x',
              timeout: '5s',
              retryDelay: '10ms',
              artifactBytes: 1024,
            },
          ],
        },
      },
    });
    backend = started.backend;
    for (const task of [
      'image-freshness-refresh',
      'image-freshness-scans',
      'image-freshness-vulnerabilities',
      'image-freshness-health-probe:local',
    ]) {
      await started.scheduler.triggerTask(task);
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    await github?.stop();
    trivy?.remove();
  });

  /** Sends one request and checks its answer against `operation`. */
  async function call(
    operation: string,
    url: string,
    options: { auth?: string; accept?: string; body?: object; status: number },
  ): Promise<request.Response> {
    const method = operation.split(' ')[0].toLowerCase() as 'get' | 'post';
    let req = request(backend.server)[method](`${API}${url}`);
    if (options.auth) req = req.set('authorization', options.auth);
    if (options.accept) req = req.set('accept', options.accept);
    const res = await (options.body ? req.send(options.body) : req);
    expect([operation, url, res.status]).toEqual([
      operation,
      url,
      options.status,
    ]);
    expect([operation, url, contract.check(operation, res)]).toEqual([
      operation,
      url,
      [],
    ]);
    return res;
  }

  /** A valid URL of each operation, from the spec path and sample values. */
  function sampleUrl(operation: string, values: Record<string, string> = {}) {
    const samples: Record<string, string> = {
      kind: 'component',
      namespace: 'default',
      name: 'api',
      repository: `${h}/acme/api`,
      digest: apiDigest,
      ...values,
    };
    return operation.split(' ')[1].replace(/\{(\w+)\}/g, (_, param: string) => {
      if (!(param in samples)) {
        throw new Error(`No sample value for {${param}} of ${operation}`);
      }
      return encodeURIComponent(samples[param]);
    });
  }

  it('is a valid OpenAPI 3.0 document', () => {
    expect(contract.document).toMatchObject({ openapi: '3.0.3' });
    expect(contract.operations().length).toBeGreaterThan(0);
  });

  it('lists exactly the routes the plugin and the registry-probes, kargo and rebuild modules mount', () => {
    expect(mountedRoutes(backend.server, API)).toEqual(contract.operations());
    expect(contract.operations()).toEqual([
      'GET /entities/{kind}/{namespace}/{name}',
      'GET /health-probes',
      'GET /kargo/warehouses',
      'GET /metrics',
      'GET /overview',
      'GET /rebuilds/{kind}/{namespace}/{name}',
      'GET /scans',
      'GET /scans/{repository}',
      'GET /vulnerabilities',
      'GET /vulnerabilities/{digest}',
      'POST /entities/{kind}/{namespace}/{name}/refresh',
      'POST /rebuilds/{kind}/{namespace}/{name}/trigger',
    ]);
  });

  it('describes every success answer, with real data in every part of it', async () => {
    const user = mockCredentials.user.header();
    const service = mockCredentials.service.header();

    const report = await call(
      'GET /entities/{kind}/{namespace}/{name}',
      '/entities/component/default/api',
      { status: 200 },
    );
    // the parts of the report the schemas describe are really there
    const byImage = Object.fromEntries(
      report.body.containers.map((c: { image: string }) => [c.image, c]),
    );
    expect(byImage[`${h}/acme/api:1.0.0`]).toMatchObject({
      metadata: { digest: apiDigest },
      vulnerabilities: { total: 4 },
    });
    expect(byImage[`${h}/acme/missing:1.0`].error.class).toBe('NOT_FOUND');
    expect(report.body.baseImages[0].base).toMatchObject({
      name: `${h}/runtime/base:1`,
    });
    expect(report.body.vulnerabilities.available).toBe(true);

    const overview = await call('GET /overview', '/overview', {
      auth: user,
      status: 200,
    });
    expect(overview.body.items).toEqual([
      expect.objectContaining({
        image: `${h}/acme/api:1.0.0`,
        owner: 'group:default/team-a',
        base: expect.objectContaining({ name: `${h}/runtime/base:1` }),
      }),
      expect.objectContaining({
        image: `${h}/acme/worker:1.0`,
        entityRef: 'component:default/worker',
      }),
      expect.objectContaining({
        image: `${h}/acme/missing:1.0`,
        error: expect.objectContaining({ class: 'NOT_FOUND' }),
      }),
    ]);
    expect(overview.body.owners).toEqual([
      expect.objectContaining({ owner: 'group:default/team-a', images: 3 }),
    ]);

    await call(
      'POST /entities/{kind}/{namespace}/{name}/refresh',
      '/entities/component/default/api/refresh',
      { status: 202 },
    );
    const metrics = await call('GET /metrics', '/metrics', {
      auth: service,
      status: 200,
    });
    expect(metrics.text).toContain('container_image_container_info');

    const scans = await call('GET /scans', '/scans', { status: 200 });
    expect(scans.body.items).toHaveLength(1);
    const scan = await call('GET /scans/{repository}', `/scans/${h}/acme/api`, {
      status: 200,
    });
    expect(
      scan.body.scans[0].images.map((i: { tag: string }) => i.tag),
    ).toEqual(['1.1.0', '1.0.0']);
    expect(scan.body.scans[0].images[1].vulnerabilities.total).toBe(4);

    const status = await call('GET /vulnerabilities', '/vulnerabilities', {
      auth: user,
      status: 200,
    });
    expect(status.body.vulnerabilities.scanner.name).toBe('trivy');
    const summary = await call(
      'GET /vulnerabilities/{digest}',
      `/vulnerabilities/${apiDigest}`,
      { status: 200 },
    );
    expect(summary.body.counts).toEqual({
      CRITICAL: 1,
      HIGH: 2,
      MEDIUM: 0,
      LOW: 1,
    });

    const warehouses = await call(
      'GET /kargo/warehouses',
      '/kargo/warehouses',
      {
        auth: service,
        accept: 'application/json',
        status: 200,
      },
    );
    expect(
      warehouses.body.items.map(
        (w: { spec: { subscriptions: Array<{ image: object }> } }) =>
          w.spec.subscriptions[0].image,
      ),
    ).toEqual([
      expect.objectContaining({
        repoURL: `${h}/acme/api`,
        constraint: '1.0.0',
      }),
      expect.objectContaining({
        repoURL: `${h}/runtime/base`,
        constraint: '1',
      }),
    ]);
    const yaml = await call('GET /kargo/warehouses', '/kargo/warehouses', {
      auth: service,
      status: 200,
    });
    expect(yaml.text.match(/^kind: Warehouse$/gm)).toHaveLength(2);

    const workerImage = `${h}/acme/worker:1.0`;
    const triggered = await call(
      'POST /rebuilds/{kind}/{namespace}/{name}/trigger',
      '/rebuilds/component/default/worker/trigger',
      { body: { image: workerImage }, status: 201 },
    );
    expect(triggered.body).toMatchObject({
      outcome: 'triggered',
      trigger: 'manual',
      run: { number: 123 },
    });
    expect(github.writes()).toHaveLength(1);
    const rebuilds = await call(
      'GET /rebuilds/{kind}/{namespace}/{name}',
      '/rebuilds/component/default/worker',
      { status: 200 },
    );
    expect(rebuilds.body.attempts).toEqual([triggered.body]);

    const probes = await call('GET /health-probes', '/health-probes', {
      status: 200,
    });
    expect(
      probes.body.probes[0].results.map((r: { success: boolean }) => r.success),
    ).toEqual([true, true, true, true]);
  });

  it('describes every error answer: Backstage error bodies with the listed statuses', async () => {
    const outsider = mockCredentials.user.header(OUTSIDER);
    const user = mockCredentials.user.header();

    // no valid credentials: 401 from every route
    for (const operation of contract.operations()) {
      await call(operation, sampleUrl(operation), {
        auth: mockCredentials.user.invalidHeader(),
        status: 401,
      });
    }
    // denied by the permission policy (metrics: a user, not a service)
    for (const operation of [
      'GET /scans',
      'GET /scans/{repository}',
      'GET /health-probes',
      'GET /kargo/warehouses',
      'POST /rebuilds/{kind}/{namespace}/{name}/trigger',
    ]) {
      const denied = await call(operation, sampleUrl(operation), {
        auth: outsider,
        status: 403,
      });
      expect(denied.body.error.name).toBe('NotAllowedError');
    }
    await call('GET /metrics', '/metrics', { auth: user, status: 403 });

    // not found
    for (const [operation, values] of [
      ['GET /entities/{kind}/{namespace}/{name}', { name: 'nope' }],
      ['POST /entities/{kind}/{namespace}/{name}/refresh', { name: 'nope' }],
      ['GET /scans/{repository}', { repository: `${h}/acme/other` }],
      ['GET /vulnerabilities/{digest}', { digest: `sha256:${'a'.repeat(64)}` }],
      ['GET /rebuilds/{kind}/{namespace}/{name}', { name: 'nope' }],
      ['POST /rebuilds/{kind}/{namespace}/{name}/trigger', { name: 'nope' }],
    ] as const) {
      await call(operation, sampleUrl(operation, values), { status: 404 });
    }

    // the rebuild trigger: a malformed body; the same base move again
    const trigger = 'POST /rebuilds/{kind}/{namespace}/{name}/trigger';
    const workerTrigger = sampleUrl(trigger, { name: 'worker' });
    await call(trigger, workerTrigger, { body: { image: 42 }, status: 400 });
    const again = await call(trigger, workerTrigger, {
      body: { image: `${h}/acme/worker:1.0` },
      status: 409,
    });
    expect(again.body.error.name).toBe('ConflictError');
    // a query the overview does not take
    for (const query of ['?limit=0', '?verdict=rotten', '?page=2']) {
      const refused = await call('GET /overview', `/overview${query}`, {
        status: 400,
      });
      expect(refused.body.error.name).toBe('InputError');
    }

    // refreshed a moment ago (the success test above): 429 with Retry-After
    const limited = await call(
      'POST /entities/{kind}/{namespace}/{name}/refresh',
      '/entities/component/default/api/refresh',
      { status: 429 },
    );
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('documents the parameter limits the routes enforce: a value past one answers 400', async () => {
    /** A value past each path parameter's maxLength, and one off its pattern. */
    const NOT_A_MATCH = 'Not-A-Match!';
    const cases = contract.operations().flatMap(operation =>
      (contract.operation(operation).parameters ?? []).flatMap(param => {
        const { maxLength, pattern } =
          param.in === 'path' ? param.schema ?? {} : {};
        return [
          ...(maxLength === undefined
            ? []
            : [
                {
                  operation,
                  param,
                  limit: 'maxLength',
                  value: 'a'.repeat(maxLength + 1),
                },
              ]),
          ...(pattern === undefined
            ? []
            : [{ operation, param, limit: 'pattern', value: NOT_A_MATCH }]),
        ];
      }),
    );
    expect(
      cases.map(c => `${c.operation} {${c.param.name}} ${c.limit}`),
    ).toEqual([
      'GET /entities/{kind}/{namespace}/{name} {kind} maxLength',
      'GET /entities/{kind}/{namespace}/{name} {namespace} maxLength',
      'GET /entities/{kind}/{namespace}/{name} {name} maxLength',
      'GET /rebuilds/{kind}/{namespace}/{name} {kind} maxLength',
      'GET /rebuilds/{kind}/{namespace}/{name} {namespace} maxLength',
      'GET /rebuilds/{kind}/{namespace}/{name} {name} maxLength',
      'GET /scans/{repository} {repository} maxLength',
      'GET /vulnerabilities/{digest} {digest} maxLength',
      'GET /vulnerabilities/{digest} {digest} pattern',
      'POST /entities/{kind}/{namespace}/{name}/refresh {kind} maxLength',
      'POST /entities/{kind}/{namespace}/{name}/refresh {namespace} maxLength',
      'POST /entities/{kind}/{namespace}/{name}/refresh {name} maxLength',
      'POST /rebuilds/{kind}/{namespace}/{name}/trigger {kind} maxLength',
      'POST /rebuilds/{kind}/{namespace}/{name}/trigger {namespace} maxLength',
      'POST /rebuilds/{kind}/{namespace}/{name}/trigger {name} maxLength',
    ]);
    const digestPattern = cases.find(c => c.limit === 'pattern')!;
    expect(
      new RegExp(digestPattern.param.schema!.pattern!).test(NOT_A_MATCH),
    ).toBe(false);
    const errors: string[] = [];
    for (const c of cases) {
      const res = await call(
        c.operation,
        sampleUrl(c.operation, { [c.param.name]: c.value }),
        { status: 400 },
      );
      errors.push(res.body.error.name);
    }
    expect(errors).toEqual(cases.map(() => 'InputError'));
  });

  it('saw every status the spec lists, for every operation', () => {
    const listed = Object.fromEntries(
      contract.operations().map(operation => [
        operation,
        Object.keys(contract.operation(operation).responses)
          .filter(status => status !== 'default')
          .map(Number)
          .sort(),
      ]),
    );
    const seen = Object.fromEntries(
      contract
        .operations()
        .map(operation => [
          operation,
          [...(contract.seen.get(operation) ?? [])].sort(),
        ]),
    );
    expect(seen).toEqual(listed);
  });

  it('fails an answer with a field the spec does not list, or without one it requires', async () => {
    const res = await request(backend.server).get(`${API}/scans`);
    const body = JSON.parse(res.text);
    const withExtra = { ...res, text: JSON.stringify({ ...body, next: 'x' }) };
    expect(contract.check('GET /scans', withExtra)).toEqual([
      'body must NOT have additional properties (next)',
    ]);
    const { lastScanStatus, ...withoutStatus } = body.items[0];
    expect(lastScanStatus).toBe('Success');
    const withoutField = {
      ...res,
      text: JSON.stringify({ items: [withoutStatus] }),
    };
    expect(contract.check('GET /scans', withoutField)).toEqual([
      "body/items/0 must have required property 'lastScanStatus'",
    ]);
    expect(contract.check('GET /scans', { ...res, status: 418 })).toEqual([
      'status 418 is not listed in the spec',
    ]);
  });
});

describe('a route the spec does not list', () => {
  it('is found among the mounted routes, so the route check above fails', async () => {
    // a module's feature, mounted as every feature is
    const extra = createBackendModule({
      pluginId: 'image-freshness',
      moduleId: 'undocumented-route',
      register(env) {
        env.registerInit({
          deps: { features: imageFreshnessFeaturesExtensionPoint },
          async init({ features }) {
            const router = Router();
            router.delete('/scans/:repository(*)', (_req, res) => {
              res.status(204).end();
            });
            features.addFeature(() => ({ name: 'extra', router }));
          },
        });
      },
    });
    const contract = await OpenApiContract.load();
    const { backend } = await startPluginBackend({
      features: [catalogServiceMock.factory({ entities: [] }), extra],
      config: { imageFreshness: {} },
    });
    try {
      const mounted = mountedRoutes(backend.server, API);
      expect(mounted).toContain('DELETE /scans/{repository}');
      expect(
        mounted.filter(route => !contract.operations().includes(route)),
      ).toEqual(['DELETE /scans/{repository}']);
    } finally {
      await backend.stop();
    }
  });
});
