/*
 * Faults, end to end: a real registry behind a fault proxy, the Kubernetes
 * API stand-in behind a second one, the real backend on a PostgreSQL of its
 * own, refreshing every 3 s. For each fault (registry down mid-refresh: connections reset or refused, a 429
 * storm with Retry-After, a slow registry, truncated and oversized bodies,
 * corrupt content, a cluster answering 401 and 500, the database restarting)
 * the backend must stay up, keep serving the last good data, show the error
 * with its class in the API and in /metrics, and recover fully on the next
 * refresh once the fault is lifted, picking up builds pushed during it. One
 * fault is also checked in the Image freshness tab in Chromium.
 */
import {
  ERROR_ADVICE,
  type ContainerReport,
  type EntityImageReport,
  type ErrorClass,
} from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  guestToken,
  mergeConfig,
  portalConfig,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { launchChromium } from '../harness/browser';
import { FaultProxy, FaultRule, startFaultProxy } from '../harness/fault-proxy';
import { pushImage } from '../harness/images';
import {
  clusterConfig,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { buildAppObjects } from '../harness/kubernetes-fixtures';
import { startPostgres, TestPostgres } from '../harness/postgres';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { catalogYaml } from '../harness/catalog';

jest.setTimeout(120_000);

const OUTPUT = path.join(ROOT, 'test-output');
const METRICS_TOKEN = 'faults-metrics-token-0123456789';
const CLUSTER = 'eu-west';
const CLUSTER_TOKEN = 'faults-cluster-token';
const BILLING = 'component:default/billing';
const ORDERS = 'component:default/orders';
/** The per-request timeout configured for the registry (through its proxy). */
const TIMEOUT_MS = 1500;

/** The images, by the name the test uses: repository and tag. */
const IMAGES = {
  api: { repo: 'billing/api', tag: '1.0' },
  worker: { repo: 'billing/worker', tag: '2.0' },
  orders: { repo: 'shop/orders', tag: '3.1' },
  sidecar: { repo: 'platform/sidecar', tag: '1.30' },
} as const;
type ImageName = keyof typeof IMAGES;

interface Build {
  digest: string;
  configDigest: string;
  created: string;
}

/** A rule for the next request to the registry: `then` runs, then the request is forwarded. */
const onFirstRequest = (then: () => unknown): FaultRule => ({
  path: '/v2/',
  times: 1,
  fault: {
    respond: async ctx => {
      await then();
      return ctx.forward();
    },
  },
});

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const short = (digest: string) => digest.replace('sha256:', '').slice(0, 12);

describe('faults: the backend stays up, serves the last good data, classifies the error and recovers', () => {
  let registry: TestRegistry;
  let registryProxy: FaultProxy;
  let cluster: KubernetesStandIn;
  let clusterProxy: FaultProxy;
  let pg: TestPostgres;
  let backend: TestBackend;
  let dir: string;
  let token: string;
  /** What each tag points at in the registry now. */
  const current = {} as Record<ImageName, Build>;
  const refs = {} as Record<ImageName, string>;
  let builds = 0;

  /** Pushes a new build of an image under its tag, built more recently than the last. */
  async function pushBuild(name: ImageName): Promise<Build> {
    builds++;
    const created = new Date(
      Date.now() - (100 - builds) * 3600_000,
    ).toISOString();
    const { repo, tag } = IMAGES[name];
    const pushed = await pushImage(registry.url, repo, tag, {
      created,
      labels: { 'org.opencontainers.image.version': `${tag}-build${builds}` },
    });
    current[name] = {
      digest: pushed.digest,
      configDigest: pushed.configDigest,
      created,
    };
    return current[name];
  }

  beforeAll(async () => {
    requireBinaries('docker-registry', 'chromium');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (yarn workspace app build)',
      );
    }
    fs.mkdirSync(OUTPUT, { recursive: true });
    registry = await startRegistry();
    registryProxy = await startFaultProxy(registry.url);
    for (const name of Object.keys(IMAGES) as ImageName[]) {
      await pushBuild(name);
      refs[
        name
      ] = `${registryProxy.host}/${IMAGES[name].repo}:${IMAGES[name].tag}`;
    }
    cluster = await startKubernetesStandIn({
      token: CLUSTER_TOKEN,
      objects: buildAppObjects({
        name: 'orders',
        namespace: 'shop',
        images: {
          app: refs.orders,
          sidecar: refs.sidecar,
          init: refs.sidecar,
          migrate: refs.sidecar,
          cache: refs.sidecar,
          agent: refs.sidecar,
          job: refs.sidecar,
          debug: refs.sidecar,
        },
        running: {
          [refs.orders]: current.orders.digest,
          [refs.sidecar]: current.sidecar.digest,
        },
      }),
    });
    clusterProxy = await startFaultProxy(cluster.url);
    pg = await startPostgres();

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-faults-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        {
          name: 'orders',
          owner: 'team-faults',
          annotations: { 'backstage.io/kubernetes-id': 'orders' },
        },
        {
          name: 'billing',
          owner: 'team-faults',
          annotations: {
            'image-freshness/images': `${refs.api},${refs.worker}`,
          },
        },
      ]),
    );
    backend = await startBackend({
      logName: 'faults-backend',
      config: () =>
        mergeConfig(
          portalConfig({
            catalogFile,
            staticToken: { token: METRICS_TOKEN, subject: 'prometheus' },
            clusters: [clusterConfig(CLUSTER, clusterProxy, CLUSTER_TOKEN)],
          }),
          {
            backend: {
              database: { client: 'pg', connection: pg.connectionString },
            },
            imageFreshness: {
              allowedHosts: [registryProxy.host],
              cacheDuration: { seconds: 1 },
              schedule: {
                frequency: { seconds: 3 },
                timeout: { minutes: 1 },
                initialDelay: { seconds: 1 },
              },
              registries: [
                {
                  host: registryProxy.host,
                  timeout: { milliseconds: TIMEOUT_MS },
                },
              ],
            },
          },
        ),
    });
    token = await guestToken(backend.url);
  }, 180_000);

  afterAll(async () => {
    await backend?.stop();
    await pg?.destroy();
    await clusterProxy?.stop();
    await cluster?.stop();
    await registryProxy?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // ---- reading the backend ----

  async function getReport(
    entityRef: string,
  ): Promise<{ status: number; report?: EntityImageReport }> {
    const [kind, rest] = entityRef.split(':');
    const res = await fetch(
      `${backend.url}/api/image-freshness/entities/${kind}/${rest}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    if (!res.ok) {
      await res.arrayBuffer();
      return { status: res.status };
    }
    return { status: res.status, report: await res.json() };
  }

  /** Polls the entity's report until `ready` holds; fails with the last report seen. */
  async function waitForReport(
    entityRef: string,
    ready: (report: EntityImageReport) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<EntityImageReport> {
    const deadline = Date.now() + timeoutMs;
    let last: EntityImageReport | undefined;
    for (;;) {
      last = (await getReport(entityRef)).report ?? last;
      if (last && ready(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `${entityRef}: ${what} did not happen in ${timeoutMs} ms; last report: ${JSON.stringify(
            last,
            null,
            1,
          )}`,
        );
      }
      await sleep(500);
    }
  }

  /** Every sample of /metrics, read with the static token. */
  async function scrape(): Promise<Sample[]> {
    const res = await fetch(`${backend.url}/api/image-freshness/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    return readSamples(await res.text());
  }

  /** The counter's value summed over the series whose labels include `labels`. */
  async function metric(
    name: string,
    labels: Record<string, string>,
  ): Promise<number> {
    return (await scrape())
      .filter(
        sample =>
          sample.name === name &&
          Object.entries(labels).every(([k, v]) => sample.labels[k] === v),
      )
      .reduce((sum, sample) => sum + sample.value, 0);
  }

  /** Polls the metric until `ready` holds for its value; answers the value. */
  async function waitForMetric(
    name: string,
    labels: Record<string, string>,
    ready: (value: number) => boolean,
    timeoutMs = 30_000,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await metric(name, labels);
      if (ready(value)) return value;
      if (Date.now() > deadline) {
        throw new Error(
          `${name}${JSON.stringify(
            labels,
          )} is still ${value} after ${timeoutMs} ms`,
        );
      }
      await sleep(500);
    }
  }

  async function expectAlive() {
    const res = await fetch(`${backend.url}/.backstage/health/v1/readiness`);
    expect(res.status).toBe(200);
  }

  const containersOf = (report: EntityImageReport, name: ImageName) =>
    report.containers.filter(c => c.image === refs[name]);

  /** Every container of the image serves this build and no error. */
  const serves = (report: EntityImageReport, name: ImageName, build: Build) => {
    const containers = containersOf(report, name);
    return (
      containers.length > 0 &&
      containers.every(
        c =>
          !c.error &&
          c.metadata?.digest === build.digest &&
          c.metadata?.created === build.created,
      )
    );
  };

  /** No error anywhere, and every image as the registry holds it now. */
  const healthy = (report: EntityImageReport, names: ImageName[]) =>
    report.errors.length === 0 &&
    report.containers.every(c => !c.error) &&
    names.every(name => serves(report, name, current[name]));

  /** Waits until both entities are healthy, refreshed after `since`. */
  async function waitForRecovery(since: Date) {
    const fresh = (r: EntityImageReport) =>
      !!r.refreshedAt && Date.parse(r.refreshedAt) > since.getTime();
    const billing = await waitForReport(
      BILLING,
      r => fresh(r) && healthy(r, ['api', 'worker']),
      'recovery',
    );
    const orders = await waitForReport(
      ORDERS,
      r => fresh(r) && healthy(r, ['orders', 'sidecar']),
      'recovery',
    );
    return { billing, orders };
  }

  /** The container's error, when it is of this class and was seen after `since`. */
  const errorOf = (c: ContainerReport, since: Date, errorClass: ErrorClass) =>
    c.error?.class === errorClass && Date.parse(c.error.at) >= since.getTime()
      ? c.error
      : undefined;

  /**
   * Runs one registry fault: installs the rules, pushes new builds of
   * `rebuild`, waits until each image of `expected` fails with its class,
   * checks the last good data is still served and the error is counted,
   * runs `during`, lifts the fault and waits for full recovery.
   */
  async function registryFault(options: {
    rules: FaultRule[];
    rebuild: ImageName[];
    expected: Partial<Record<ImageName, ErrorClass>>;
    during?: (report: EntityImageReport) => Promise<void>;
    /** The registry's port is closed: the advice says "could not reach" it instead of the class's. */
    unreachable?: boolean;
  }): Promise<EntityImageReport> {
    const expected = Object.entries(options.expected) as Array<
      [ImageName, ErrorClass]
    >;
    const good = await waitForReport(
      BILLING,
      r => healthy(r, ['api', 'worker']),
      'a healthy report before the fault',
    );
    const lastGood = Object.fromEntries(
      expected.map(([name]) => [name, containersOf(good, name)[0].metadata!]),
    );
    const classes = [...new Set(expected.map(([, c]) => c))];
    const countedBefore = await Promise.all(
      classes.map(error =>
        metric('image_freshness_resolve_errors_total', {
          host: registryProxy.host,
          error,
        }),
      ),
    );

    const started = new Date();
    registryProxy.clearRequests();
    options.rules.forEach(rule => registryProxy.addFault(rule));
    let failing: EntityImageReport;
    try {
      for (const name of options.rebuild) await pushBuild(name);
      failing = await waitForReport(
        BILLING,
        r =>
          expected.every(([name, errorClass]) =>
            containersOf(r, name).every(c => errorOf(c, started, errorClass)),
          ),
        `the errors ${JSON.stringify(options.expected)}`,
      );
      for (const [name, errorClass] of expected) {
        for (const c of containersOf(failing, name)) {
          // the last good build stays beside the error
          expect(c.metadata?.digest).toBe(lastGood[name].digest);
          expect(c.metadata?.created).toBe(lastGood[name].created);
          expect(c.freshness.verdict).not.toBe('unknown');
          expect(c.error).toMatchObject({
            class: errorClass,
            advice: options.unreachable
              ? `Could not reach ${registryProxy.host}; it is retried on the next refresh. If this persists, check the host name and that the backend can connect to it (DNS, proxy, firewall).`
              : ERROR_ADVICE[errorClass],
          });
          expect(c.error?.message).toContain(refs[name]);
        }
      }
      await expectAlive();
      // counted when the refresh run that stored them finishes
      for (const [i, errorClass] of classes.entries()) {
        await waitForMetric(
          'image_freshness_resolve_errors_total',
          { host: registryProxy.host, error: errorClass },
          n => n > countedBefore[i],
        );
      }
      await options.during?.(failing);
    } finally {
      registryProxy.clearFaults();
      await registryProxy.up();
    }

    const { billing } = await waitForRecovery(new Date());
    for (const name of options.rebuild) {
      expect(serves(billing, name, current[name])).toBe(true);
    }
    return failing;
  }

  /**
   * The Image freshness tab during a fault: the failing row still shows the
   * last good build (its digest) beside the error's class and advice.
   */
  async function checkTab(report: EntityImageReport) {
    const api = containersOf(report, 'api')[0];
    const browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1440, height: 1000 },
    });
    try {
      await page.goto(
        `${backend.url}/catalog/default/component/billing/image-freshness`,
      );
      await page
        .getByRole('button', { name: 'Enter' })
        .click({ timeout: 60_000 });
      const row = page.getByRole('row').filter({ hasText: 'api:1.0' });
      await row
        .getByRole('note', { name: `${api.error!.class} error` })
        .waitFor({ timeout: 60_000 });
      const text = (await row.textContent()) ?? '';
      expect(text).toContain(short(api.metadata!.digest));
      expect(text).toContain(api.error!.class);
      expect(text).toContain(ERROR_ADVICE[api.error!.class]);
      await page.mouse.move(0, 0);
      await page.screenshot({
        path: path.join(OUTPUT, 'faults-timeout.png'),
        fullPage: true,
      });
    } catch (error) {
      await page.screenshot({
        path: path.join(OUTPUT, 'faults-failure.png'),
        fullPage: true,
      });
      throw error;
    } finally {
      await browser.close();
    }
  }

  it('serves the first reports of both entities', async () => {
    const started = Date.now();
    const { billing, orders } = await waitForRecovery(new Date(0));
    // eslint-disable-next-line no-console
    console.log(`first reports after ${Date.now() - started} ms`);
    expect(billing.containers.map(c => c.image).sort()).toEqual(
      [refs.api, refs.worker].sort(),
    );
    // every workload kind of the fixture app, on the one cluster
    expect(new Set(orders.containers.map(c => c.workload.kind))).toEqual(
      new Set([
        'Pod',
        'Deployment',
        'ReplicaSet',
        'StatefulSet',
        'DaemonSet',
        'Job',
        'CronJob',
      ]),
    );
    expect(orders.containers.every(c => c.workload.cluster === CLUSTER)).toBe(
      true,
    );
  });

  it('a) registry down mid-refresh: connections reset from the first request of a refresh on', async () => {
    const requestsBefore = await metric(
      'image_freshness_registry_requests_total',
      { host: registryProxy.host, code: 'SERVER_ERROR' },
    );
    const failing = await registryFault({
      // the refresh's first request still goes through, then the registry goes down
      rules: [
        onFirstRequest(() =>
          registryProxy.addFault({ path: '/v2/', fault: { reset: true } }),
        ),
      ],
      rebuild: ['api'],
      expected: { api: 'SERVER_ERROR', worker: 'SERVER_ERROR' },
    });
    expect(containersOf(failing, 'api')[0].error?.message).toMatch(
      /could not be reached/,
    );
    const faults = registryProxy.requests().map(r => r.fault);
    expect(faults[0]).toBe('respond');
    expect(faults.filter(f => f === 'reset').length).toBeGreaterThan(3);
    expect(
      await metric('image_freshness_registry_requests_total', {
        host: registryProxy.host,
        code: 'SERVER_ERROR',
      }),
    ).toBeGreaterThan(requestsBefore);
  });

  it('a) registry down mid-refresh: its port closed under the first request of a refresh, connections refused', async () => {
    const failing = await registryFault({
      // the registry dies under the refresh's first request: that
      // connection and every open one cut, new ones refused
      rules: [onFirstRequest(() => registryProxy.down())],
      rebuild: ['worker'],
      expected: { api: 'SERVER_ERROR', worker: 'SERVER_ERROR' },
      unreachable: true,
    });
    expect(containersOf(failing, 'worker')[0].error?.message).toMatch(
      /Could not reach .*ECONNREFUSED/,
    );
    expect(registryProxy.requests().map(r => r.fault)[0]).toBe('respond');
  });

  it('b) a 429 storm with Retry-After: the client waits as asked, gives up after its retries, and recovers', async () => {
    const tooMany = await metric('image_freshness_registry_requests_total', {
      host: registryProxy.host,
      method: 'HEAD',
      code: '429',
    });
    const failing = await registryFault({
      rules: [
        {
          path: '/v2/',
          fault: {
            answer: {
              status: 429,
              headers: {
                'retry-after': '1',
                'content-type': 'application/json',
              },
              body: JSON.stringify({
                errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }],
              }),
            },
          },
        },
      ],
      rebuild: ['api'],
      expected: { api: 'RATE_LIMITED', worker: 'RATE_LIMITED' },
      during: async () => {
        // one resolution: the first try and 3 retries, each a Retry-After (1 s) after the last
        const tries = registryProxy
          .requests()
          .filter(
            r =>
              r.method === 'HEAD' &&
              r.path === `/v2/${IMAGES.api.repo}/manifests/${IMAGES.api.tag}` &&
              r.fault === 'answer',
          )
          .slice(0, 4);
        expect(tries).toHaveLength(4);
        const gaps = tries.slice(1).map((r, i) => r.at - tries[i].at);
        // eslint-disable-next-line no-console
        console.log(`429 retry gaps: ${gaps.join(', ')} ms`);
        for (const gap of gaps) {
          expect(gap).toBeGreaterThanOrEqual(950);
          expect(gap).toBeLessThan(5000);
        }
      },
    });
    expect(containersOf(failing, 'api')[0].error?.message).toMatch(
      /answered 429 to HEAD the manifest of \S+ after 3 retries/,
    );
    expect(
      await metric('image_freshness_registry_requests_total', {
        host: registryProxy.host,
        method: 'HEAD',
        code: '429',
      }),
    ).toBeGreaterThanOrEqual(tooMany + 8);
  });

  it('c) a slow registry: within the timeout it succeeds, beyond it TIMEOUT, shown in the Image freshness tab', async () => {
    // slow but within the timeout: the new build is picked up
    const slowStart = new Date();
    registryProxy.addFault({ path: '/v2/', fault: { delayMs: 300 } });
    await pushBuild('api');
    await waitForRecovery(slowStart);
    expect(
      registryProxy
        .requests()
        .filter(r => r.fault === 'delayMs' && r.status === 200).length,
    ).toBeGreaterThan(0);
    registryProxy.clearFaults();

    const timeouts = await metric('image_freshness_registry_requests_total', {
      host: registryProxy.host,
      code: 'TIMEOUT',
    });
    const failing = await registryFault({
      rules: [{ path: '/v2/', fault: { delayMs: TIMEOUT_MS * 2 } }],
      rebuild: ['api'],
      expected: { api: 'TIMEOUT', worker: 'TIMEOUT' },
      during: async report => {
        await checkTab(report);
      },
    });
    expect(containersOf(failing, 'api')[0].error?.message).toContain(
      `did not answer`,
    );
    expect(containersOf(failing, 'api')[0].error?.message).toContain(
      `within ${TIMEOUT_MS} ms`,
    );
    expect(
      await metric('image_freshness_registry_requests_total', {
        host: registryProxy.host,
        code: 'TIMEOUT',
      }),
    ).toBeGreaterThan(timeouts);
  });

  it('d) truncated and oversized bodies: SERVER_ERROR (connection closed) and TOO_LARGE', async () => {
    const manifestOf = (name: ImageName) =>
      new RegExp(`^/v2/${IMAGES[name].repo}/manifests/sha256:`);
    const failing = await registryFault({
      rules: [
        { method: 'GET', path: manifestOf('api'), fault: { truncate: 40 } },
        {
          method: 'GET',
          path: manifestOf('worker'),
          fault: { pad: 5 * 1024 * 1024 },
        },
      ],
      rebuild: ['api', 'worker'],
      expected: { api: 'SERVER_ERROR', worker: 'TOO_LARGE' },
    });
    expect(containersOf(failing, 'api')[0].error?.message).toContain(
      'the connection closed before the answer was complete',
    );
    expect(containersOf(failing, 'worker')[0].error?.message).toMatch(
      /bytes declared, over the 4194304 byte limit/,
    );
  });

  it('e) wrong digests: a corrupt manifest and a corrupt config blob are DIGEST_MISMATCH', async () => {
    const failing = await registryFault({
      rules: [
        {
          method: 'GET',
          path: new RegExp(`^/v2/${IMAGES.api.repo}/blobs/sha256:`),
          fault: { corrupt: true },
        },
        {
          method: 'GET',
          path: new RegExp(`^/v2/${IMAGES.worker.repo}/manifests/sha256:`),
          fault: { corrupt: true },
        },
      ],
      rebuild: ['api', 'worker'],
      expected: { api: 'DIGEST_MISMATCH', worker: 'DIGEST_MISMATCH' },
    });
    // the builds pushed during the fault are the ones whose content was altered
    expect(containersOf(failing, 'api')[0].error?.message).toContain(
      `sent the blob ${registryProxy.host}/${IMAGES.api.repo}@${current.api.configDigest} with content whose digest is`,
    );
    expect(containersOf(failing, 'worker')[0].error?.message).toContain(
      `, not ${current.worker.digest}; the registry or a proxy in between altered it`,
    );
  });

  it('f) the cluster answers 401, then 500: classified per cluster, last good containers kept, annotation images unaffected', async () => {
    const source = `kubernetes:${CLUSTER}`;
    const describe = (report: EntityImageReport) =>
      report.containers
        .map(
          c =>
            `${c.workload.kind}/${c.workload.name} ${c.workload.jsonpath} ${c.image} ${c.metadata?.digest} ${c.metadata?.created}`,
        )
        .sort();
    const good = await waitForReport(
      ORDERS,
      r => healthy(r, ['orders', 'sidecar']),
      'a healthy report before the fault',
    );
    expect(good.containers.length).toBeGreaterThan(5);
    let rebuilt = false;
    // advice worded for a cluster, not for a registry
    for (const [status, errorClass, reason, advice] of [
      [401, 'AUTHENTICATION', 'Unauthorized', /and their RBAC permissions/],
      [500, 'SERVER_ERROR', 'InternalError', /^The cluster API server failed/],
    ] as const) {
      const counted = await metric('image_freshness_source_errors_total', {
        source,
        error: errorClass,
      });
      const started = new Date();
      clusterProxy.addFault({
        path: '/',
        fault: {
          answer: {
            status,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: reason,
              reason,
              code: status,
            }),
          },
        },
      });
      try {
        if (!rebuilt) {
          // a new build while the cluster cannot be read: seen after recovery
          await pushBuild('orders');
          rebuilt = true;
        }
        const failing = await waitForReport(
          ORDERS,
          r =>
            r.errors.some(
              e =>
                e.source === source &&
                e.class === errorClass &&
                Date.parse(e.at) >= started.getTime(),
            ),
          `a ${errorClass} error of ${source}`,
        );
        const error = failing.errors.find(e => e.source === source)!;
        expect(error.message).toContain(`Kubernetes cluster "${CLUSTER}"`);
        expect(error.message).toContain(`answered ${status}`);
        expect(error.advice).toMatch(advice);
        expect(error.advice).not.toBe(ERROR_ADVICE[errorClass]);
        // the last good containers, as they were
        expect(describe(failing)).toEqual(describe(good));
        // the annotation-declared entity is refreshed as usual
        await waitForReport(
          BILLING,
          r =>
            Date.parse(r.refreshedAt ?? '') > started.getTime() &&
            healthy(r, ['api', 'worker']),
          'a healthy refresh during the cluster fault',
        );
        await expectAlive();
        await waitForMetric(
          'image_freshness_source_errors_total',
          { source, error: errorClass },
          n => n > counted,
        );
      } finally {
        clusterProxy.clearFaults();
      }
    }
    const { orders } = await waitForRecovery(new Date());
    expect(describe(orders)).not.toEqual(describe(good));
    expect(orders.containers.length).toBe(good.containers.length);
  });

  it('g) the database restarts: the backend survives, /metrics keeps its last series, and the stored report is served and refreshed again', async () => {
    const good = await waitForReport(
      BILLING,
      r => healthy(r, ['api', 'worker']),
      'a healthy report before the restart',
    );
    const goodApi = containersOf(good, 'api')[0].metadata!;
    await pg.stop();
    const outage: Array<{ report: number; ready: number; apiDigest?: string }> =
      [];
    try {
      await pushBuild('api');
      // two refresh periods and more without a database
      const until = Date.now() + 7000;
      while (Date.now() < until) {
        const { status } = await getReport(BILLING);
        const ready = await fetch(
          `${backend.url}/.backstage/health/v1/readiness`,
        );
        await ready.arrayBuffer();
        const info = (await scrape()).find(
          x =>
            x.name === 'container_image_container_info' &&
            x.labels.image === refs.api,
        );
        outage.push({
          report: status,
          ready: ready.status,
          apiDigest: info?.labels.digest,
        });
        await sleep(1000);
      }
    } finally {
      await pg.start();
    }
    // eslint-disable-next-line no-console
    console.log(`during the outage: ${JSON.stringify(outage)}`);
    expect(outage.length).toBeGreaterThanOrEqual(4);
    for (const seen of outage) {
      // reading an entity needs the catalog and the permission framework,
      // both on the database: Backstage answers 500, the process stays up
      expect(seen.report).toBe(500);
      expect(seen.ready).toBe(200);
      // /metrics answers from its in-memory snapshot: the last good digest
      expect(seen.apiDigest).toBe(goodApi.digest);
    }

    const restarted = new Date();
    // the stored report is served again...
    const back = await waitForReport(BILLING, () => true, 'a report');
    expect(Date.parse(back.refreshedAt!)).toBeGreaterThanOrEqual(
      Date.parse(good.refreshedAt!),
    );
    expect([goodApi.digest, current.api.digest]).toContain(
      containersOf(back, 'api')[0].metadata?.digest,
    );
    // ...and the next refresh writes the build pushed during the outage
    const { billing } = await waitForRecovery(restarted);
    expect(serves(billing, 'api', current.api)).toBe(true);
    await expectAlive();
  });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (label values here hold no quotes or escapes). */
function readSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(
      /(\w+)="([^"]*)"/g,
    )) {
      labels[key] = value;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}
