/*
 * Load on the real backend while it refreshes a large catalog: 600
 * annotation-declared entities with 4 images each (2,400 containers) over a
 * real registry with 300 tags, the backend on SQLite (one file per plugin, as
 * app-config.yaml runs it; LOAD_DATABASE=postgres runs it on a throwaway
 * PostgreSQL instead, as production would). During the second refresh (the first fills the
 * store), a wave of 50 concurrent scrapes of /metrics (static token) starts
 * every 2 s, and 50 entity API requests a second (guest token, spread over
 * every entity) go out whatever the answers take. The refresh is the heavy
 * kind: with `cacheDuration: 0s` every container asks the registry for its
 * tag again and stores the answer.
 *
 * Proves: zero errors while the refresh runs (every answer 200; every
 * /metrics body parses strictly and holds one info series per container;
 * every report is the entity's JSON with its four containers resolved), and
 * that the refresh really ran inside the load window (its start and end from
 * the log fall inside it, the scheduler reported it running, and the registry
 * received its requests then). Prints p50/p95/max latency and counts, and
 * writes them to test-output/load.json for the benchmark table.
 */
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import {
  databaseConfig,
  guestToken,
  mergeConfig,
  portalConfig,
  ROOT,
  startBackend,
  TestBackend,
  waitForComponents,
} from '../harness/backend';
import { Exposition, parseExposition } from '../harness/exposition';
import { startPostgres, TestPostgres } from '../harness/postgres';
import { FaultProxy, startFaultProxy } from '../harness/fault-proxy';
import {
  RefreshRun,
  refreshRuns,
  taskState,
  triggerTask,
  waitUntil,
} from '../harness/refreshes';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import {
  annotatedEntitiesYaml,
  percentile,
  pushImageSet,
} from '../harness/scale';

jest.setTimeout(300_000);

const OUTPUT = path.join(ROOT, 'test-output');
/** The backend's database: SQLite, or PostgreSQL with LOAD_DATABASE=postgres. */
const DATABASE =
  process.env.LOAD_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const ENTITIES = 600;
const IMAGES_PER_ENTITY = 4;
const TAGS = 300;
const SCRAPERS = 50;
/** A wave of scrapes starts this often (or when the last one ends, if later). */
const WAVE_EVERY_MS = 2000;
const API_PER_SECOND = 50;
const METRICS_PATH = '/api/image-freshness/metrics';
const TOKEN = 'load-scrape-token-0123456789';

/**
 * A GET whose body is read as it comes, not decoded: the time a scrape takes
 * is the server's and the wire's, not this process's inflating and parsing
 * (Prometheus does those in its own process too).
 */
function getRaw(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; encoding?: string; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(url, { headers }, res => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              encoding: res.headers['content-encoding'],
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        })
        .on('error', reject);
    },
  );
}

/** Latencies and failures of one kind of request. */
class Tally {
  readonly latencies: number[] = [];
  readonly errors: string[] = [];
  /** completion times (ms since the epoch), to place requests in the refresh */
  readonly doneAt: number[] = [];

  async time(request: () => Promise<void>): Promise<void> {
    const start = performance.now();
    try {
      await request();
      this.latencies.push(performance.now() - start);
      this.doneAt.push(Date.now());
    } catch (error) {
      const cause = (error as Error).cause;
      this.errors.push(`${error}${cause ? ` (${cause})` : ''}`);
    }
  }

  summary() {
    const sorted = [...this.latencies].sort((x, y) => x - y);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      count: this.latencies.length + this.errors.length,
      errors: this.errors.length,
      p50Ms: round(percentile(sorted, 50)),
      p95Ms: round(percentile(sorted, 95)),
      maxMs: round(sorted[sorted.length - 1]),
    };
  }
}

describe('load during a refresh of a large catalog', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let proxyEpoch: number;
  let backend: TestBackend;
  let dir: string;
  let postgres: TestPostgres | undefined;
  /** entity name → its image references */
  const declared = new Map<string, string[]>();

  beforeAll(async () => {
    requireBinaries('docker-registry');
    registry = await startRegistry();
    proxyEpoch = Date.now();
    proxy = await startFaultProxy(registry.url);
    const refs = await pushImageSet(registry.url, proxy.host, {
      count: TAGS,
      repositories: 30,
    });
    for (let i = 0; i < ENTITIES; i++) {
      declared.set(
        `svc-${i}`,
        Array.from(
          { length: IMAGES_PER_ENTITY },
          (_, j) => refs[(i * IMAGES_PER_ENTITY + j) % TAGS].ref,
        ),
      );
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-load-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      annotatedEntitiesYaml(
        [...declared].map(([name, images]) => ({ name, images })),
      ),
    );
    const sqlite = path.join(dir, 'sqlite');
    fs.mkdirSync(sqlite);
    if (DATABASE === 'postgres') postgres = await startPostgres();
    backend = await startBackend({
      logName: 'load-backend',
      config: () =>
        mergeConfig(
          portalConfig({
            catalogFile,
            staticToken: { token: TOKEN, subject: 'load' },
          }),
          {
            backend: {
              database: databaseConfig({ postgres, sqliteDirectory: sqlite }),
            },
            imageFreshness: {
              allowedHosts: [proxy.host],
              // Tags are asked again at every refresh, as after the cache expires.
              cacheDuration: '0s',
              // Only when the test triggers it, and then the whole catalog:
              // a manually triggered schedule has no interval, so every run
              // refreshes every entity (with an interval, the run under load
              // would find nothing due right after the first). (A worker
              // sleeps through its initialDelay in-process, deaf to
              // triggers, so none is set.)
              schedule: {
                frequency: { trigger: 'manual' },
                timeout: { minutes: 5 },
              },
              metrics: { reloadInterval: '1h' },
            },
          },
        ),
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await proxy?.stop();
    await registry?.stop();
    await postgres?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Triggers a refresh once the task is idle; answers the length of the log before it. */
  async function startRefresh(token: string): Promise<number> {
    await waitUntil(
      'the refresh task to be idle',
      async () => (await taskState(backend.url, token)).status === 'idle',
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const from = backend.logs().length;
    await triggerTask(backend.url, token);
    return from;
  }

  /**
   * Waits for the first run logged after `from`, calling `watch` at each
   * look; only the new logs are parsed (the whole log, a line per request,
   * parsed at each look held this process within the latencies it measures).
   */
  const waitForRun = (from: number, watch?: () => Promise<void>) =>
    waitUntil(
      'the refresh run',
      async () => {
        await watch?.();
        return refreshRuns(backend.logs(from))[0];
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );

  it('answers every scrape and API request while the refresh runs', async () => {
    const user = await guestToken(backend.url);
    // The whole catalog first.
    await waitForComponents(backend.url, user, ENTITIES);

    // A refresh of the whole catalog fills the store (and the metrics snapshot).
    const cold = await waitForRun(await startRefresh(user));
    expect(cold).toMatchObject({ entities: ENTITIES, failed: 0 });

    const scrapes = new Tally();
    const api = new Tally();
    const names = [...declared.keys()];
    const containers = ENTITIES * IMAGES_PER_ENTITY;
    /** Family blocks already checked: most of a body is the same snapshot. */
    const memo = new Map<string, Exposition>();

    /** Bodies not checked yet (gzip, as Prometheus asks). */
    const bodies: Buffer[] = [];
    const scrape = (tally: Tally) =>
      tally.time(async () => {
        const res = await getRaw(`${backend.url}${METRICS_PATH}`, {
          authorization: `Bearer ${TOKEN}`,
          'accept-encoding': 'gzip',
        });
        if (res.status !== 200 || res.encoding !== 'gzip') {
          throw new Error(`${res.status} ${res.encoding} ${res.body}`);
        }
        bodies.push(res.body);
      });
    /**
     * Parses the bodies received so far strictly. Only when no request is
     * under way: inflating and parsing block this process, and would count
     * as the latency of the answers arriving meanwhile.
     */
    const checkBodies = (tally: Tally) => {
      for (const body of bodies.splice(0)) {
        const text = gunzipSync(body).toString('utf8');
        const info = [...parseExposition(text, memo).series.values()].filter(
          s => s.name === 'container_image_container_info',
        );
        if (info.length !== containers) {
          tally.errors.push(
            `${info.length} container_image_container_info, not ${containers}`,
          );
        }
      }
    };

    const report = (name: string, tally: Tally) =>
      tally.time(async () => {
        // Through node:http like the scrapes: on a CI machine starved of CPU,
        // fetch's connection pool failed 13 requests with ECONNRESET (a
        // reused keep-alive socket) while the scrapes failed none.
        const res = await getRaw(
          `${backend.url}/api/image-freshness/entities/component/default/${name}`,
          { authorization: `Bearer ${user}` },
        );
        const text = res.body.toString('utf8');
        if (res.status !== 200)
          throw new Error(`${name}: ${res.status} ${text}`);
        const body = JSON.parse(text) as EntityImageReport;
        const images = body.containers.map(c => c.image).sort();
        if (
          body.entityRef !== `component:default/${name}` ||
          JSON.stringify(images) !==
            JSON.stringify([...declared.get(name)!].sort()) ||
          !body.containers.every(c => c.metadata?.digest && !c.error)
        ) {
          throw new Error(`${name}: not its containers: ${text.slice(0, 300)}`);
        }
      });

    // The run's end is logged before /metrics reloads its snapshot from the
    // store: wait for that snapshot to be served.
    await waitUntil(
      'the metrics snapshot of the whole catalog',
      async () => {
        const res = await fetch(`${backend.url}${METRICS_PATH}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const { series } = parseExposition(await res.text(), memo);
        return [...series.values()].some(
          s =>
            s.name === 'container_image_container_info' &&
            s.labels.entity === `component:default/${names[names.length - 1]}`,
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    // The baseline, in the same run: the same requests to the idle backend
    // (no refresh, nothing else asking): three waves, then requests one by one.
    const idle = { scrapes: new Tally(), api: new Tally() };
    for (let i = 0; i < 3; i++) {
      await Promise.all(
        Array.from({ length: SCRAPERS }, () => scrape(idle.scrapes)),
      );
      checkBodies(idle.scrapes);
    }
    for (let i = 0; i < API_PER_SECOND; i++) {
      await report(names[(i * 7919) % names.length], idle.api);
    }

    // The load: a wave of concurrent scrapes every WAVE_EVERY_MS, and API requests
    // at a steady rate whatever the answers take (open loop).
    const lag = monitorEventLoopDelay();
    lag.enable();
    let loading = true;
    const inFlight: Array<Promise<void>> = [];
    const loadStart = Date.now();
    const scraping = (async () => {
      while (loading) {
        const wave = Promise.all(
          Array.from({ length: SCRAPERS }, () => scrape(scrapes)),
        );
        await Promise.all([
          wave,
          new Promise(r => setTimeout(r, WAVE_EVERY_MS)),
        ]);
      }
    })();
    let sent = 0;
    const ticker = setInterval(() => {
      const due = Math.floor(
        ((Date.now() - loadStart) / 1000) * API_PER_SECOND,
      );
      for (; sent < due; sent++) {
        inFlight.push(report(names[(sent * 7919) % names.length], api));
      }
    }, 20);

    // While it runs: the refresh, watched through the scheduler.
    const states: string[] = [];
    let loadEnd = 0;
    let run: RefreshRun | undefined;
    try {
      await new Promise(r => setTimeout(r, 1000));
      const from = await startRefresh(user);
      run = await waitForRun(from, () =>
        taskState(backend.url, user).then(state => {
          states.push(state.status);
        }),
      );
      // A second more of load after the end.
      await new Promise(r => setTimeout(r, 1000));
    } finally {
      loading = false;
      clearInterval(ticker);
      loadEnd = Date.now();
      await scraping;
      await Promise.all(inFlight);
      lag.disable();
    }
    checkBodies(scrapes);

    if (!run) throw new Error('No refresh under load');
    const registryRequests = proxy
      .requests()
      .filter(
        r =>
          proxyEpoch + r.at >= run.startedAt &&
          proxyEpoch + r.at <= run.finishedAt,
      );
    const during = (tally: Tally) =>
      tally.doneAt.filter(t => t >= run.startedAt && t <= run.finishedAt)
        .length;
    const figures = {
      database: DATABASE,
      entities: ENTITIES,
      containers,
      tags: TAGS,
      refreshSeconds: (run.finishedAt - run.startedAt) / 1000,
      coldRefreshSeconds: (cold.finishedAt - cold.startedAt) / 1000,
      loadSeconds: (loadEnd - loadStart) / 1000,
      scrapes: { ...scrapes.summary(), duringRefresh: during(scrapes) },
      api: { ...api.summary(), duringRefresh: during(api) },
      idle: { scrapes: idle.scrapes.summary(), api: idle.api.summary() },
      registryRequestsDuringRefresh: registryRequests.length,
      clientEventLoopDelayP99Ms: Math.round(lag.percentile(99) / 1e4) / 100,
    };
    fs.mkdirSync(OUTPUT, { recursive: true });
    fs.writeFileSync(
      path.join(OUTPUT, 'load.json'),
      `${JSON.stringify(figures, null, 2)}\n`,
    );
    // eslint-disable-next-line no-console
    console.log(
      [
        `refresh of ${ENTITIES} entities / ${containers} containers under load: ${figures.refreshSeconds} s (the first, without load: ${figures.coldRefreshSeconds} s), ${DATABASE}`,
        `scrapes (a wave of ${SCRAPERS} every ${
          WAVE_EVERY_MS / 1000
        } s): ${JSON.stringify(figures.scrapes)}`,
        `entity API (${API_PER_SECOND}/s): ${JSON.stringify(figures.api)}`,
        `baseline, the idle backend: scrape waves ${JSON.stringify(
          figures.idle.scrapes,
        )}, API one by one ${JSON.stringify(figures.idle.api)}`,
        `registry requests during the refresh: ${
          registryRequests.length
        }; scheduler states seen: ${[...new Set(states)].join(
          ', ',
        )}; this process's event-loop delay p99 ${
          figures.clientEventLoopDelayP99Ms
        } ms`,
        ...scrapes.errors.slice(0, 3),
        ...api.errors.slice(0, 3),
      ].join('\n'),
    );

    // The refresh ran inside the load window, and did its registry work then.
    expect(run).toMatchObject({ entities: ENTITIES, failed: 0 });
    expect(run.startedAt).toBeGreaterThanOrEqual(loadStart);
    expect(run.finishedAt).toBeLessThanOrEqual(loadEnd);
    expect(states).toContain('running');
    expect(
      registryRequests.filter(r => r.method === 'HEAD').length,
    ).toBeGreaterThanOrEqual(TAGS);
    // Load landed throughout it.
    expect(figures.api.duringRefresh).toBeGreaterThan(
      figures.refreshSeconds * API_PER_SECOND * 0.5,
    );
    expect(figures.scrapes.duringRefresh).toBeGreaterThanOrEqual(SCRAPERS);
    // Zero errors.
    expect(idle.scrapes.errors).toEqual([]);
    expect(idle.api.errors).toEqual([]);
    expect(scrapes.errors).toEqual([]);
    expect(api.errors).toEqual([]);
  });
});
