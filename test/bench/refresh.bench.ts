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
 * BENCH_PROFILE=dir writes CPU profiles of each refresh (see profile.ts).
 * BENCH_ROUNDS=n measures the baseline and each source n times in turn, each
 * cold refresh against its own round's baseline, and reports the medians
 * (the machine's speed drifts within minutes); the process's CPU time per
 * refresh is printed too, the figure to compare between versions of the code.
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
import { keepAliveAfterHead } from 'oci-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { performance } from 'node:perf_hooks';
import {
  clusterConfig,
  KubernetesObject,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { startRegistry, TestRegistry } from '../harness/registry';
import { median, percentile, pool, pushImageSet } from '../harness/scale';
import { profiled } from './profile';
import { recordFigure } from './results';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 2000);
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 1);
/** The sources measured, side by side: the per-entity query first (the baseline), then cluster-wide. */
const SOURCES = (process.env.BENCH_SOURCES ?? 'perEntity,clusterWide').split(
  ',',
);
const PAGE_SIZE = 500;
/** Rounds of the baseline and every source, their medians reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
/** Whether to add the 200-container entity and time the entity API. */
const BIG = process.env.BENCH_BIG !== '0';
const BENCH_NAME = process.env.BENCH_NAME ?? 'refresh';
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

/**
 * The baseline: the registry's own time for the minimum work (HEAD per tag,
 * GET manifest and config per image), over connections kept open after
 * HEADs as the plugin's are, at the refresh's concurrency.
 */
async function registryAlone(
  registry: TestRegistry,
  refs: string[],
): Promise<number> {
  const baselineAgent = new Agent().compose(keepAliveAfterHead);
  const baselineFetch = (
    url: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ) => undiciFetch(url, { ...init, dispatcher: baselineAgent });
  const baseStart = performance.now();
  await pool(refs, CONCURRENCY, async ref => {
    const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref)!;
    const accept =
      'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
    const head = await baselineFetch(
      `${registry.url}/v2/${repo}/manifests/${tag}`,
      { method: 'HEAD', headers: { accept } },
    );
    const digest = head.headers.get('docker-content-digest')!;
    const manifest = (await (
      await baselineFetch(`${registry.url}/v2/${repo}/manifests/${digest}`, {
        headers: { accept },
      })
    ).json()) as { config: { digest: string } };
    await (
      await baselineFetch(
        `${registry.url}/v2/${repo}/blobs/${manifest.config.digest}`,
      )
    ).arrayBuffer();
  });
  const ms = performance.now() - baseStart;
  await baselineAgent.close();
  return ms;
}

async function main() {
  const registry = await startRegistry();
  const clusters: Array<{ name: string; standIn: KubernetesStandIn }> = [];
  for (let c = 0; c < CLUSTERS; c++) {
    clusters.push({
      name: CLUSTERS === 1 ? 'bench' : `bench-${c}`,
      standIn: await startKubernetesStandIn({ token: TOKEN }),
    });
  }
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

    // The clusters: one Deployment with 5 containers per entity (entity i
    // on cluster i mod CLUSTERS), and a big entity with 200.
    const objects: KubernetesObject[][] = clusters.map(() => []);
    const entities: Entity[] = [];
    for (let i = 0; i < ENTITIES; i++) {
      const name = `svc-${i}`;
      entities.push(component(name));
      objects[i % CLUSTERS].push(
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
    if (BIG) entities.push(component('big'));
    for (let d = 0; BIG && d < BIG_CONTAINERS / CONTAINERS; d++) {
      objects[0].push(
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
    clusters.forEach((c, i) => c.standIn.setObjects(objects[i]));
    const objectsPerCluster = objects.map(o => o.length);
    // The Kubernetes backend loads its client library (ESM, about 0.6 s of
    // CPU) at its first proxy request: loaded here, resolved from the
    // backend as it resolves it, so a cold refresh measures the refresh, not
    // a process's first use of that library.
    await import(
      require.resolve('@kubernetes/client-node', {
        paths: [require.resolve('@backstage/plugin-kubernetes-backend')],
      })
    );
    // What the stand-ins, the catalog's entities and the bench hold before
    // any backend starts: the part of the peak that is not the backend's.
    (global as { gc?: () => void }).gc?.();
    const rssBeforeBackend = process.memoryUsage().rss;

    // Both Kubernetes sources side by side, each in a backend of its own
    // (its own database and registry cache, so each refresh is cold), over
    // the same clusters and registry.
    // BENCH_ROUNDS rounds of the baseline and each source, in turn: the
    // machine's speed drifts, so each refresh is set against the baseline of
    // its own round, and the figures are the rounds' medians.
    const baselines: number[] = [];
    const rounds = new Map<string, SourceResult[]>(SOURCES.map(s => [s, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      baselines.push(await registryAlone(registry, refs));
      for (const source of SOURCES) {
        const result = await measureSource({
          source,
          entities,
          clusters,
          registry,
          apiTimings:
            round === ROUNDS && source === SOURCES[SOURCES.length - 1],
        });
        result.coldRatio = result.coldMs / baselines[round - 1];
        rounds.get(source)!.push(result);
      }
      if (ROUNDS > 1) {
        console.log(
          `round ${round}: registry alone ${seconds(
            baselines[round - 1],
          )}; ${SOURCES.map(source => {
            const r = rounds.get(source)![round - 1];
            return `${source} cold ${seconds(r.coldMs)} (${r.coldRatio!.toFixed(
              2,
            )}x), steady ${seconds(r.steadyMs)}`;
          }).join('; ')}`,
        );
      }
    }
    const baselineMs = median(baselines);
    const results: SourceResult[] = SOURCES.map(source => {
      const all = rounds.get(source)!;
      return {
        ...all[all.length - 1],
        coldMs: median(all.map(r => r.coldMs)),
        steadyMs: median(all.map(r => r.steadyMs)),
        coldRatio: median(all.map(r => r.coldRatio!)),
        coldCpuMs: median(all.map(r => r.coldCpuMs)),
        steadyCpuMs: median(all.map(r => r.steadyCpuMs)),
      };
    });
    const rss = process.resourceUsage().maxRSS * 1024;
    const containers = ENTITIES * CONTAINERS + (BIG ? BIG_CONTAINERS : 0);
    const pages = listPages(objectsPerCluster, PAGE_SIZE);
    const requestGoal = 7 * CLUSTERS * Math.max(1, pages / (7 * CLUSTERS));

    console.log('\n== refresh');
    console.log(
      `entities ${entities.length}, containers ${containers}, distinct images ${IMAGES}, clusters ${CLUSTERS}, list pages (${PAGE_SIZE} objects each) ${pages}`,
    );
    console.log(
      `baseline: the registry alone for the minimum work (HEAD + 2 GETs per image, concurrency ${CONCURRENCY}): ${(
        baselineMs / 1000
      ).toFixed(2)} s${ROUNDS > 1 ? ` (median of ${ROUNDS} rounds)` : ''}`,
    );
    console.log(
      'source      | cold refresh | cold / registry | steady refresh | cluster requests (cold) | registry requests (cold)',
    );
    for (const r of results) {
      console.log(
        `${r.source.padEnd(11)} | ${seconds(r.coldMs).padStart(12)} | ${r
          .coldRatio!.toFixed(1)
          .padStart(14)}x | ${seconds(r.steadyMs).padStart(14)} | ${String(
          r.clusterRequests,
        ).padStart(23)} | ${JSON.stringify(r.coldRegistryRequests)}`,
      );
    }
    for (const r of results) {
      console.log(
        `${
          r.source
        }: CPU of this process (backend, stand-ins, bench): cold ${seconds(
          r.coldCpuMs,
        )}, steady ${seconds(r.steadyCpuMs)}${
          ROUNDS > 1 ? ` (medians of ${ROUNDS} rounds)` : ''
        }`,
      );
    }
    console.log(
      `cluster request goal: <= 7 x clusters x pages per type = ${requestGoal.toFixed(
        0,
      )} (7 list types x ${CLUSTERS} cluster(s), ${pages} pages in all)`,
    );
    console.log(
      `peak RSS of this process (backends + stand-ins + bench): ${mb(
        rss,
      )}; before any backend started (stand-ins with their objects, catalog entities, bench): ${mb(
        rssBeforeBackend,
      )}; the backends' share at most ${mb(rss - rssBeforeBackend)}`,
    );
    const last = results[results.length - 1];
    if (last.small && last.big) {
      console.log('\n== entity API');
      console.log(
        `5 containers:   p50 ${percentile(last.small, 50).toFixed(
          1,
        )} ms, p95 ${percentile(last.small, 95).toFixed(1)} ms`,
      );
      console.log(
        `200 containers: p50 ${percentile(last.big, 50).toFixed(
          1,
        )} ms, p95 ${percentile(last.big, 95).toFixed(
          1,
        )} ms (goal p95 <= 50 ms); ratio p95 big/small ${(
          percentile(last.big, 95) / percentile(last.small, 95)
        ).toFixed(1)}`,
      );
    }

    const figure = (
      measure: string,
      value: string,
      goal: string,
      met?: boolean,
    ) => recordFigure({ bench: BENCH_NAME, measure, value, goal, met });
    const size = `${entities.length.toLocaleString(
      'en',
    )} entities / ${containers.toLocaleString(
      'en',
    )} containers / ${CLUSTERS} cluster(s)`;
    const byName = new Map(results.map(r => [r.source, r]));
    const perEntity = byName.get('perEntity');
    const clusterWide = byName.get('clusterWide');
    for (const r of results) {
      figure(
        `Cluster requests per refresh, ${r.source} (${size})`,
        `${r.clusterRequests.toLocaleString('en')}${
          perEntity && r !== perEntity
            ? ` (${(r.clusterRequests / perEntity.clusterRequests).toFixed(
                4,
              )}x perEntity)`
            : ''
        }`,
        `<= 7 x clusters x pages = ${requestGoal.toFixed(0)}`,
        r.clusterRequests <= requestGoal,
      );
      figure(
        `Full refresh cold, ${r.source} (${size})`,
        `${seconds(r.coldMs)} (${r.coldRatio!.toFixed(1)}x the registry alone${
          ROUNDS > 1 ? `, median of ${ROUNDS} rounds` : ''
        })`,
        '<= 2x the registry alone',
        r.coldRatio! <= 2,
      );
      figure(
        `Full refresh steady, ${r.source} (tags re-checked)`,
        seconds(r.steadyMs),
        '<= 2 s',
        r.steadyMs <= 2000,
      );
    }
    if (perEntity && clusterWide) {
      figure(
        'Steady refresh, clusterWide / perEntity (same run)',
        `${(clusterWide.steadyMs / perEntity.steadyMs).toFixed(2)}x`,
        'comparison',
      );
    }
    figure(
      'Peak RSS (backends + stand-ins + bench, one process)',
      `${mb(rss)} (${mb(
        rss - rssBeforeBackend,
      )} above the stand-ins and catalog loaded)`,
      ENTITIES > 5000 ? '<= 1.5 GiB' : '<= 1 GiB',
      rss <= (ENTITIES > 5000 ? 1.5 : 1) * 2 ** 30,
    );
    if (last.small && last.big) {
      figure(
        'Entity API p50 / p95, 200 containers',
        `${percentile(last.big, 50).toFixed(1)} / ${percentile(
          last.big,
          95,
        ).toFixed(1)} ms`,
        'p95 <= 50 ms',
        percentile(last.big, 95) <= 50,
      );
      figure(
        'Entity API p50 / p95, 5 containers',
        `${percentile(last.small, 50).toFixed(1)} / ${percentile(
          last.small,
          95,
        ).toFixed(1)} ms`,
        'baseline for the 200-container figure',
      );
    }
  } finally {
    for (const cluster of clusters) await cluster.standIn.stop();
    await registry.stop();
  }
}

/** User and system CPU time of a `process.cpuUsage` difference, in ms. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** What one source did: two refreshes, the requests they caused, and (optionally) API timings. */
interface SourceResult {
  source: string;
  coldMs: number;
  steadyMs: number;
  /** The cold refresh's time over the baseline of its round. */
  coldRatio?: number;
  /** CPU time of this process during each refresh. */
  coldCpuMs: number;
  steadyCpuMs: number;
  clusterRequests: number;
  coldRegistryRequests: Record<string, number>;
  small?: number[];
  big?: number[];
}

async function measureSource(options: {
  source: string;
  entities: Entity[];
  clusters: Array<{ name: string; standIn: KubernetesStandIn }>;
  registry: Awaited<ReturnType<typeof startRegistry>>;
  apiTimings: boolean;
}): Promise<SourceResult> {
  const { source, entities, clusters, registry } = options;
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
                clusters: clusters.map(c =>
                  clusterConfig(c.name, c.standIn, TOKEN),
                ),
              },
            ],
          },
          imageFreshness: {
            allowedHosts: [registry.host],
            cacheDuration: '1h',
            kubernetes: { source, pageSize: PAGE_SIZE },
            // The whole catalog in one run, every run.
            refresh: {
              batchSize: Math.max(10_000, entities.length),
              // BENCH_REFRESH_CONCURRENCY compares settings; default the plugin's
              ...(process.env.BENCH_REFRESH_CONCURRENCY
                ? {
                    concurrency: Number(process.env.BENCH_REFRESH_CONCURRENCY),
                  }
                : {}),
            },
            // The bench triggers each run itself, the steady one right
            // after the cold one: a manually triggered schedule has no
            // interval, so every run refreshes every entity.
            schedule: {
              frequency: { trigger: 'manual' },
              timeout: { minutes: 30 },
            },
          },
        },
      }),
    ],
  });
  try {
    const requestsNow = () =>
      clusters.reduce((n, c) => n + c.standIn.requests().length, 0);
    for (const c of clusters) c.standIn.clearRequests();
    const logStart = registry.logs().length;
    const cold = performance.now();
    const coldCpu = process.cpuUsage();
    await profiled(`refresh-cold-${source}`, () =>
      scheduler!.triggerTask('image-freshness-refresh'),
    );
    const coldMs = performance.now() - cold;
    const coldCpuMs = cpuMs(process.cpuUsage(coldCpu));
    const coldRegistryRequests = countByMethod(registry.logs().slice(logStart));
    const clusterRequests = requestsNow();
    for (const c of clusters) c.standIn.clearRequests();
    const steady = performance.now();
    const steadyCpu = process.cpuUsage();
    await profiled(`refresh-steady-${source}`, () =>
      scheduler!.triggerTask('image-freshness-refresh'),
    );
    const steadyMs = performance.now() - steady;
    const steadyCpuMs = cpuMs(process.cpuUsage(steadyCpu));
    console.log(
      `${source}: cold ${seconds(
        coldMs,
      )} (${clusterRequests} cluster requests), steady ${seconds(
        steadyMs,
      )} (${requestsNow()} cluster requests)`,
    );
    // CPU time depends less on what else the machine runs than wall time:
    // the figure to compare between runs of different code.
    console.log(
      `${source}: CPU of this process (backend, stand-ins, bench): cold ${seconds(
        coldCpuMs,
      )}, steady ${seconds(steadyCpuMs)}`,
    );
    const result: SourceResult = {
      source,
      coldMs,
      steadyMs,
      coldCpuMs,
      steadyCpuMs,
      clusterRequests,
      coldRegistryRequests,
    };
    if (options.apiTimings && BIG) {
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
      result.small = await timeRoute('svc-1');
      result.big = await timeRoute('big');
    }
    return result;
  } finally {
    await backend.stop();
  }
}

/** List pages the cluster-wide source needs: one list per workload type and cluster. */
function listPages(objectsPerCluster: number[], pageSize: number): number {
  // The bench's objects are Deployments; the other six types answer one empty page each.
  return objectsPerCluster.reduce(
    (n, deployments) => n + Math.max(1, Math.ceil(deployments / pageSize)) + 6,
    0,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

// The test backend leaves timers behind; the figures are printed, so leave.
main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
