/*
 * Benchmark of the backend's refresh and read paths (not a test: it prints
 * figures and never fails on time).
 *
 *   yarn workspace @internal/test bench:refresh   (needs the Debian docker-registry)
 *
 * 2,000 entities x 5 containers over 400 distinct images, on the local registry
 * and the Kubernetes API stand-in, through the real Kubernetes backend plugin:
 * full refresh wall time (cold and steady), registry requests by method, peak
 * RSS; then the entity API for an entity with 200 containers, p50/p95, beside
 * the same route for a 5-container entity measured in the same run.
 * Baseline for the refresh: the registry's own time for the minimum work
 * (HEAD per distinct tag, GET manifest + config per distinct digest), measured
 * in the same run with the same concurrency.
 */
import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import imageFreshnessPlugin from 'backstage-plugin-image-freshness-backend';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  clusterConfig,
  KubernetesObject,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { startRegistry } from '../harness/registry';
import { percentile, pool, pushImageSet } from '../harness/scale';
import { recordFigure } from './results';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 2000);
const CONTAINERS = 5;
const IMAGES = Number(process.env.BENCH_IMAGES ?? 400);
const BIG_CONTAINERS = 200;
const API_SAMPLES = 200;
const CONCURRENCY = 8;
const TOKEN = 'bench-token';

function deployment(
  app: string,
  name: string,
  images: string[],
): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'bench',
      uid: `${name}-uid`,
      labels: { 'backstage.io/kubernetes-id': app },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: images.map((image, i) => ({ name: `c${i}`, image })),
        },
      },
    },
  } as unknown as KubernetesObject;
}

function component(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': name },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-bench' },
  };
}

function countByMethod(lines: string[]) {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const m = /"(HEAD|GET|PUT|POST|PATCH|DELETE) \/v2\/[^"]*" (\d{3})/.exec(
      line,
    );
    if (m) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  }
  return counts;
}

async function main() {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const registry = await startRegistry();
  const cluster = await startKubernetesStandIn({ token: TOKEN });
  try {
    // 400 distinct images
    const t0 = performance.now();
    const refs = (
      await pushImageSet(registry.url, registry.host, {
        count: IMAGES,
        repositories: 40,
        concurrency: CONCURRENCY,
      })
    ).map(image => image.ref);
    console.log(
      `pushed ${IMAGES} images in ${((performance.now() - t0) / 1000).toFixed(
        1,
      )} s`,
    );

    // Baseline: the registry's own time for the minimum work.
    const baseStart = performance.now();
    await pool(refs, CONCURRENCY, async ref => {
      const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref)!;
      const accept =
        'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
      const head = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept },
      });
      const digest = head.headers.get('docker-content-digest')!;
      const manifest = await (
        await fetch(`${registry.url}/v2/${repo}/manifests/${digest}`, {
          headers: { accept },
        })
      ).json();
      await (
        await fetch(
          `${registry.url}/v2/${repo}/blobs/${manifest.config.digest}`,
        )
      ).arrayBuffer();
    });
    const baselineMs = performance.now() - baseStart;

    // The cluster: one Deployment with 5 containers per entity, and a big entity with 200.
    const objects: KubernetesObject[] = [];
    const entities: Entity[] = [];
    for (let i = 0; i < ENTITIES; i++) {
      const name = `svc-${i}`;
      entities.push(component(name));
      objects.push(
        deployment(
          name,
          name,
          Array.from(
            { length: CONTAINERS },
            (_, j) => refs[(i * CONTAINERS + j) % IMAGES],
          ),
        ),
      );
    }
    entities.push(component('big'));
    for (let d = 0; d < BIG_CONTAINERS / CONTAINERS; d++) {
      objects.push(
        deployment(
          'big',
          `big-${d}`,
          Array.from(
            { length: CONTAINERS },
            (_, j) => refs[(d * CONTAINERS + j) % IMAGES],
          ),
        ),
      );
    }
    cluster.setObjects(objects);

    let scheduler: SchedulerService | undefined;
    const probe = createBackendModule({
      pluginId: 'image-freshness',
      moduleId: 'bench-probe',
      register(env) {
        env.registerInit({
          deps: { s: coreServices.scheduler },
          async init({ s }) {
            scheduler = s;
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        probe,
        imageFreshnessPlugin,
        import('@backstage/plugin-kubernetes-backend'),
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              serviceLocatorMethod: { type: 'multiTenant' },
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [clusterConfig('bench', cluster, TOKEN)],
                },
              ],
            },
            imageFreshness: {
              allowedHosts: [registry.host],
              cacheDuration: '1h',
              // The bench triggers each run itself, the steady one right
              // after the cold one: a manually triggered schedule has no
              // interval, so every run refreshes every entity (the default
              // batch, 10,000 entities a run, holds the whole catalog).
              schedule: {
                frequency: { trigger: 'manual' },
                timeout: { minutes: 10 },
              },
            },
          },
        }),
      ],
    });
    try {
      const logStart = registry.logs().length;
      const clusterStart = cluster.requests().length;
      const cold = performance.now();
      await scheduler!.triggerTask('image-freshness-refresh');
      const coldMs = performance.now() - cold;
      const coldRequests = countByMethod(registry.logs().slice(logStart));
      const clusterRequests = cluster.requests().length - clusterStart;

      const steadyLog = registry.logs().length;
      const steady = performance.now();
      await scheduler!.triggerTask('image-freshness-refresh');
      const steadyMs = performance.now() - steady;
      const steadyRequests = countByMethod(registry.logs().slice(steadyLog));

      const port = (backend.server.address() as AddressInfo).port;
      const timeRoute = async (name: string) => {
        const samples: number[] = [];
        for (let i = 0; i < API_SAMPLES; i++) {
          const start = performance.now();
          const res = await fetch(
            `http://127.0.0.1:${port}/api/image-freshness/entities/component/default/${name}`,
          );
          const body = (await res.json()) as { containers: unknown[] };
          samples.push(performance.now() - start);
          if (i === 0)
            console.log(
              `  ${name}: ${res.status}, ${body.containers.length} containers`,
            );
        }
        return samples.sort((a, b) => a - b);
      };
      const small = await timeRoute('svc-1');
      const big = await timeRoute('big');
      const rss = process.resourceUsage().maxRSS * 1024;

      const containers = ENTITIES * CONTAINERS + BIG_CONTAINERS;
      console.log('\n== refresh');
      console.log(
        `entities ${
          ENTITIES + 1
        }, containers ${containers}, distinct images ${IMAGES}`,
      );
      console.log(
        `cold refresh   ${(coldMs / 1000).toFixed(
          1,
        )} s, registry requests ${JSON.stringify(
          coldRequests,
        )}, Kubernetes stand-in requests ${clusterRequests}`,
      );
      console.log(
        `steady refresh ${(steadyMs / 1000).toFixed(
          1,
        )} s, registry requests ${JSON.stringify(steadyRequests)}`,
      );
      console.log(
        `registry requests per distinct image (cold): ${(
          Object.values(coldRequests).reduce((a, b) => a + b, 0) / IMAGES
        ).toFixed(2)}`,
      );
      console.log(
        `baseline: the registry alone for the minimum work (HEAD + 2 GETs per image, concurrency ${CONCURRENCY}): ${(
          baselineMs / 1000
        ).toFixed(2)} s; cold refresh / baseline = ${(
          coldMs / baselineMs
        ).toFixed(1)}`,
      );
      console.log(
        `peak RSS of this process (backend + stand-in + bench): ${mb(rss)}`,
      );
      console.log('\n== entity API');
      console.log(
        `5 containers:   p50 ${percentile(small, 50).toFixed(
          1,
        )} ms, p95 ${percentile(small, 95).toFixed(1)} ms`,
      );
      console.log(
        `200 containers: p50 ${percentile(big, 50).toFixed(
          1,
        )} ms, p95 ${percentile(big, 95).toFixed(
          1,
        )} ms (goal p95 <= 50 ms); ratio p95 big/small ${(
          percentile(big, 95) / percentile(small, 95)
        ).toFixed(1)}`,
      );
      const figure = (
        measure: string,
        value: string,
        goal: string,
        met?: boolean,
      ) => recordFigure({ bench: 'refresh', measure, value, goal, met });
      const seconds = (t: number) => `${(t / 1000).toFixed(1)} s`;
      figure(
        `Full refresh, ${(ENTITIES + 1).toLocaleString(
          'en',
        )} entities / ${containers.toLocaleString('en')} containers, cold`,
        `${seconds(coldMs)} (${(coldMs / baselineMs).toFixed(
          1,
        )}x the registry alone)`,
        'inside the default schedule timeout (10 min)',
        coldMs < 10 * 60_000,
      );
      figure(
        'Full refresh, steady (tags re-checked)',
        seconds(steadyMs),
        'inside the default schedule timeout (10 min)',
        steadyMs < 10 * 60_000,
      );
      figure(
        'Peak RSS (backend + stand-in + bench, one process)',
        mb(rss),
        '<= 1 GiB',
        rss <= 2 ** 30,
      );
      figure(
        'Entity API p50 / p95, 200 containers',
        `${percentile(big, 50).toFixed(1)} / ${percentile(big, 95).toFixed(
          1,
        )} ms`,
        'p95 <= 50 ms',
        percentile(big, 95) <= 50,
      );
      figure(
        'Entity API p50 / p95, 5 containers',
        `${percentile(small, 50).toFixed(1)} / ${percentile(small, 95).toFixed(
          1,
        )} ms`,
        'baseline for the 200-container figure',
      );
    } finally {
      await backend.stop();
    }
  } finally {
    await cluster.stop();
    await registry.stop();
  }
}

// The test backend leaves timers behind; the figures are printed, so leave.
main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
