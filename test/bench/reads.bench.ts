/*
 * Benchmark of the read paths while a refresh runs (not a test: it prints
 * figures and ratios and never fails on time).
 *
 *   yarn workspace @internal/test bench:reads   (needs docker-registry and postgresql)
 *
 * The real portal backend (catalog, auth, permission with the allow-all
 * policy, Kubernetes, the plugin with its Trivy module), a real registry, on
 * SQLite (one file per plugin, as app-config.yaml runs it) and on PostgreSQL
 * (a throwaway cluster), one backend after the other in the same process.
 * The catalog: BENCH_ENTITIES (default 500) annotation-declared entities
 * with 4 images each over BENCH_IMAGES (default 200) tags, plus one entity
 * with 21 images built on a tracked base (21 containers, 21 base-image rows,
 * vulnerability counts from a stand-in `trivy` script).
 *
 * Measured, per database:
 * - the entity API (10 requests a second over every entity, open loop;
 *   BENCH_API_PER_SECOND), beside it the catalog's own read of another
 *   entity as often (the baseline: every entity API request makes one), and
 *   `/metrics` (one gzip scrape every 200 ms, as one Prometheus would),
 *   p50/p95, on the idle backend (15 s) and during full refreshes
 *   (`cacheDuration: 0s`, so every tag is asked again and stored; 3 of them,
 *   BENCH_DURING_ROUNDS, their samples pooled);
 * - the entity report's throughput for the 21-container entity beside the
 *   catalog's own read of the same entity (`GET /api/catalog/entities/by-name`,
 *   which the report route makes anyway for the permission check), same
 *   backend, same run, same concurrency (50, keep-alive), alternated.
 *
 * The catalog's own periodic re-processing is deferred to 30 minutes (see
 * CATALOG_PROCESSING; BENCH_CATALOG_PROCESSING=default keeps it).
 *
 * BENCH_REGISTRY_NICE=1 runs the registry at the lowest CPU priority (it
 * stands in for a remote registry, which would take none of the backend's
 * CPU).
 *
 * BENCH_DATABASES may also name `postgres-split`: two replicas on one
 * PostgreSQL database, the refresh on one (the worker), every read on the
 * other (`imageFreshness.globalTasks: false`, its metrics snapshot reloaded
 * every 15 s).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  databaseConfig,
  guestToken,
  mergeConfig,
  portalConfig,
  startBackend,
  TestBackend,
  waitForComponents,
} from '../harness/backend';
import { startPostgres, TestPostgres } from '../harness/postgres';
import {
  refreshRuns,
  taskState,
  triggerTask,
  waitUntil,
} from '../harness/refreshes';
import { pushImage } from '../harness/images';
import { startRegistry, TestRegistry } from '../harness/registry';
import { annotatedComponent, pushImageSet, PushedRef } from '../harness/scale';
import { catalogYaml } from '../harness/catalog';
import { recordFigure } from './results';
import { Tally } from './tally';

const DATABASES = (process.env.BENCH_DATABASES ?? 'sqlite,postgres')
  .split(',')
  .filter(Boolean);
const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 500);
const IMAGES_PER_ENTITY = 4;
const TAGS = Number(process.env.BENCH_IMAGES ?? 200);
const WIDE = 21;
const WIDE_NAME = 'wide';
/**
 * The entity API probe's rate: a busy portal's, well under what one backend
 * serves on 2 cores, so the probe measures waiting, not its own queue.
 */
const API_PER_SECOND = Number(process.env.BENCH_API_PER_SECOND ?? 10);
const SCRAPE_EVERY_MS = 200;
const IDLE_SECONDS = 15;
/** Full refreshes under load, their samples pooled: a p95 of one short refresh is a few requests. */
const DURING_ROUNDS = Number(process.env.BENCH_DURING_ROUNDS ?? 3);
const CONCURRENCY = 50;
const THROUGHPUT_SECONDS = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 5);
const ROUNDS = 2;
/** BENCH_REGISTRY_NICE=1: the registry at the lowest CPU priority (see the header). */
const REGISTRY_NICE = process.env.BENCH_REGISTRY_NICE === '1';
/** Entities a refresh works on at once (`imageFreshness.refresh.concurrency`); unset: the plugin's default. */
const REFRESH_CONCURRENCY = Number(process.env.BENCH_REFRESH_CONCURRENCY ?? 0);
/**
 * The catalog re-processes every entity every 100-150 s by default. On SQLite
 * that work runs on the event loop: with 2,000 entities it re-read and parsed
 * the catalog file and wrote its tables for 3.2 s in one stretch (a CPU
 * profile of a run whose p95 during a refresh was 456 ms; `yaml`, knex and
 * better-sqlite3 under `DefaultCatalogProcessingEngine`), every request of
 * the backend waiting. The bench measures the plugin, so the catalog's
 * processing interval is 30 minutes here, after the first processing that
 * loads the entities; BENCH_CATALOG_PROCESSING=default keeps Backstage's
 * default, to see both together.
 */
const CATALOG_PROCESSING = process.env.BENCH_CATALOG_PROCESSING ?? 'deferred';
/** How stale the serving replica's metrics snapshot may get (postgres-split). */
const SERVER_RELOAD = '15s';
/** How the printed figures and the recorded ones say so. */
const NICE_NOTE = REGISTRY_NICE ? ', registry at nice 19' : '';
const TOKEN = 'reads-bench-scrape-token-0123456789';
const METRICS_PATH = '/api/image-freshness/metrics';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** A GET whose body is read but not decoded; answers status and body. */
function get(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    http
      .get(url, { headers, agent }, res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Closed loop: `CONCURRENCY` callers for `seconds`; answers requests per second. */
async function throughput(
  seconds: number,
  request: () => Promise<void>,
): Promise<{ rps: number; errors: number }> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        try {
          await request();
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rps: done / ((performance.now() - start) / 1000), errors };
}

/** The stand-in `trivy`: `--version`, else one fixed report (shell only, so a scan is cheap). */
function writeFakeTrivy(dir: string): string {
  const report = {
    SchemaVersion: 2,
    ArtifactType: 'container_image',
    Results: [
      {
        Target: 'os',
        Class: 'os-pkgs',
        Vulnerabilities: ['CRITICAL', 'HIGH', 'HIGH', 'LOW'].map((s, i) => ({
          VulnerabilityID: `CVE-2026-${1000 + i}`,
          PkgName: `pkg-${i}`,
          InstalledVersion: '1.0.0',
          Severity: s,
        })),
      },
    ],
  };
  const file = path.join(dir, 'trivy');
  fs.writeFileSync(
    file,
    `#!/bin/sh
if [ "$1" = "--version" ]; then echo "Version: 0.58.1"; exit 0; fi
cat <<'REPORT'
${JSON.stringify(report)}
REPORT
`,
    { mode: 0o755 },
  );
  return file;
}

/** The latencies of one phase: the entity API, its baseline (the catalog's read) and the scrapes. */
const tallies = () => ({
  api: new Tally(),
  catalog: new Tally(),
  scrapes: new Tally(),
});
type Tallies = ReturnType<typeof tallies>;

interface DatabaseFigures {
  database: string;
  refreshSeconds: number;
  idle: Tallies;
  during: Tallies;
  catalogRps: number;
  reportRps: number;
  /** the same, every request for another entity (4 containers) */
  rotatingCatalogRps: number;
  rotatingReportRps: number;
  firstErrors: string[];
  errors: number;
}

/**
 * With BENCH_BACKEND_NODE_ARGS (a profiled backend) or BENCH_MARKS=1, prints
 * when a phase starts on the monotonic clock, in microseconds: the clock of
 * the backend's CPU profile timestamps (and of `process.hrtime` in any
 * process watching the machine), so its phases can be cut out.
 */
function mark(database: string, phase: string) {
  if (!process.env.BENCH_BACKEND_NODE_ARGS && process.env.BENCH_MARKS !== '1')
    return;
  console.log(
    `[${database}] phase "${phase}" from ${process.hrtime.bigint() / 1000n} us`,
  );
}

async function benchDatabase(
  database: string,
  registry: TestRegistry,
  catalogFile: string,
  names: string[],
  wideImages: string[],
): Promise<DatabaseFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-reads-'));
  let postgres: TestPostgres | undefined;
  let backend: TestBackend | undefined;
  let server: TestBackend | undefined;
  try {
    const sqlite = path.join(dir, 'sqlite');
    fs.mkdirSync(sqlite);
    if (database !== 'sqlite') postgres = await startPostgres();
    // postgres-split: two replicas of the portal on one database, as a
    // platform team would run them: the worker runs the refresh (and every
    // global task), the reads go to a replica with `globalTasks: false`.
    const split = database === 'postgres-split';
    const startReplica = (role: 'worker' | 'server') =>
      startBackend({
        logName: `reads-bench-${database}${role === 'server' ? '-server' : ''}`,
        // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the backend
        nodeArgs:
          process.env.BENCH_BACKEND_NODE_ARGS?.split(' ').filter(Boolean),
        config: () =>
          mergeConfig(
            portalConfig({
              catalogFile,
              staticToken: { token: TOKEN, subject: 'bench' },
            }),
            {
              backend: {
                database: databaseConfig({ postgres, sqliteDirectory: sqlite }),
              },
              // See CATALOG_PROCESSING: the catalog's own periodic work is
              // kept out of the measured window unless asked for.
              ...(CATALOG_PROCESSING === 'default'
                ? {}
                : { catalog: { processingInterval: { minutes: 30 } } }),
              imageFreshness: {
                allowedHosts: [registry.host],
                cacheDuration: '0s',
                schedule: {
                  frequency: { trigger: 'manual' },
                  timeout: { minutes: 10 },
                },
                schedules: {
                  vulnerabilities: {
                    frequency: { trigger: 'manual' },
                    timeout: { minutes: 10 },
                  },
                },
                trivy: { path: writeFakeTrivy(dir) },
                // A serving replica reloads its snapshot when a scrape finds
                // it older than this (in the background), so its reloads
                // fall within the measured refreshes.
                metrics: {
                  reloadInterval: role === 'server' ? SERVER_RELOAD : '1h',
                },
                globalTasks: role === 'worker',
                // BENCH_REFRESH_CONCURRENCY compares settings; default the plugin's
                ...(REFRESH_CONCURRENCY
                  ? { refresh: { concurrency: REFRESH_CONCURRENCY } }
                  : {}),
              },
            },
          ),
      });
    backend = await startReplica('worker');
    server = split ? await startReplica('server') : backend;
    /** Where the refresh is triggered and its runs logged. */
    const worker = backend;
    const workerUser = await guestToken(worker.url);
    const url = server.url;
    const user = await guestToken(url);
    await waitForComponents(url, user, names.length, 300_000);
    await waitForComponents(worker.url, workerUser, names.length, 300_000);
    const runRefresh = async () => {
      await waitUntil(
        'the refresh task to be idle',
        async () => (await taskState(worker.url, workerUser)).status === 'idle',
        { timeoutMs: 600_000, intervalMs: 500 },
      );
      const from = worker.logs().length;
      await triggerTask(worker.url, workerUser);
      return from;
    };
    // Only the logs after the trigger are read at each look: parsing the
    // whole log (18 MB by the end, a line per request) every 250 ms held
    // this process's event loop about 28 ms each time, within the very
    // latencies it measures.
    const waitRun = (from: number) =>
      waitUntil('the refresh run', () => refreshRuns(worker.logs(from))[0], {
        timeoutMs: 600_000,
        intervalMs: 250,
      });
    // Fill the store, then the vulnerability summaries.
    const cold = await waitRun(await runRefresh());
    await triggerTask(
      worker.url,
      workerUser,
      'image-freshness-vulnerabilities',
    );
    await waitUntil(
      'the vulnerability counts of the wide entity',
      async () => {
        const res = await fetch(
          `${url}/api/image-freshness/entities/component/default/${WIDE_NAME}`,
          { headers: { authorization: `Bearer ${user}` } },
        );
        const body = (await res.json()) as {
          containers: Array<{ vulnerabilities?: unknown }>;
        };
        return (
          body.containers.length === WIDE &&
          body.containers.every(c => c.vulnerabilities)
        );
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    );
    await waitUntil(
      'the vulnerability task to be idle',
      async () =>
        (
          await taskState(
            worker.url,
            workerUser,
            'image-freshness-vulnerabilities',
          )
        ).status === 'idle',
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    // The snapshot of the whole catalog.
    await waitUntil(
      'the metrics snapshot',
      async () => {
        const res = await get(`${url}${METRICS_PATH}`, {
          authorization: `Bearer ${TOKEN}`,
        });
        return res.body.includes(`entity="component:default/${WIDE_NAME}"`);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    const userHeaders = { authorization: `Bearer ${user}` };
    const report = (name: string) => async () => {
      const res = await get(
        `${url}/api/image-freshness/entities/component/default/${name}`,
        userHeaders,
      );
      if (res.status !== 200) throw new Error(`${res.status} ${res.body}`);
    };
    const catalogRead = (name: string) => async () => {
      const res = await get(
        `${url}/api/catalog/entities/by-name/component/default/${name}`,
        userHeaders,
      );
      if (res.status !== 200) throw new Error(`${res.status} ${res.body}`);
    };
    const scrape = async () => {
      const res = await get(`${url}${METRICS_PATH}`, {
        authorization: `Bearer ${TOKEN}`,
        'accept-encoding': 'gzip',
      });
      if (res.status !== 200) throw new Error(`${res.status}`);
    };
    // The wide report is what the bench says it is.
    const wide = JSON.parse(
      (
        await get(
          `${url}/api/image-freshness/entities/component/default/${WIDE_NAME}`,
          userHeaders,
        )
      ).body.toString(),
    ) as { containers: Array<{ image: string }>; baseImages: unknown[] };
    if (
      wide.containers.length !== WIDE ||
      wide.baseImages.length !== WIDE ||
      [...wide.containers.map(c => c.image)].sort().join() !==
        [...wideImages].sort().join()
    ) {
      throw new Error(`The wide entity's report is not its 21 images`);
    }

    /** Open-loop load until `until` resolves: entity API at a rate, scrapes at an interval. */
    const load = async (until: Promise<unknown>, into = tallies()) => {
      const { api, catalog, scrapes } = into;
      const inFlight: Array<Promise<void>> = [];
      let stop = false;
      const start = Date.now();
      let sent = 0;
      const ticker = setInterval(() => {
        const due = Math.floor(((Date.now() - start) / 1000) * API_PER_SECOND);
        for (; sent < due; sent++) {
          inFlight.push(api.time(report(names[(sent * 7919) % names.length])));
          // the baseline: the catalog's own read of another entity, as often
          inFlight.push(
            catalog.time(catalogRead(names[(sent * 7907 + 1) % names.length])),
          );
        }
      }, 20);
      const scraping = (async () => {
        while (!stop) {
          await Promise.all([
            scrapes.time(scrape),
            new Promise(r => setTimeout(r, SCRAPE_EVERY_MS)),
          ]);
        }
      })();
      try {
        await until;
      } finally {
        stop = true;
        clearInterval(ticker);
        await scraping;
        await Promise.all(inFlight);
      }
      return { api, catalog, scrapes };
    };

    // Idle: the same load, nothing else running.
    const idle = await load(
      new Promise(r => setTimeout(r, IDLE_SECONDS * 1000)),
    );

    // Throughput, alternated so drift in the machine's load hits both alike.
    mark(database, 'throughput');
    const catalogRates: number[] = [];
    const reportRates: number[] = [];
    let errors = 0;
    await throughput(1, catalogRead(WIDE_NAME)); // warm-up
    await throughput(1, report(WIDE_NAME));
    for (let round = 0; round < ROUNDS; round++) {
      const c = await throughput(THROUGHPUT_SECONDS, catalogRead(WIDE_NAME));
      const r = await throughput(THROUGHPUT_SECONDS, report(WIDE_NAME));
      catalogRates.push(c.rps);
      reportRates.push(r.rps);
      errors += c.errors + r.errors;
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The same, each caller on another entity at each request: no two
    // requests in flight share a catalog read.
    let next = 0;
    const rotating = (read: (name: string) => () => Promise<void>) => () =>
      read(names[next++ % (names.length - 1)])();
    mark(database, 'rotating catalog');
    const rotatingCatalog = await throughput(
      THROUGHPUT_SECONDS,
      rotating(catalogRead),
    );
    mark(database, 'rotating report');
    const rotatingReport = await throughput(
      THROUGHPUT_SECONDS,
      rotating(report),
    );
    errors += rotatingCatalog.errors + rotatingReport.errors;

    // During a full refresh.
    mark(database, 'refresh under load');
    const during = tallies();
    const runs = [];
    for (let round = 0; round < DURING_ROUNDS; round++) {
      const run = waitRun(await runRefresh());
      await load(run, during);
      runs.push(await run);
    }
    mark(database, 'end');
    const probeErrors = [idle, during].flatMap(phase =>
      Object.values(phase).flatMap(tally => tally.errors),
    );
    const refreshSeconds =
      runs.reduce((sum, r) => sum + (r.finishedAt - r.startedAt), 0) /
      runs.length /
      1000;
    console.log(
      `[${database}] cold refresh ${(
        (cold.finishedAt - cold.startedAt) /
        1000
      ).toFixed(1)} s, refresh under load ${refreshSeconds.toFixed(
        1,
      )} s (mean of ${runs.length}), ${runs[0].entities} entities`,
    );
    return {
      database,
      refreshSeconds,
      idle,
      during,
      catalogRps: mean(catalogRates),
      reportRps: mean(reportRates),
      rotatingCatalogRps: rotatingCatalog.rps,
      rotatingReportRps: rotatingReport.rps,
      firstErrors: probeErrors.slice(0, 3),
      errors: errors + probeErrors.length,
    };
  } finally {
    if (server !== backend) await server?.stop();
    await backend?.stop();
    await postgres?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  // niced, the figures show the backend's own share of a busy 2-core
  // machine (the registry stands in for a remote one)
  const registry = await startRegistry({ lowPriority: REGISTRY_NICE });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-reads-'));
  try {
    const t0 = performance.now();
    const refs: PushedRef[] = await pushImageSet(registry.url, registry.host, {
      count: TAGS,
      repositories: 30,
    });
    // The wide entity: 21 images built on one tracked base.
    const base = await pushImage(registry.url, 'bench/base', '1', {
      created: '2026-09-01T00:00:00Z',
      files: { 'base.txt': 'base\n' },
    });
    const wideImages: string[] = [];
    for (let i = 0; i < WIDE; i++) {
      await pushImage(registry.url, 'bench/wide', `v${i}`, {
        created: new Date(Date.UTC(2026, 9, 1 + i)).toISOString(),
        labels: { 'org.opencontainers.image.version': `v${i}` },
        annotations: {
          'org.opencontainers.image.base.name': `${registry.host}/bench/base:1`,
          'org.opencontainers.image.base.digest': base.digest,
        },
        files: { 'wide.txt': `wide ${i}\n` },
      });
      wideImages.push(`${registry.host}/bench/wide:v${i}`);
    }
    console.log(
      `pushed ${TAGS + WIDE + 1} images in ${(
        (performance.now() - t0) /
        1000
      ).toFixed(1)} s`,
    );
    const names: string[] = [];
    const components = [];
    for (let i = 0; i < ENTITIES; i++) {
      const name = `svc-${i}`;
      names.push(name);
      components.push(
        annotatedComponent({
          name,
          images: Array.from(
            { length: IMAGES_PER_ENTITY },
            (_, j) => refs[(i * IMAGES_PER_ENTITY + j) % TAGS].ref,
          ),
        }),
      );
    }
    components.push(
      annotatedComponent({ name: WIDE_NAME, images: wideImages }),
    );
    names.push(WIDE_NAME);
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(catalogFile, catalogYaml(components));

    const results: DatabaseFigures[] = [];
    for (const database of DATABASES) {
      results.push(
        await benchDatabase(database, registry, catalogFile, names, wideImages),
      );
    }

    const containers = ENTITIES * IMAGES_PER_ENTITY + WIDE;
    console.log(
      `\n== reads during a refresh (${
        names.length
      } entities, ${containers} containers, cacheDuration 0s${NICE_NOTE}, the catalog's processing ${
        CATALOG_PROCESSING === 'default' ? "at Backstage's default" : 'deferred'
      })`,
    );
    for (const r of results) {
      const ratio = r.reportRps / r.catalogRps;
      console.log(
        `-- ${r.database} (refresh under load ${r.refreshSeconds.toFixed(
          1,
        )} s)`,
      );
      console.log(
        `entity API idle (${API_PER_SECOND}/s)       ${r.idle.api.text()}`,
      );
      console.log(`entity API during refresh  ${r.during.api.text()}`);
      console.log(
        `  during / idle p95 = ${(
          r.during.api.p(95) / r.idle.api.p(95)
        ).toFixed(2)}`,
      );
      console.log(
        `catalog by-name idle       ${r.idle.catalog.text()} (the baseline)`,
      );
      console.log(`catalog by-name during     ${r.during.catalog.text()}`);
      console.log(
        `  entity API / catalog p95: idle ${(
          r.idle.api.p(95) / r.idle.catalog.p(95)
        ).toFixed(2)}, during ${(
          r.during.api.p(95) / r.during.catalog.p(95)
        ).toFixed(2)}`,
      );
      console.log(`/metrics idle              ${r.idle.scrapes.text()}`);
      console.log(`/metrics during refresh    ${r.during.scrapes.text()}`);
      console.log(
        `  during / idle p95 = ${(
          r.during.scrapes.p(95) / r.idle.scrapes.p(95)
        ).toFixed(2)}`,
      );
      console.log(
        `throughput, ${WIDE}-container entity, concurrency ${CONCURRENCY}: catalog by-name ${r.catalogRps.toFixed(
          0,
        )}/s, entity report ${r.reportRps.toFixed(
          0,
        )}/s, report / catalog = ${ratio.toFixed(2)} (goal >= 0.8); errors ${
          r.errors
        }`,
      );
      const rotatingRatio = r.rotatingReportRps / r.rotatingCatalogRps;
      console.log(
        `throughput, every request for another 4-container entity: catalog by-name ${r.rotatingCatalogRps.toFixed(
          0,
        )}/s, entity report ${r.rotatingReportRps.toFixed(
          0,
        )}/s, report / catalog = ${rotatingRatio.toFixed(2)}`,
      );
      if (r.firstErrors.length)
        console.log(`first errors: ${r.firstErrors.join('; ')}`);
      const figure = (
        measure: string,
        value: string,
        goal: string,
        met?: boolean,
      ) =>
        recordFigure({
          bench: `reads (${r.database}${NICE_NOTE})`,
          measure,
          value,
          goal,
          met,
        });
      /** p50 / p95 of one kind of request during the refreshes, then idle. */
      const duringAndIdle = (kind: keyof Tallies) =>
        [r.during[kind], r.idle[kind]]
          .map(t => `${t.p(50).toFixed(1)} / ${t.p(95).toFixed(1)} ms`)
          .join('; idle ');
      figure(
        'Entity API p50 / p95 during a full refresh',
        duringAndIdle('api'),
        'p95 <= 50 ms',
        r.during.api.p(95) <= 50,
      );
      figure(
        "The catalog's own entity read p50 / p95 during a full refresh (the baseline)",
        duringAndIdle('catalog'),
        'anchor: the entity API reads it too',
      );
      figure(
        '/metrics scrape p50 / p95 during a full refresh',
        duringAndIdle('scrapes'),
        'p95 <= 50 ms',
        r.during.scrapes.p(95) <= 50,
      );
      figure(
        `Entity report throughput / catalog read, ${WIDE} containers, concurrency ${CONCURRENCY}`,
        `${ratio.toFixed(2)} (${r.reportRps.toFixed(
          0,
        )} / ${r.catalogRps.toFixed(0)} per s)`,
        '>= 0.8',
        ratio >= 0.8,
      );
      figure(
        `Entity report throughput / catalog read, every request another entity`,
        `${rotatingRatio.toFixed(2)} (${r.rotatingReportRps.toFixed(
          0,
        )} / ${r.rotatingCatalogRps.toFixed(0)} per s)`,
        'anchor: no shared catalog reads',
      );
    }
  } finally {
    agent.destroy();
    await registry.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
