import { Gauge, Registry } from 'prom-client';
import { mockServices } from '@backstage/backend-test-utils';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import type { StoredContainer, StoredEntity } from '../refresh/EntityStore';
import { MetricsConfig } from './config';
import { MetricsCollector } from './MetricsCollector';
import type { SnapshotSeries } from './series';

const D1 = `sha256:${'1'.repeat(64)}`;
const D1_AMD64 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D_OLD = `sha256:${'0'.repeat(64)}`;
const HOST = '127.0.0.1:5000';
const CHECKOUT = `${HOST}/shop/checkout:2.0`;
const REPORT = `${HOST}/shop/report:1.1`;

const GUARDS: MetricsConfig = {
  public: false,
  labelKeys: ['dev.chainguard.package.main'],
  annotationKeys: [],
  maxValueLength: 256,
  maxSeries: 200_000,
  reloadInterval: undefined as never,
};

const checkoutMetadata: ImageMetadata = {
  digest: D1_AMD64,
  indexDigest: D1,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  created: '2026-10-01T12:00:00.000Z',
  labels: {
    'org.opencontainers.image.source': 'https://example.com/checkout',
    'dev.chainguard.package.main': 'checkout',
    'com.example.build-host': 'runner-17',
  },
  annotations: {
    'org.opencontainers.image.base.name': 'cgr.dev/chainguard/static:latest',
    'com.example.pipeline': '4711',
  },
  size: 31_457_280,
  platform: { os: 'linux', architecture: 'amd64' },
};

/** An image whose config records no build time. */
const reportMetadata: ImageMetadata = {
  digest: D2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  labels: {},
  annotations: {},
  size: 2048,
};

function k8s(
  kind: StoredContainer['workload']['kind'],
  name: string,
  jsonpath: string,
  image: string,
  extra: Partial<StoredContainer> = {},
): StoredContainer {
  return {
    key: `eu-west/shop/${kind}/${name}/${jsonpath}`,
    container: 'main',
    workload: { cluster: 'eu-west', namespace: 'shop', kind, name, jsonpath },
    image,
    platform: 'linux/amd64',
    ...extra,
  };
}

const resolved = (digest: string, metadata: ImageMetadata) => ({
  digest,
  metadata,
  resolvedAt: new Date('2026-11-20T10:00:00Z'),
});

const shop: StoredEntity = {
  entityRef: 'component:default/checkout',
  info: {
    owner: 'team-shop',
    system: 'shop',
    lifecycle: 'production',
    type: 'service',
  },
  refreshedAt: new Date('2026-11-20T10:00:00Z'),
  errors: [],
  containers: [
    k8s(
      'Deployment',
      'checkout',
      '{.spec.template.spec.containers[0]}',
      CHECKOUT,
      resolved(D1, checkoutMetadata),
    ),
    k8s('Pod', 'checkout-7d4b9c-x2k8p', '{.spec.containers[0]}', CHECKOUT, {
      ...resolved(D1, checkoutMetadata),
      runningDigest: D1,
    }),
    k8s(
      'Pod',
      'checkout-7d4b9c-q9z7m',
      '{.spec.containers[0]}',
      CHECKOUT,
      // started before the tag moved: drift
      { ...resolved(D1, checkoutMetadata), runningDigest: D_OLD },
    ),
    k8s(
      'Pod',
      'checkout-7d4b9c-m4n5b',
      '{.spec.containers[0]}',
      CHECKOUT,
      // the runtime reports the platform manifest's digest: no drift either
      { ...resolved(D1, checkoutMetadata), runningDigest: D1_AMD64 },
    ),
    k8s(
      'CronJob',
      'checkout-nightly-report',
      '{.spec.jobTemplate.spec.template.spec.containers[0]}',
      REPORT,
      resolved(D2, reportMetadata),
    ),
    k8s(
      'Job',
      'checkout-nightly-report-29000000',
      '{.spec.template.spec.containers[0]}',
      `${HOST}/shop/gone:1.0`,
      {
        error: {
          class: 'NOT_FOUND',
          message: `${HOST}/shop/gone:1.0: manifest unknown`,
          advice: 'push it',
          at: '2026-11-20T10:00:00.000Z',
        },
      },
    ),
  ],
};

const billing: StoredEntity = {
  entityRef: 'component:payments/billing',
  info: { owner: 'group:default/team-billing' },
  refreshedAt: new Date('2026-11-20T10:00:00Z'),
  errors: [],
  containers: [
    {
      key: 'annotation/x',
      container: 'annotation',
      workload: { kind: 'Annotation', name: 'billing' },
      // A token someone pasted into a reference never reaches a label.
      image: 'deploy:s3cr3t-token@registry.example.com/billing/api:1.0',
      platform: 'linux/amd64',
      error: {
        class: 'INVALID_REQUEST',
        message: 'invalid reference',
        advice: 'fix it',
        at: '2026-11-20T10:00:00.000Z',
      },
    },
    {
      key: 'annotation/y',
      container: 'annotation',
      workload: { kind: 'Annotation', name: 'billing' },
      image: REPORT,
      platform: 'linux/amd64',
      ...resolved(D2, reportMetadata),
    },
  ],
};

/** The sample lines of a rendering, without HELP and TYPE. */
function samples(text: string, prefix = ''): string[] {
  return text
    .split('\n')
    .filter(line => line && !line.startsWith('#') && line.startsWith(prefix));
}

function collector(config: Partial<MetricsConfig> = {}) {
  const logger = mockServices.logger.mock();
  return {
    logger,
    metrics: new MetricsCollector({ config: { ...GUARDS, ...config }, logger }),
  };
}

const at = new Date('2026-11-20T10:05:00Z');

describe('MetricsCollector', () => {
  it('renders the seed series and ours, exactly', async () => {
    const { metrics } = collector();
    await metrics.applySnapshot([shop, billing], at);
    const text = await metrics.render();
    const c = (labels: string) => `container_image_container_info{${labels}} 1`;
    const shopLabels = (
      gv: string,
      kind: string,
      name: string,
      jsonpath: string,
      image: string,
      digest: string,
    ) =>
      `${gv},kind="${kind}",namespace="shop",name="${name}",jsonpath="${jsonpath}",image="${image}",digest="${digest}",cluster="eu-west",entity="component:default/checkout"`;

    // The two containers whose image fails: a job's image that is gone, an
    // annotation whose reference carries credentials (shown redacted).
    const goneJob = shopLabels(
      'group="batch",version="v1"',
      'Job',
      'checkout-nightly-report-29000000',
      '{.spec.template.spec.containers[0]}',
      `${HOST}/shop/gone:1.0`,
      '',
    );
    const badAnnotation =
      'group="backstage.io",version="v1alpha1",kind="Annotation",namespace="payments",name="billing",jsonpath="{.metadata.annotations.image-freshness/images}",image="***@registry.example.com/billing/api:1.0",digest="",cluster="",entity="component:payments/billing"';

    expect(samples(text, 'container_image_container_info')).toEqual([
      c(
        `${shopLabels(
          'group="apps",version="v1"',
          'Deployment',
          'checkout',
          '{.spec.template.spec.containers[0]}',
          CHECKOUT,
          D1,
        )}`,
      ),
      c(
        `${shopLabels(
          'group="",version="v1"',
          'Pod',
          'checkout-7d4b9c-x2k8p',
          '{.spec.containers[0]}',
          CHECKOUT,
          D1,
        )}`,
      ),
      c(
        `${shopLabels(
          'group="",version="v1"',
          'Pod',
          'checkout-7d4b9c-q9z7m',
          '{.spec.containers[0]}',
          CHECKOUT,
          D1,
        )}`,
      ),
      c(
        `${shopLabels(
          'group="",version="v1"',
          'Pod',
          'checkout-7d4b9c-m4n5b',
          '{.spec.containers[0]}',
          CHECKOUT,
          D1,
        )}`,
      ),
      c(
        `${shopLabels(
          'group="batch",version="v1"',
          'CronJob',
          'checkout-nightly-report',
          '{.spec.jobTemplate.spec.template.spec.containers[0]}',
          REPORT,
          D2,
        )}`,
      ),
      c(goneJob),
      c(badAnnotation),
      c(
        `group="backstage.io",version="v1alpha1",kind="Annotation",namespace="payments",name="billing",jsonpath="{.metadata.annotations.image-freshness/images}",image="${REPORT}",digest="${D2}",cluster="",entity="component:payments/billing"`,
      ),
    ]);

    // The error class stands on a series of its own, with the same
    // container labels: the info series above never change identity.
    expect(samples(text, 'container_image_container_error')).toEqual([
      `container_image_container_error{${goneJob},error="NOT_FOUND"} 1`,
      `container_image_container_error{${badAnnotation},error="INVALID_REQUEST"} 1`,
    ]);

    expect(samples(text, 'container_image_running_info')).toEqual([
      `container_image_running_info{${shopLabels(
        'group="",version="v1"',
        'Pod',
        'checkout-7d4b9c-x2k8p',
        '{.spec.containers[0]}',
        CHECKOUT,
        D1,
      )},running_digest="${D1}"} 1`,
      `container_image_running_info{${shopLabels(
        'group="",version="v1"',
        'Pod',
        'checkout-7d4b9c-q9z7m',
        '{.spec.containers[0]}',
        CHECKOUT,
        D1,
      )},running_digest="${D_OLD}"} 0`,
      `container_image_running_info{${shopLabels(
        'group="",version="v1"',
        'Pod',
        'checkout-7d4b9c-m4n5b',
        '{.spec.containers[0]}',
        CHECKOUT,
        D1,
      )},running_digest="${D1_AMD64}"} 1`,
    ]);

    expect(samples(text, 'image_freshness_entity_info')).toEqual([
      'image_freshness_entity_info{entity="component:default/checkout",owner="team-shop",system="shop",lifecycle="production",type="service"} 1',
      'image_freshness_entity_info{entity="component:payments/billing",owner="group:default/team-billing",system="",lifecycle="",type=""} 1',
    ]);

    // Per image, once, keyed by the digest the reference resolves to (the
    // index digest of a multi-arch image, as the seed keys it).
    expect(samples(text, 'container_image_size_bytes')).toEqual([
      `container_image_size_bytes{digest="${D1}"} 31457280`,
      `container_image_size_bytes{digest="${D2}"} 2048`,
    ]);
    // No build time, no series (never 1970).
    expect(samples(text, 'container_image_created')).toEqual([
      `container_image_created{digest="${D1}"} ${
        Date.parse('2026-10-01T12:00:00.000Z') / 1000
      }`,
    ]);
    // org.opencontainers.image.* and the configured key; com.example.* is not allowed.
    expect(samples(text, 'container_image_label')).toEqual([
      `container_image_label{digest="${D1}",key="org.opencontainers.image.source",value="https://example.com/checkout"} 1`,
      `container_image_label{digest="${D1}",key="dev.chainguard.package.main",value="checkout"} 1`,
    ]);
    expect(samples(text, 'container_image_annotation')).toEqual([
      `container_image_annotation{digest="${D1}",key="org.opencontainers.image.base.name",value="cgr.dev/chainguard/static:latest"} 1`,
    ]);

    expect(samples(text, 'image_freshness_metrics_snapshot')).toEqual([
      'image_freshness_metrics_snapshot_series{metric="image_freshness_entity_info"} 2',
      'image_freshness_metrics_snapshot_series{metric="container_image_container_info"} 8',
      'image_freshness_metrics_snapshot_series{metric="container_image_container_error"} 2',
      'image_freshness_metrics_snapshot_series{metric="container_image_running_info"} 3',
      'image_freshness_metrics_snapshot_series{metric="container_image_size_bytes"} 2',
      'image_freshness_metrics_snapshot_series{metric="container_image_created"} 1',
      'image_freshness_metrics_snapshot_series{metric="container_image_base_info"} 0',
      'image_freshness_metrics_snapshot_series{metric="container_image_rebuild_due"} 0',
      'image_freshness_metrics_snapshot_series{metric="container_image_label"} 2',
      'image_freshness_metrics_snapshot_series{metric="container_image_annotation"} 1',
      `image_freshness_metrics_snapshot_timestamp_seconds ${
        at.getTime() / 1000
      }`,
    ]);
    expect(text).toContain('\n# TYPE container_image_container_info gauge\n');
    expect(text).not.toContain('s3cr3t');
  });

  it('has no refresh figures before a refresh ran, and the last run after', async () => {
    const { metrics } = collector();
    const before = await metrics.render();
    expect(before).not.toContain('image_freshness_last_refresh_timestamp');
    expect(before).not.toContain('image_freshness_refresh_duration_seconds');
    metrics.observeRefresh({
      startedAt: new Date('2026-11-20T10:00:00Z'),
      finishedAt: new Date('2026-11-20T10:00:42.5Z'),
    });
    metrics.observeRefresh({
      startedAt: new Date('2026-11-20T10:30:00Z'),
      finishedAt: new Date('2026-11-20T10:30:12Z'),
    });
    expect(samples(await metrics.render(), 'image_freshness_')).toEqual([
      `image_freshness_last_refresh_timestamp_seconds ${
        Date.parse('2026-11-20T10:30:12Z') / 1000
      }`,
      'image_freshness_refresh_duration_seconds 12',
    ]);
  });

  it('counts registry requests by host, method and code, times them, and counts resolve errors', async () => {
    const { metrics } = collector();
    metrics.observeRegistryRequest({
      host: 'ghcr.io',
      method: 'head',
      status: 200,
      durationSeconds: 0.04,
    });
    metrics.observeRegistryRequest({
      host: 'ghcr.io',
      method: 'GET',
      status: 429,
      durationSeconds: 0.3,
    });
    metrics.observeRegistryRequest({
      host: 'ghcr.io',
      method: 'GET',
      status: 429,
      durationSeconds: 0.2,
    });
    metrics.observeRegistryRequest({
      host: 'registry.example.com',
      method: 'GET',
      error: 'TIMEOUT',
      durationSeconds: 30,
    });
    metrics.observeResolveError('ghcr.io', 'RATE_LIMITED');
    metrics.observeResolveError('ghcr.io', 'RATE_LIMITED', 2);
    metrics.observeResolveError('registry.example.com', 'TIMEOUT');
    const text = await metrics.render();
    expect(samples(text, 'image_freshness_registry_requests_total')).toEqual([
      'image_freshness_registry_requests_total{host="ghcr.io",method="HEAD",code="200"} 1',
      'image_freshness_registry_requests_total{host="ghcr.io",method="GET",code="429"} 2',
      'image_freshness_registry_requests_total{host="registry.example.com",method="GET",code="TIMEOUT"} 1',
    ]);
    const duration = samples(
      text,
      'image_freshness_registry_request_duration_seconds',
    );
    expect(duration).toContain(
      'image_freshness_registry_request_duration_seconds_bucket{le="0.05",host="ghcr.io",method="HEAD"} 1',
    );
    expect(duration).toContain(
      'image_freshness_registry_request_duration_seconds_bucket{le="0.25",host="ghcr.io",method="GET"} 1',
    );
    expect(duration).toContain(
      'image_freshness_registry_request_duration_seconds_count{host="ghcr.io",method="GET"} 2',
    );
    expect(duration).toContain(
      'image_freshness_registry_request_duration_seconds_sum{host="ghcr.io",method="GET"} 0.5',
    );
    expect(duration).toContain(
      'image_freshness_registry_request_duration_seconds_bucket{le="10",host="registry.example.com",method="GET"} 0',
    );
    expect(samples(text, 'image_freshness_resolve_errors_total')).toEqual([
      'image_freshness_resolve_errors_total{host="ghcr.io",error="RATE_LIMITED"} 3',
      'image_freshness_resolve_errors_total{host="registry.example.com",error="TIMEOUT"} 1',
    ]);
  });

  it('exports only allowed label and annotation keys: exact keys, prefixes, or everything', async () => {
    const metadata: ImageMetadata = {
      ...checkoutMetadata,
      labels: {
        'org.opencontainers.image.version': '2.0',
        'dev.chainguard.package.main': 'checkout',
        'dev.chainguard.image.title': 'static',
        'com.example.team': 'shop',
        'org.opencontainers.imagex': 'not the OCI prefix',
      },
      annotations: {
        'org.opencontainers.image.created': '2026-10-01T12:00:00Z',
        'io.buildkit.cache': 'x',
        'com.example.pipeline': '4711',
      },
    };
    const entity: StoredEntity = {
      ...shop,
      containers: [
        k8s(
          'Deployment',
          'a',
          '{.spec.template.spec.containers[0]}',
          CHECKOUT,
          {
            ...resolved(D1, metadata),
          },
        ),
      ],
    };
    const keys = async (config: Partial<MetricsConfig>) => {
      const { metrics } = collector(config);
      await metrics.applySnapshot([entity], at);
      const text = await metrics.render();
      const key = (line: string) => /key="([^"]*)"/.exec(line)![1];
      return {
        labels: samples(text, 'container_image_label').map(key),
        annotations: samples(text, 'container_image_annotation').map(key),
      };
    };
    expect(await keys({ labelKeys: [], annotationKeys: [] })).toEqual({
      labels: ['org.opencontainers.image.version'],
      annotations: ['org.opencontainers.image.created'],
    });
    expect(
      await keys({
        labelKeys: ['dev.chainguard.*', 'com.example.team'],
        annotationKeys: ['com.example.pipeline'],
      }),
    ).toEqual({
      labels: [
        'org.opencontainers.image.version',
        'dev.chainguard.package.main',
        'dev.chainguard.image.title',
        'com.example.team',
      ],
      annotations: ['org.opencontainers.image.created', 'com.example.pipeline'],
    });
    expect(await keys({ labelKeys: ['*'], annotationKeys: ['*'] })).toEqual({
      labels: Object.keys(metadata.labels),
      annotations: Object.keys(metadata.annotations),
    });
  });

  it('cuts long values to maxValueLength and escapes what Prometheus needs escaped', async () => {
    const metadata: ImageMetadata = {
      ...checkoutMetadata,
      labels: {
        'org.opencontainers.image.description': 'x'.repeat(300),
        'org.opencontainers.image.title': 'say "hi"\\\nbye',
      },
      annotations: {},
    };
    const { metrics } = collector({ maxValueLength: 10 });
    await metrics.applySnapshot(
      [
        {
          ...shop,
          containers: [
            k8s(
              'Deployment',
              'a',
              '{.spec.template.spec.containers[0]}',
              CHECKOUT,
              {
                ...resolved(D1, metadata),
              },
            ),
          ],
        },
      ],
      at,
    );
    expect(samples(await metrics.render(), 'container_image_label')).toEqual([
      `container_image_label{digest="${D1}",key="org.opencontainers.image.description",value="xxxxxxxxxx"} 1`,
      `container_image_label{digest="${D1}",key="org.opencontainers.image.title",value="say \\"hi\\"\\\\\\n"} 1`,
    ]);
  });

  it('keeps at most maxSeries store series, the most important first, and counts what it dropped', async () => {
    const { metrics, logger } = collector({ maxSeries: 8 });
    await metrics.applySnapshot([shop, billing], at);
    let text = await metrics.render();
    // 2 entity_info + 6 of the 8 container_info; nothing after them.
    expect(samples(text, 'image_freshness_entity_info')).toHaveLength(2);
    expect(samples(text, 'container_image_container_info')).toHaveLength(6);
    for (const family of [
      'container_image_container_error',
      'container_image_running_info',
      'container_image_size_bytes',
      'container_image_created',
      'container_image_label',
      'container_image_annotation',
    ]) {
      expect(samples(text, `${family}{`)).toEqual([]);
    }
    const dropped = () =>
      samples(text, 'image_freshness_metrics_dropped_series_total');
    expect(dropped()).toEqual([
      'image_freshness_metrics_dropped_series_total{metric="container_image_container_info"} 2',
      'image_freshness_metrics_dropped_series_total{metric="container_image_container_error"} 2',
      'image_freshness_metrics_dropped_series_total{metric="container_image_running_info"} 3',
      'image_freshness_metrics_dropped_series_total{metric="container_image_size_bytes"} 2',
      'image_freshness_metrics_dropped_series_total{metric="container_image_created"} 1',
      'image_freshness_metrics_dropped_series_total{metric="container_image_label"} 2',
      'image_freshness_metrics_dropped_series_total{metric="container_image_annotation"} 1',
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Metrics series dropped: imageFreshness.metrics.maxSeries reached',
      expect.objectContaining({ maxSeries: 8 }),
    );

    // The counter adds up over snapshots; a snapshot within bounds adds nothing.
    await metrics.applySnapshot([shop, billing], at);
    await metrics.applySnapshot([billing], at);
    text = await metrics.render();
    expect(dropped()[0]).toBe(
      'image_freshness_metrics_dropped_series_total{metric="container_image_container_info"} 4',
    );
    expect(samples(text, 'container_image_container_info')).toHaveLength(2);
  });

  it('lets the event loop run within a large family, every few thousand samples, and renders every sample', async () => {
    // turns of the event loop, counted by a callback that queues itself again
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns += 1;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const turnAtSample: number[] = [];
    const large: SnapshotSeries = {
      name: 'large_family',
      help: 'Many samples.',
      labelNames: ['i'],
      *samples() {
        for (let i = 0; i < 10_000; i++) {
          turnAtSample.push(turns);
          yield [{ i: String(i) }, i];
        }
      },
    };
    const metrics = new MetricsCollector({
      config: GUARDS,
      logger: mockServices.logger.mock(),
      series: [large],
    });
    try {
      await metrics.applySnapshot([], at);
    } finally {
      counting = false;
    }
    // the turns seen by the samples: a few distinct ones, none stepping back
    const distinct = [...new Set(turnAtSample)];
    expect(distinct.length).toBeGreaterThanOrEqual(5);
    expect(distinct).toEqual([...distinct].sort((a, b) => a - b));
    // no more than a few thousand samples in any one turn
    const perTurn = distinct.map(
      turn => turnAtSample.filter(t => t === turn).length,
    );
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2000);
    expect(samples(await metrics.render(), 'large_family')).toHaveLength(
      10_000,
    );
  });

  it('gives the same exposition as one gzip stream, the snapshot part compressed once per snapshot', async () => {
    const { metrics } = collector();
    await metrics.applySnapshot([shop, billing], at);
    metrics.observeResolveError('ghcr.io', 'TIMEOUT');
    const first = await metrics.exposition({ gzip: true });
    expect(first.encoding).toBe('gzip');
    const whole = Buffer.concat(first.chunks);
    expect(gunzipSync(whole).toString('utf8')).toBe(await metrics.render());
    // One gzip member, one deflate stream: every gzip reader takes it.
    expect(
      inflateRawSync(whole.subarray(10, whole.length - 8)).toString('utf8'),
    ).toBe(await metrics.render());
    metrics.observeResolveError('ghcr.io', 'TIMEOUT');
    const second = await metrics.exposition({ gzip: true });
    expect(second.chunks[0]).toBe(first.chunks[0]);
    expect(gunzipSync(Buffer.concat(second.chunks)).toString('utf8')).toContain(
      'image_freshness_resolve_errors_total{host="ghcr.io",error="TIMEOUT"} 2',
    );
    await metrics.applySnapshot([billing], at);
    const third = await metrics.exposition({ gzip: true });
    expect(third.chunks[0]).not.toBe(first.chunks[0]);
    expect(gunzipSync(Buffer.concat(third.chunks)).toString('utf8')).toBe(
      await metrics.render(),
    );
  });

  it("serves other parts' registries live beside its own, in plain text and gzip", async () => {
    const { metrics } = collector();
    await metrics.applySnapshot([shop], at);
    const probes = new Registry();
    const success = new Gauge({
      name: 'registry_exporter_success',
      help: 'h',
      labelNames: ['tested_registry', 'node', 'type'],
      registers: [probes],
    });
    metrics.addLiveRegistry(probes);
    success.set({ tested_registry: 'ghcr.io', node: 'n1', type: 'pull' }, 1);
    const line =
      'registry_exporter_success{tested_registry="ghcr.io",node="n1",type="pull"} 1';
    expect(await metrics.render()).toContain(line);
    expect(await metrics.render()).toContain('container_image_container_info{');
    success.set({ tested_registry: 'ghcr.io', node: 'n1', type: 'pull' }, 0);
    const gz = await metrics.exposition({ gzip: true });
    expect(gunzipSync(Buffer.concat(gz.chunks)).toString('utf8')).toContain(
      line.replace(/ 1$/, ' 0'),
    );
  });

  it('replaces the store series whole with each snapshot', async () => {
    const { metrics } = collector();
    await metrics.applySnapshot([shop, billing], at);
    await metrics.applySnapshot([billing], new Date('2026-11-20T10:06:00Z'));
    const text = await metrics.render();
    expect(text).not.toContain('component:default/checkout');
    expect(text).not.toContain(D1);
    expect(samples(text, 'image_freshness_entity_info')).toHaveLength(1);
    expect(samples(text, 'container_image_container_info')).toHaveLength(2);
    expect(samples(text, 'image_freshness_metrics_snapshot_timestamp')).toEqual(
      [
        `image_freshness_metrics_snapshot_timestamp_seconds ${
          Date.parse('2026-11-20T10:06:00Z') / 1000
        }`,
      ],
    );
  });
});
