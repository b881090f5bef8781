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
/* eslint-disable @backstage/no-undeclared-imports */
import { mockServices } from '@backstage/backend-test-utils';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import type {
  EntityRefreshResult,
  FoundContainer,
} from 'backstage-plugin-image-freshness-backend/src/database/FreshnessStore';
import { KnexFreshnessStore } from 'backstage-plugin-image-freshness-backend/src/database/KnexFreshnessStore';
import {
  createMetricsRouter,
  DEFAULT_SNAPSHOT_SERIES,
  MetricsCollector,
  MetricsSnapshot,
} from 'backstage-plugin-image-freshness-backend/src/metrics';
import { createKeyFilter } from 'backstage-plugin-image-freshness-backend/src/metrics/config';
import express from 'express';
import knexFactory from 'knex';
import { Duration } from 'luxon';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Gauge, Registry } from 'prom-client';
/* eslint-enable @backstage/no-undeclared-imports */

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 1000);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const LABELS = 20;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const WARMUP = 5;
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
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
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
  const store = await KnexFreshnessStore.create({
    database: { getClient: async () => knex },
  });
  let fillStart = performance.now();
  const refreshedAt = new Date();
  for (let i = 0; i < IMAGES; i++) {
    await store.putMetadata(
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
  const logger = mockServices.logger.mock();
  const heapBefore = heapMb();
  const collector = new MetricsCollector({ config: CONFIG, logger });
  const snapshot = new MetricsSnapshot({
    store,
    collector,
    logger,
    maxAge: Duration.fromObject({ minutes: 10 }),
  });
  const reload = await time(5, () => snapshot.reload());
  const heapCollector = heapMb() - heapBefore;

  fillStart = performance.now();
  const entities = await store.getAllEntities();
  const readMs = performance.now() - fillStart;
  const applyStart = performance.now();
  const summary = collector.applySnapshot(entities, new Date());
  const applyMs = performance.now() - applyStart;
  const series = Object.values(summary.series).reduce((a, b) => a + b, 0);

  const app = express();
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
  const url = `http://127.0.0.1:${
    (server.address() as AddressInfo).port
  }/api/image-freshness/metrics`;
  let bytes = 0;
  const scrape = await time(SAMPLES, async () => {
    const res = await fetch(url, {
      headers: { 'accept-encoding': 'identity' },
    });
    bytes = (await res.arrayBuffer()).byteLength;
  });
  const render = await time(SAMPLES, () => collector.render());

  // Baseline: the same series in plain prom-client Gauges in a plain Registry.
  const heapBeforePlain = heapMb();
  const plain = new Registry();
  const guards = {
    labelKeyAllowed: createKeyFilter(CONFIG.labelKeys),
    annotationKeyAllowed: createKeyFilter(CONFIG.annotationKeys),
    value: (text: string) => text,
  };
  let plainSeries = 0;
  for (const family of DEFAULT_SNAPSHOT_SERIES) {
    const gauge = new Gauge({
      name: family.name,
      help: family.help,
      labelNames: family.labelNames,
      registers: [plain],
    });
    family.write(
      entities,
      (labels, value) => {
        gauge.set(labels, value);
        plainSeries += 1;
      },
      guards,
    );
  }
  const heapPlain = heapMb() - heapBeforePlain;
  const plainRender = await time(SAMPLES, () => plain.metrics());

  server.close();
  await knex.destroy();

  console.log(
    `  series from the store: ${series} (plain Registry: ${plainSeries})`,
  );
  for (const [name, count] of Object.entries(summary.series)) {
    console.log(`    ${name}: ${count}`);
  }
  console.log(`  scrape body: ${mb(bytes / 2 ** 20)}`);
  console.log(
    `  snapshot reload from the store (read + apply): p50 ${ms(
      reload.p50,
    )} (read ${ms(readMs)}, apply ${ms(applyMs)})`,
  );
  console.log(
    `  scrape over HTTP:            p50 ${ms(scrape.p50)}  p95 ${ms(
      scrape.p95,
    )}  min ${ms(scrape.min)}`,
  );
  console.log(
    `  collector.render():          p50 ${ms(render.p50)}  p95 ${ms(
      render.p95,
    )}`,
  );
  console.log(
    `  plain Registry.metrics():    p50 ${ms(plainRender.p50)}  p95 ${ms(
      plainRender.p95,
    )}`,
  );
  console.log(
    `  ratio scrape / plain render: ${(scrape.p50 / plainRender.p50).toFixed(
      2,
    )} (render alone ${(render.p50 / plainRender.p50).toFixed(2)})`,
  );
  console.log(
    `  heap held by the collector: ${mb(
      heapCollector,
    )}; by the plain Registry: ${mb(heapPlain)}; peak RSS ${mb(
      process.resourceUsage().maxRSS / 1024,
    )}`,
  );
  console.log(
    `  goal scrape p50 <= 150 ms: ${scrape.p50 <= 150 ? 'met' : 'missed'}`,
  );
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
