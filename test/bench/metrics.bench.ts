/*
 * Benchmark of GET /api/image-freshness/metrics (not a test: it prints figures
 * and never fails on time).
 *
 *   yarn workspace @internal/test bench:metrics
 *
 * 10,000 containers (1,000 entities x Deployment, ReplicaSet and 3 Pods, two
 * containers each) over 2,000 images with 20 exported labels and 3 annotations
 * each, stored in the plugin's store on SQLite. Figures: the reload of the
 * snapshot from the store, the scrape over HTTP through the plugin's metrics
 * router (p50/p95), rendering alone, and the heap the series hold; beside
 * prom-client rendering the same series from a plain Registry of plain Gauges
 * in the same run (the ratio is the figure that matters). Goal: scrape p50 <=
 * 150 ms.
 */
/*
 * The bench drives the plugin's own parts (store, collector, snapshot, router)
 * directly, so it imports them from the plugin's source.
 */
/* eslint-disable @backstage/no-undeclared-imports, @backstage/no-forbidden-package-imports */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import type { EntityRefreshResult } from 'backstage-plugin-image-freshness-backend/src/refresh/EntityStore';
import type { FoundContainer } from 'backstage-plugin-image-freshness-node';
import { KnexRegistryCache } from 'backstage-plugin-image-freshness-backend/src/registry/KnexRegistryCache';
import { KnexEntityStore } from 'backstage-plugin-image-freshness-backend/src/refresh/KnexEntityStore';
import {
  createMetricsRouter,
  DEFAULT_SNAPSHOT_SERIES,
  MetricsCollector,
  MetricsSnapshot,
} from 'backstage-plugin-image-freshness-backend/src/metrics';
import { createKeyFilter } from 'backstage-plugin-image-freshness-backend/src/metrics/config';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { ConfigReader } from '@backstage/config';
import express from 'express';
import knexFactory from 'knex';
import { Duration } from 'luxon';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { Gauge, Registry } from 'prom-client';
/* eslint-enable @backstage/no-undeclared-imports, @backstage/no-forbidden-package-imports */
import { recordFigure } from './results';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 1000);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const LABELS = 20;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const WARMUP = 5;
/** Concurrent scrapers in a wave. */
const WAVE = 50;
const PLATFORM = 'linux/amd64';

const OCI_LABELS = [
  'org.opencontainers.image.created',
  'org.opencontainers.image.authors',
  'org.opencontainers.image.url',
  'org.opencontainers.image.documentation',
  'org.opencontainers.image.source',
  'org.opencontainers.image.version',
  'org.opencontainers.image.revision',
  'org.opencontainers.image.vendor',
  'org.opencontainers.image.licenses',
  'org.opencontainers.image.title',
  'org.opencontainers.image.description',
];
const LABEL_KEYS = [
  ...OCI_LABELS,
  ...Array.from(
    { length: LABELS - OCI_LABELS.length },
    (_, i) => `com.example.label-${i}`,
  ),
];
const CONFIG = {
  labelKeys: ['com.example.*'],
  annotationKeys: [],
  maxValueLength: 256,
  maxSeries: 200_000,
};

const hex = (n: number, salt: string) =>
  `sha256:${(salt + n.toString(16)).padStart(64, '0').slice(-64)}`;

function imageMetadata(i: number): ImageMetadata {
  return {
    digest: hex(i, 'a'),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    created: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
    labels: Object.fromEntries(
      LABEL_KEYS.map((key, k) => [
        key,
        `value-${k}-of-image-${i}-${'x'.repeat(20)}`,
      ]),
    ),
    annotations: {
      'org.opencontainers.image.base.name': `cgr.dev/chainguard/base-${
        i % 7
      }:latest`,
      'org.opencontainers.image.base.digest': hex(i % 7, 'b'),
      'org.opencontainers.image.ref.name': `${i}`,
    },
    size: 10_000_000 + i,
    platform: { os: 'linux', architecture: 'amd64' },
  };
}

const imageRef = (i: number) =>
  `registry.example.com/team-${i % 50}/service-${i}:1.${i % 10}.0`;

function entityResult(e: number, refreshedAt: Date): EntityRefreshResult {
  const images = [(e * 2) % IMAGES, (e * 2 + 1) % IMAGES];
  const containers: Array<
    FoundContainer & { outcome: { digest: string; resolvedAt: Date } }
  > = [];
  const add = (
    kind: FoundContainer['workload']['kind'],
    name: string,
    specPath: string,
    runningDigest?: (i: number) => string,
  ) =>
    images.forEach((img, index) => {
      const jsonpath = `{${specPath}.containers[${index}]}`;
      containers.push({
        key: `eu-west/ns-${e % 40}/${kind}/${name}/${jsonpath}`,
        container: `c${index}`,
        workload: {
          cluster: 'eu-west',
          namespace: `ns-${e % 40}`,
          kind,
          name,
          jsonpath,
        },
        image: imageRef(img),
        platform: PLATFORM,
        ...(runningDigest ? { runningDigest: runningDigest(img) } : {}),
        outcome: { digest: hex(img, 'i'), resolvedAt: refreshedAt },
      });
    });
  add('Deployment', `app-${e}`, '.spec.template.spec');
  add('ReplicaSet', `app-${e}-5d8f7c9b6d`, '.spec.template.spec');
  for (let p = 0; p < 3; p++) {
    // one pod in ten runs an older build (drift)
    add('Pod', `app-${e}-5d8f7c9b6d-${p}x7k2`, '.spec', i =>
      p === 0 && e % 10 === 0 ? hex(i, 'o') : hex(i, 'i'),
    );
  }
  return {
    entityRef: `component:default/service-${e}`,
    info: {
      owner: `group:default/team-${e % 50}`,
      system: `system-${e % 20}`,
      lifecycle: 'production',
      type: 'service',
    },
    containers,
    sourceErrors: [],
    refreshedAt,
  };
}

function quantile(sorted: number[], q: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function time(
  samples: number,
  fn: () => Promise<unknown>,
): Promise<{ p50: number; p95: number; min: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    min: times[0],
  };
}

const gc = () => (global as { gc?: () => void }).gc?.();
/** Heap plus Buffer memory (outside the heap), after a full GC. */
const heapMb = () => {
  gc();
  gc();
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.arrayBuffers) / 2 ** 20;
};
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const mb = (n: number) => `${n.toFixed(1)} MB`;

async function main() {
  if (!(global as { gc?: unknown }).gc) {
    console.warn(
      'Run with --expose-gc for heap figures (the bench:metrics script does).',
    );
  }
  console.log(
    `metrics bench: ${
      ENTITIES * 10
    } containers, ${ENTITIES} entities, ${IMAGES} images x ${LABELS} labels + 3 annotations`,
  );

  // The store, on SQLite in memory, filled as a refresh would fill it.
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  const database = { getClient: async () => knex };
  const store = await KnexEntityStore.create({ database });
  const cache = await KnexRegistryCache.create({ database });
  const fillStart = performance.now();
  const refreshedAt = new Date();
  for (let i = 0; i < IMAGES; i++) {
    await cache.putMetadata(
      hex(i, 'i'),
      PLATFORM,
      imageMetadata(i),
      refreshedAt,
    );
  }
  for (let e = 0; e < ENTITIES; e++) {
    await store.saveEntity(entityResult(e, refreshedAt));
  }
  console.log(`  store filled in ${ms(performance.now() - fillStart)}`);

  // The plugin's parts, as plugin.ts wires them.
  const logger: LoggerService = {
    debug() {},
    info() {},
    warn(message) {
      console.warn(`  warn: ${message}`);
    },
    error(message) {
      console.error(`  error: ${message}`);
    },
    child() {
      return logger;
    },
  };
  const heapBefore = heapMb();
  const collector = new MetricsCollector({ config: CONFIG, logger });
  const snapshot = new MetricsSnapshot({
    store,
    collector,
    logger,
    maxAge: Duration.fromObject({ minutes: 10 }),
  });
  const reload = await time(3, () => snapshot.reload());
  const heapCollector = heapMb() - heapBefore;
  // How long a reload keeps other requests waiting, at most.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await snapshot.reload();
  loop.disable();
  const longestBlockMs = loop.max / 1e6;

  const heapBeforeRead = heapMb();
  let stepStart = performance.now();
  const entities = await store.getAllEntities();
  const readMs = performance.now() - stepStart;
  const heapEntities = heapMb() - heapBeforeRead;
  stepStart = performance.now();
  const summary = await collector.applySnapshot(entities, new Date());
  const applyMs = performance.now() - stepStart;
  const series = Object.values(summary.series).reduce((a, b) => a + b, 0);

  // The route behind the middleware Backstage's root router puts in front of
  // every plugin (compression included).
  const app = express();
  app.use(
    MiddlewareFactory.create({
      config: new ConfigReader({}),
      logger,
    }).compression(),
  );
  app.use(
    '/api/image-freshness',
    createMetricsRouter({
      collector,
      snapshot,
      httpAuth: mockServices.httpAuth(),
      public: true,
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise(r => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const get = (encoding: string) =>
    new Promise<{ bytes: number; encoding?: string }>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/api/image-freshness/metrics',
            headers: { 'accept-encoding': encoding },
          },
          res => {
            let bytes = 0;
            res.on('data', (chunk: Buffer) => (bytes += chunk.length));
            res.on('end', () =>
              resolve({
                bytes,
                encoding: res.headers['content-encoding'] as string,
              }),
            );
            res.on('error', reject);
          },
        )
        .on('error', reject);
    });
  // The first gzip scrape after a snapshot compresses the snapshot's part.
  await collector.applySnapshot(entities, new Date());
  stepStart = performance.now();
  const firstGzip = await get('gzip');
  const firstGzipMs = performance.now() - stepStart;
  let gzipBytes = 0;
  const scrapeGzip = await time(SAMPLES, async () => {
    gzipBytes = (await get('gzip')).bytes;
  });
  let plainBytes = 0;
  const scrapeIdentity = await time(SAMPLES, async () => {
    plainBytes = (await get('identity')).bytes;
  });
  const render = await time(SAMPLES, () => collector.exposition());
  // 50 scrapers at once (the load test's wave): when the last one is served.
  const wave = await time(10, () =>
    Promise.all(Array.from({ length: WAVE }, () => get('gzip'))),
  );

  // Baseline: the same series in plain prom-client Gauges in a plain Registry,
  // rendered at every scrape (and, as the compression middleware would, gzipped).
  const heapBeforePlain = heapMb();
  const plain = new Registry();
  const guards = {
    labelKeyAllowed: createKeyFilter(CONFIG.labelKeys),
    annotationKeyAllowed: createKeyFilter(CONFIG.annotationKeys),
    value: (text: string) => text,
  };
  const counted = { series: 0 };
  for (const family of DEFAULT_SNAPSHOT_SERIES) {
    const gauge = new Gauge({
      name: family.name,
      help: family.help,
      labelNames: family.labelNames,
      registers: [plain],
    });
    for (const [labels, value] of family.samples(entities, guards)) {
      gauge.set(labels, value);
      counted.series += 1;
    }
  }
  const plainSeries = counted.series;
  const heapPlain = heapMb() - heapBeforePlain;
  const plainRender = await time(SAMPLES, () => plain.metrics());
  const plainRenderGzip = await time(10, async () =>
    gzipSync(await plain.metrics()),
  );

  server.close();
  await knex.destroy();

  const ratio = (a: number) => (a / plainRender.p50).toFixed(3);
  console.log(
    `  series from the store: ${series} (plain Registry: ${plainSeries})`,
  );
  for (const [name, count] of Object.entries(summary.series)) {
    console.log(`    ${name}: ${count}`);
  }
  console.log(
    `  body: ${mb(plainBytes / 2 ** 20)} plain, ${mb(
      gzipBytes / 2 ** 20,
    )} gzip (${firstGzip.encoding})`,
  );
  console.log(
    `  snapshot reload from the store: p50 ${ms(reload.p50)} (read ${ms(
      readMs,
    )}, apply and render ${ms(
      applyMs,
    )}), on reload only; longest event-loop block ${ms(longestBlockMs)}`,
  );
  console.log(
    `  scrape over HTTP, gzip:      p50 ${ms(scrapeGzip.p50)}  p95 ${ms(
      scrapeGzip.p95,
    )}  (first after a snapshot ${ms(firstGzipMs)})`,
  );
  console.log(
    `  scrape over HTTP, identity:  p50 ${ms(scrapeIdentity.p50)}  p95 ${ms(
      scrapeIdentity.p95,
    )}`,
  );
  console.log(
    `  a wave of ${WAVE} concurrent gzip scrapes, all served: p50 ${ms(
      wave.p50,
    )}  p95 ${ms(wave.p95)}`,
  );
  console.log(
    `  collector.exposition():      p50 ${ms(render.p50)}  p95 ${ms(
      render.p95,
    )}`,
  );
  console.log(
    `  plain Registry.metrics():    p50 ${ms(plainRender.p50)}  p95 ${ms(
      plainRender.p95,
    )}; with gzip p50 ${ms(plainRenderGzip.p50)}`,
  );
  console.log(
    `  ratio to the plain render (p50): scrape gzip ${ratio(
      scrapeGzip.p50,
    )}, scrape identity ${ratio(scrapeIdentity.p50)}, exposition ${ratio(
      render.p50,
    )}`,
  );
  console.log(
    `  transient heap of a reload (the entities read from the store): ${mb(
      heapEntities,
    )}`,
  );
  console.log(
    `  heap held by the collector: ${mb(
      heapCollector,
    )}; by the plain Registry: ${mb(heapPlain)}; peak RSS ${mb(
      process.resourceUsage().maxRSS / 1024,
    )}`,
  );
  const containers = ENTITIES * 10;
  recordFigure({
    bench: 'metrics',
    measure: `Scrape p50 / p95 at ${containers.toLocaleString(
      'en',
    )} containers (${series.toLocaleString('en')} series), gzip`,
    value: `${ms(scrapeGzip.p50)} / ${ms(scrapeGzip.p95)}`,
    goal: '<= 150 ms p50',
    met: scrapeGzip.p50 <= 150,
  });
  recordFigure({
    bench: 'metrics',
    measure: 'Scrape p50 / p95, plain text',
    value: `${ms(scrapeIdentity.p50)} / ${ms(scrapeIdentity.p95)}`,
    goal: '<= 150 ms p50',
    met: scrapeIdentity.p50 <= 150,
  });
  recordFigure({
    bench: 'metrics',
    measure: `${WAVE} concurrent gzip scrapes, until the last is served, p50 / p95`,
    value: `${ms(wave.p50)} / ${ms(wave.p95)}`,
    goal: `<= ${WAVE} x 150 ms (each scrape within its goal, served in turn)`,
    met: wave.p50 <= WAVE * 150,
  });
  recordFigure({
    bench: 'metrics',
    measure: 'Plain prom-client Registry.metrics(), same series, same run',
    value: `${ms(plainRender.p50)} p50; our scrape / it = ${ratio(
      scrapeIdentity.p50,
    )}`,
    goal: 'baseline (ratio < 1 is faster)',
  });
  console.log(
    `  goal scrape p50 <= 150 ms: ${
      Math.max(scrapeGzip.p50, scrapeIdentity.p50) <= 150 ? 'met' : 'missed'
    }`,
  );
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
