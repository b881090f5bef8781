/*
 * /metrics on real parts: images pushed to a real registry with build times
 * and labels chosen here, an application on the Kubernetes API stand-in
 * (Deployment, ReplicaSet, Pods, StatefulSet, DaemonSet, CronJob, Job), two
 * annotation-declared entities, the real backend (catalog, Kubernetes, auth
 * with a `backend.auth.externalAccess` static token) and a real Prometheus
 * scraping it with that token. The seed exporter's README queries and the
 * ownership joins must give the answers this data implies; the dashboard's
 * queries must all be valid PromQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  guestToken,
  portalConfig,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { pushImage } from '../harness/images';
import {
  clusterConfig,
  KubernetesObject,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { buildAppObjects } from '../harness/kubernetes-fixtures';
import { Sample, startPrometheus, TestPrometheus } from '../harness/prometheus';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { catalogYaml } from '../harness/catalog';

jest.setTimeout(240_000);

const METRICS_PATH = '/api/image-freshness/metrics';
/** The static token Prometheus sends (backend.auth.externalAccess). */
const TOKEN = 'prometheus-scrape-token-0123456789';
const CLUSTER_TOKEN = 'eu-west-service-account-token';
const FAMILY = 'dev.chainguard.package.main';
const DAY = 24 * 3600 * 1000;

const daysAgo = (days: number) =>
  new Date(Date.now() - days * DAY).toISOString();

/** What each test image is: its build time (undefined: none recorded) and whether it carries the family label. */
const IMAGES = {
  app: { repo: 'shop/checkout', tag: '2.0', age: 30, family: true },
  sidecar: { repo: 'platform/envoy', tag: '1.30', age: 3, family: true },
  init: { repo: 'platform/busybox', tag: '1.36', age: 20, family: false },
  migrate: { repo: 'platform/migrate', tag: '4.17', age: 1, family: false },
  cache: { repo: 'platform/redis', tag: '7.2', age: 40, family: true },
  agent: {
    repo: 'platform/fluent-bit',
    tag: '3.0',
    age: undefined,
    family: false,
  },
  job: { repo: 'platform/report', tag: '2.3', age: 16, family: false },
  debug: { repo: 'platform/netshoot', tag: '0.12', age: 100, family: false },
  billing: { repo: 'billing/api', tag: '1.0', age: 60, family: true },
  docs: { repo: 'docs/site', tag: '3.1', age: 2, family: false },
} as const;
type ImageName = keyof typeof IMAGES;

/** Where each workload kind keeps its pod spec (the seed's jsonpath prefixes). */
const POD_SPEC: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Every container the cluster defines: the test's own reading of the objects it serves. */
function clusterContainers(objects: KubernetesObject[]) {
  const found: Array<{ kind: string; image: string }> = [];
  for (const object of objects) {
    const where = POD_SPEC[object.kind];
    if (!where) continue;
    let spec: any = object;
    for (const key of where) spec = spec?.[key];
    for (const list of [
      'initContainers',
      'containers',
      'ephemeralContainers',
    ]) {
      for (const c of spec?.[list] ?? []) {
        found.push({ kind: object.kind, image: c.image });
      }
    }
  }
  return found;
}

const entitiesYaml = (billing: string[], docs: string[]) =>
  catalogYaml([
    {
      name: 'checkout',
      annotations: { 'backstage.io/kubernetes-id': 'checkout' },
      owner: 'team-shop',
      system: 'shop',
    },
    {
      name: 'billing',
      annotations: { 'image-freshness/images': billing.join(',') },
      owner: 'team-billing',
    },
    {
      name: 'docs',
      annotations: { 'image-freshness/images': docs.join(',') },
      type: 'website',
      lifecycle: 'experimental',
      owner: 'team-docs',
    },
  ]);

const byLabels = (samples: Sample[], ...labels: string[]) =>
  Object.fromEntries(
    samples.map(s => [labels.map(l => s.metric[l] ?? '').join(' '), s.value]),
  );

describe('/metrics scraped by a real Prometheus with a static token', () => {
  let registry: TestRegistry;
  let cluster: KubernetesStandIn;
  let backend: TestBackend;
  let prometheus: TestPrometheus;
  let dir: string;
  const refs = {} as Record<ImageName, string>;
  const digests = {} as Record<ImageName, string>;
  let objects: KubernetesObject[];
  let ghost: string;
  let baseName: string;
  let baseDigest: string;
  /** The digest the app pods run: a build from before the tag moved (drift). */
  let oldAppDigest: string;

  beforeAll(async () => {
    requireBinaries('docker-registry', 'prometheus');
    registry = await startRegistry();
    // billing/api says what it is built on, in the OCI base annotations.
    const base = await pushImage(registry.url, 'base/distroless', '12', {
      created: daysAgo(90),
    });
    baseName = `${registry.host}/base/distroless:12`;
    baseDigest = base.digest;
    for (const [name, spec] of Object.entries(IMAGES) as Array<
      [ImageName, (typeof IMAGES)[ImageName]]
    >) {
      const pushed = await pushImage(registry.url, spec.repo, spec.tag, {
        created: spec.age === undefined ? undefined : daysAgo(spec.age),
        labels: {
          'org.opencontainers.image.title': name,
          ...(spec.family ? { [FAMILY]: name } : {}),
          'com.example.build-host': 'runner-7', // not exported
        },
        annotations:
          name === 'billing'
            ? {
                'org.opencontainers.image.base.name': baseName,
                'org.opencontainers.image.base.digest': baseDigest,
              }
            : undefined,
      });
      refs[name] = `${registry.host}/${spec.repo}:${spec.tag}`;
      digests[name] = pushed.digest;
    }
    oldAppDigest = (
      await pushImage(registry.url, 'shop/checkout', '1.9', {
        created: daysAgo(45),
      })
    ).digest;
    ghost = `${registry.host}/billing/ghost:1.0`;

    objects = buildAppObjects({
      name: 'checkout',
      namespace: 'shop',
      images: {
        app: refs.app,
        sidecar: refs.sidecar,
        init: refs.init,
        migrate: refs.migrate,
        cache: refs.cache,
        agent: refs.agent,
        job: refs.job,
        debug: refs.debug,
      },
      running: {
        ...Object.fromEntries(
          (Object.keys(refs) as ImageName[]).map(n => [refs[n], digests[n]]),
        ),
        [refs.app]: oldAppDigest,
      },
    });
    cluster = await startKubernetesStandIn({ token: CLUSTER_TOKEN, objects });

    dir = fs.mkdtempSync(
      path.join(os.tmpdir(), 'image-freshness-metrics-e2e-'),
    );
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      entitiesYaml([refs.billing, ghost], [refs.docs]),
    );
    backend = await startBackend({
      logName: 'metrics-backend',
      config: () => ({
        ...portalConfig({
          catalogFile,
          staticToken: { token: TOKEN, subject: 'prometheus' },
          clusters: [clusterConfig('eu-west', cluster, CLUSTER_TOKEN)],
        }),
        imageFreshness: {
          allowedHosts: [registry.host],
          schedule: {
            frequency: { seconds: 3 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
          metrics: { labelKeys: [FAMILY] },
        },
      }),
    });
    prometheus = await startPrometheus({
      targets: [
        {
          address: `127.0.0.1:${backend.port}`,
          metricsPath: METRICS_PATH,
          token: TOKEN,
        },
      ],
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await backend?.stop();
    await cluster?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Every container: the cluster's, plus the three annotation-declared images. */
  function expectedContainers() {
    const image = (ref: string) =>
      (Object.keys(refs) as ImageName[]).find(n => refs[n] === ref);
    return [
      ...clusterContainers(objects).map(c => ({
        ...c,
        name: image(c.image),
        owner: 'team-shop',
      })),
      {
        kind: 'Annotation',
        image: refs.billing,
        name: 'billing' as ImageName,
        owner: 'team-billing',
      },
      {
        kind: 'Annotation',
        image: ghost,
        name: undefined,
        owner: 'team-billing',
      },
      {
        kind: 'Annotation',
        image: refs.docs,
        name: 'docs' as ImageName,
        owner: 'team-docs',
      },
    ];
  }

  it('answers 401 without the token, 403 to a signed-in user, 200 with it', async () => {
    const url = `${backend.url}${METRICS_PATH}`;
    expect((await fetch(url)).status).toBe(401);
    expect(
      (
        await fetch(url, {
          headers: { authorization: 'Bearer not-the-token-at-all' },
        })
      ).status,
    ).toBe(401);
    const user = await guestToken(backend.url);
    expect(
      (await fetch(url, { headers: { authorization: `Bearer ${user}` } }))
        .status,
    ).toBe(403);
    // As Prometheus asks: gzip, which the backend's compression middleware
    // leaves to the route (the store's part is compressed once per snapshot).
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${TOKEN}`, 'accept-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'text/plain; version=0.0.4; charset=utf-8',
    );
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const text = await res.text();
    expect(text).toContain('# TYPE container_image_container_info gauge');
    expect(text).toContain(
      '# TYPE image_freshness_registry_requests_total counter',
    );
  });

  it('is scraped by Prometheus with the token, and holds every container', async () => {
    const all = expectedContainers();
    await prometheus.waitFor(
      'up{job="image-freshness"}',
      s => s.length === 1 && s[0].value === 1,
      30_000,
    );
    // The refresh runs every 3 s; wait until the last of its data is scraped.
    await prometheus.waitFor(
      'count(container_image_container_info)',
      s => s[0]?.value === all.length,
      90_000,
    );
    await prometheus.waitFor(
      'count(container_image_created)',
      s => s[0]?.value === Object.values(IMAGES).filter(i => i.age).length,
      30_000,
    );
    const [target] = await prometheus.targets();
    expect(target).toMatchObject({ health: 'up', lastError: '' });

    const kinds = byLabels(
      await prometheus.query(
        'count by (kind) (container_image_container_info)',
      ),
      'kind',
    );
    const expectedKinds: Record<string, number> = {};
    for (const c of all)
      expectedKinds[c.kind] = (expectedKinds[c.kind] ?? 0) + 1;
    expect(kinds).toEqual(expectedKinds);
    // Pods and their controllers both appear, as in the seed.
    expect(Object.keys(kinds).sort()).toEqual([
      'Annotation',
      'CronJob',
      'DaemonSet',
      'Deployment',
      'Job',
      'Pod',
      'ReplicaSet',
      'StatefulSet',
    ]);
  });

  it("answers the seed README's adoption query: the percentage of non-Pod containers whose image carries the label", async () => {
    const nonPod = expectedContainers().filter(c => c.kind !== 'Pod');
    const family = nonPod.filter(c => c.name && IMAGES[c.name].family);
    const expected = (family.length / nonPod.length) * 100;
    // Verbatim from the seed's README.
    const [answer] = await prometheus.query(`
  (
      count(
        container_image_container_info{kind!="Pod"}
        * on (digest) group_left (value)
          container_image_label{key="dev.chainguard.package.main"}
      )
    /
      count(
        container_image_container_info{kind!="Pod"}
      )
  )
*
  100`);
    expect(answer.value).toBeCloseTo(expected, 6);
    // Not a trivial answer for this data: some do, some do not.
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(100);
  });

  it("answers the seed README's age query: the images created more than 14 days ago", async () => {
    // Verbatim from the seed's README.
    const answer = await prometheus.query(`
    time()
  -
    (
        max by (digest, image) (container_image_container_info)
      * on (digest) group_left ()
        container_image_created
    )
>
  86400 * 14`);
    const old = (Object.keys(IMAGES) as ImageName[]).filter(
      n => (IMAGES[n].age ?? 0) > 14,
    );
    expect(old.sort()).toEqual([
      'app',
      'billing',
      'cache',
      'debug',
      'init',
      'job',
    ]);
    expect(
      answer.map(s => `${s.metric.image} ${s.metric.digest}`).sort(),
    ).toEqual(old.map(n => `${refs[n]} ${digests[n]}`).sort());
    for (const s of answer) {
      const name = old.find(n => refs[n] === s.metric.image)!;
      expect(s.value / 86400).toBeCloseTo(IMAGES[name].age!, 0);
    }
  });

  it('joins ownership on entity: containers and stale containers per owner', async () => {
    const nonPod = expectedContainers().filter(c => c.kind !== 'Pod');
    const count = (list: typeof nonPod) => {
      const out: Record<string, number> = {};
      for (const c of list) out[c.owner] = (out[c.owner] ?? 0) + 1;
      return out;
    };
    const perOwner = await prometheus.query(
      'count by (owner) (container_image_container_info{kind!="Pod"} * on (entity) group_left (owner) image_freshness_entity_info)',
    );
    expect(byLabels(perOwner, 'owner')).toEqual(count(nonPod));

    const staleOwners = await prometheus.query(`
count by (owner) (
    (
        container_image_container_info{kind!="Pod"}
      * on (digest) group_left ()
        ((time() - container_image_created) > 86400 * 14)
    )
  * on (entity) group_left (owner)
    image_freshness_entity_info
)`);
    const expected = count(
      nonPod.filter(c => c.name && (IMAGES[c.name].age ?? 0) > 14),
    );
    expect(Object.keys(expected).sort()).toEqual(['team-billing', 'team-shop']);
    expect(byLabels(staleOwners, 'owner')).toEqual(expected);

    expect(
      (await prometheus.query('image_freshness_entity_info')).map(
        s => s.metric,
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          entity: 'component:default/checkout',
          owner: 'team-shop',
          system: 'shop',
          lifecycle: 'production',
          type: 'service',
        }),
        expect.objectContaining({
          entity: 'component:default/docs',
          owner: 'team-docs',
          type: 'website',
        }),
      ]),
    );
  });

  it('shows drift, failures and self-health', async () => {
    // The app pods run the build from before the tag moved.
    const drift = await prometheus.query('container_image_running_info == 0');
    const appPodContainers = clusterContainers(objects).filter(
      c => c.kind === 'Pod' && c.image === refs.app,
    );
    expect(drift).toHaveLength(appPodContainers.length);
    for (const s of drift) {
      expect(s.metric).toMatchObject({
        kind: 'Pod',
        image: refs.app,
        digest: digests.app,
        running_digest: oldAppDigest,
        cluster: 'eu-west',
        entity: 'component:default/checkout',
      });
    }
    const podContainers = clusterContainers(objects).filter(
      c => c.kind === 'Pod',
    );
    expect(
      (await prometheus.query('count(container_image_running_info == 1)'))[0]
        .value,
    ).toBe(podContainers.length - appPodContainers.length);

    // Every container series carries exactly the seed's labels plus cluster
    // and entity (and the scrape's job and instance): an error coming or
    // going never changes a series' identity.
    const infoLabels = new Set(
      (await prometheus.query('container_image_container_info')).flatMap(s =>
        Object.keys(s.metric),
      ),
    );
    expect([...infoLabels].sort()).toEqual(
      [
        '__name__',
        'cluster',
        'digest',
        'entity',
        'group',
        'image',
        'instance',
        'job',
        'jsonpath',
        'kind',
        'name',
        'namespace',
        'version',
      ].sort(),
    );

    // The image that never resolved: digest "" (absent in Prometheus); its
    // error class stands on a series of its own, joined on the container.
    const failing = await prometheus.query(
      'container_image_container_info * on (cluster, entity, namespace, kind, name, jsonpath, image) group_left (error) container_image_container_error',
    );
    expect(failing.map(s => s.metric)).toEqual([
      expect.objectContaining({
        image: ghost,
        error: 'NOT_FOUND',
        kind: 'Annotation',
        entity: 'component:default/billing',
      }),
    ]);
    expect(failing[0].metric.digest).toBeUndefined();
    expect(failing[0].value).toBe(1);
    const resolveErrors = await prometheus.waitFor(
      'image_freshness_resolve_errors_total',
      s => s.length > 0,
    );
    expect(resolveErrors.map(s => s.metric)).toEqual([
      expect.objectContaining({ host: registry.host, error: 'NOT_FOUND' }),
    ]);

    const [last] = await prometheus.query(
      'time() - image_freshness_last_refresh_timestamp_seconds',
    );
    expect(last.value).toBeGreaterThanOrEqual(-1);
    expect(last.value).toBeLessThan(60);
    const [duration] = await prometheus.query(
      'image_freshness_refresh_duration_seconds',
    );
    expect(duration.value).toBeGreaterThan(0);
    expect(duration.value).toBeLessThan(60);

    // Registry requests, counted by the client's observer.
    const requests = await prometheus.query(
      `sum by (code) (image_freshness_registry_requests_total{host="${registry.host}"})`,
    );
    const byCode = byLabels(requests, 'code');
    expect(byCode['200']).toBeGreaterThan(0);
    expect(byCode['404']).toBeGreaterThan(0); // the ghost image
    const durations = await prometheus.query(
      `image_freshness_registry_request_duration_seconds_count{host="${registry.host}"}`,
    );
    expect(durations.length).toBeGreaterThan(0);

    // What billing/api is built on, and that its rebuild is not due (its base has not moved).
    const bases = await prometheus.query('container_image_base_info');
    expect(bases.map(s => s.metric)).toEqual([
      expect.objectContaining({
        digest: digests.billing,
        base_name: baseName,
        base_digest: baseDigest,
        source: 'annotation',
      }),
    ]);
    const due = await prometheus.query(
      'container_image_rebuild_due{entity="component:default/billing"}',
    );
    expect(due.map(s => [s.metric.digest, s.value])).toEqual([
      [digests.billing, 0],
    ]);

    // Only allowed label keys are exported.
    const keys = await prometheus.query(
      'count by (key) (container_image_label)',
    );
    expect(Object.keys(byLabels(keys, 'key')).sort()).toEqual([
      FAMILY,
      'org.opencontainers.image.title',
    ]);
  });

  it('runs every query of the Grafana dashboard without error', async () => {
    const dashboard = JSON.parse(
      fs.readFileSync(
        path.join(ROOT, 'dashboards/image-freshness.json'),
        'utf8',
      ),
    ) as {
      panels: Array<{
        title: string;
        type: string;
        targets?: Array<{ expr: string }>;
      }>;
    };
    const exprs = dashboard.panels.flatMap(p =>
      (p.targets ?? []).map(t => ({ title: p.title, expr: t.expr })),
    );
    expect(exprs.length).toBeGreaterThan(15);
    const answers: Record<string, Sample[]> = {};
    for (const { title, expr } of exprs) {
      const promql = expr
        .replace(/\$\{label_key\}/g, FAMILY)
        .replace(/\$\{max_age_days\}/g, '14')
        .replace(/\$__rate_interval/g, '1m');
      expect(promql).not.toContain('$');
      answers[`${title}: ${expr}`] = await prometheus.query(promql);
    }
    const adoption = Object.entries(answers).find(([k]) =>
      k.startsWith('Non-Pod containers whose image carries'),
    )![1];
    const nonPod = expectedContainers().filter(c => c.kind !== 'Pod');
    expect(adoption[0].value).toBeCloseTo(
      (nonPod.filter(c => c.name && IMAGES[c.name].family).length /
        nonPod.length) *
        100,
      6,
    );
  });
});

describe('/metrics with imageFreshness.metrics.public: true', () => {
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend({
      config: () => ({
        catalog: { locations: [] },
        imageFreshness: { metrics: { public: true } },
      }),
    });
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('answers without credentials', async () => {
    const res = await fetch(`${backend.url}${METRICS_PATH}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(
      '# TYPE image_freshness_entity_info gauge',
    );
    // Other routes still need credentials.
    expect(
      (
        await fetch(
          `${backend.url}/api/image-freshness/entities/component/default/x`,
        )
      ).status,
    ).toBe(401);
  });
});
