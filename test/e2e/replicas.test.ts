/*
 * Two replicas of the real backend on one PostgreSQL, as DESIGN.md's "Scale"
 * section runs them: a real registry behind a counting proxy, four
 * annotation-declared entities and one on the Kubernetes API stand-in.
 *
 * Proves that
 * - the scheduled refresh runs once per interval across both replicas
 *   (Backstage's scheduler, scope global, claims each run in the database):
 *   runs never overlap, each run asks the registry for each tag once, and
 *   there are no more runs than the interval allows (two replicas each running
 *   every tick would make twice as many);
 * - both replicas answer the same entity reports, byte for byte, when read
 *   between two refreshes (the only fields that change are `refreshedAt` and
 *   each container's `resolvedAt`, which every refresh rewrites in the shared
 *   store; reading both replicas inside one quiet interval leaves nothing to
 *   exclude);
 * - both replicas serve the same /metrics series and values for the stored
 *   data; the per-process families (see PER_PROCESS) are left out, each for
 *   its reason;
 * - once the replica that ran the last refresh stops, the other one takes
 *   over the schedule (counted at the registry, once per interval again);
 * - a replica stopped in the middle of a run gives its claim back as it shuts
 *   down, so the other one runs the next refresh within an interval or two,
 *   not after the task's timeout and the scheduler's janitor.
 *
 * Scheduler semantics (backend-defaults 0.18, TaskWorker): the first run is
 * due at registration + initialDelay; after a run, the next is due at
 * max(previous due time + frequency, now); each replica polls the task row
 * every min(frequency, 5 s) and claims a due run with an UPDATE ... WHERE
 * current_run_ticket IS NULL, so a run starts up to one poll after it is due.
 */
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  guestToken,
  mergeConfig,
  portalConfig,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { parseExposition, seriesKey } from '../harness/exposition';
import { FaultProxy, startFaultProxy } from '../harness/fault-proxy';
import { pushImage } from '../harness/images';
import {
  clusterConfig,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { AppImages, buildAppObjects } from '../harness/kubernetes-fixtures';
import { startPostgres, TestPostgres } from '../harness/postgres';
import {
  refreshRuns,
  RefreshRun,
  taskState,
  waitUntil,
} from '../harness/refreshes';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { annotatedComponent } from '../harness/scale';
import { catalogYaml } from '../harness/catalog';

jest.setTimeout(300_000);

/** The refresh interval, in seconds. */
const FREQUENCY = 3;
/** How long the test watches the schedule, in intervals. */
const WATCHED_INTERVALS = 8;
const METRICS_PATH = '/api/image-freshness/metrics';
const TOKEN = 'replicas-scrape-token-0123456789';
const CLUSTER_TOKEN = 'replicas-cluster-token';
const DAY = 24 * 3600 * 1000;

/**
 * Families that are about this process, not the stored data, so each replica
 * has its own values: the registry requests it sent and their durations, the
 * resolve and source errors its own refresh runs met, its own last refresh run (the
 * help text says "on this replica"), and when it read its snapshot (each
 * replica reads the store on its own clock). Health probes
 * (`registry_exporter_*`) run on every replica (scope local) but none are
 * configured here.
 */
const PER_PROCESS = [
  'image_freshness_registry_requests_total',
  'image_freshness_registry_request_duration_seconds',
  'image_freshness_resolve_errors_total',
  'image_freshness_source_errors_total',
  'image_freshness_last_refresh_timestamp_seconds',
  'image_freshness_refresh_duration_seconds',
  'image_freshness_metrics_snapshot_timestamp_seconds',
  'image_freshness_metrics_dropped_series_total',
  'image_freshness_kubernetes_source_info',
];

const ENTITIES = ['alpha', 'bravo', 'charlie', 'delta'];
const ROLES: Array<keyof AppImages> = [
  'app',
  'sidecar',
  'init',
  'migrate',
  'cache',
  'agent',
  'job',
  'debug',
];

const daysAgo = (days: number) =>
  new Date(Date.now() - days * DAY).toISOString();

/** A HEAD of a manifest by tag, as `repo:tag`; undefined for anything else. */
function headedTag(method: string, requestPath: string): string | undefined {
  const m = /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec(requestPath);
  return method === 'HEAD' && m && !m[2].startsWith('sha256:')
    ? `${m[1]}:${m[2]}`
    : undefined;
}

interface ReplicaRun extends RefreshRun {
  replica: string;
}

describe('two replicas on one PostgreSQL', () => {
  let postgres: TestPostgres;
  let registry: TestRegistry;
  let proxy: FaultProxy;
  /** when the proxy started (bounds), to put its request times on the wall clock */
  let proxyEpoch: number;
  let cluster: KubernetesStandIn;
  let dir: string;
  const replicas: Record<'a' | 'b', TestBackend | undefined> = {
    a: undefined,
    b: undefined,
  };
  /** entity ref → image reference → the digest its tag points at */
  const expected: Record<string, Record<string, string>> = {};
  /** every tag a refresh reads, as `repo:tag` */
  const tags: string[] = [];
  /** the configuration both replicas start with */
  let config: () => Record<string, unknown>;

  const push = async (repo: string, tag: string, age: number) => {
    const { digest } = await pushImage(registry.url, repo, tag, {
      created: daysAgo(age + 0.5),
      labels: { 'org.opencontainers.image.title': repo },
    });
    tags.push(`${repo}:${tag}`);
    return { ref: `${proxy.host}/${repo}:${tag}`, digest };
  };

  beforeAll(async () => {
    requireBinaries('docker-registry');
    postgres = await startPostgres();
    registry = await startRegistry();
    proxyEpoch = Date.now();
    proxy = await startFaultProxy(registry.url);

    const annotated = [];
    for (const [n, name] of ENTITIES.entries()) {
      const images: string[] = [];
      expected[`component:default/${name}`] = {};
      for (const i of [1, 2]) {
        const { ref, digest } = await push(`team/${name}-${i}`, `1.${i}`, n);
        images.push(ref);
        expected[`component:default/${name}`][ref] = digest;
      }
      annotated.push({ name, images, owner: `team-${name}` });
    }
    const appImages = {} as Required<AppImages>;
    const running: Record<string, string> = {};
    expected['component:default/checkout'] = {};
    for (const [n, role] of ROLES.entries()) {
      const { ref, digest } = await push(`shop/${role}`, '2.0', 10 + n);
      appImages[role] = ref;
      running[ref] = digest;
      expected['component:default/checkout'][ref] = digest;
    }
    cluster = await startKubernetesStandIn({
      token: CLUSTER_TOKEN,
      objects: buildAppObjects({
        name: 'checkout',
        namespace: 'shop',
        images: appImages,
        running,
      }),
    });

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-replicas-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        ...annotated.map(annotatedComponent),
        {
          name: 'checkout',
          annotations: { 'backstage.io/kubernetes-id': 'checkout' },
          owner: 'team-shop',
        },
      ]),
    );
    config = () =>
      mergeConfig(
        portalConfig({
          catalogFile,
          staticToken: { token: TOKEN, subject: 'scraper' },
          clusters: [clusterConfig('eu-west', cluster, CLUSTER_TOKEN)],
        }),
        {
          backend: {
            database: { client: 'pg', connection: postgres.connectionString },
          },
          imageFreshness: {
            allowedHosts: [proxy.host],
            // Every run asks for every tag again, so the registry counts runs.
            cacheDuration: '0s',
            schedule: {
              frequency: { seconds: FREQUENCY },
              timeout: { seconds: 30 },
              initialDelay: { seconds: 1 },
            },
            metrics: { reloadInterval: '1s' },
          },
        },
      );
    // One after the other, as a rolling deployment adds replicas (and so the
    // second finds the plugin databases the first created).
    replicas.a = await startBackend({ config, logName: 'replicas-a' });
    replicas.b = await startBackend({ config, logName: 'replicas-b' });
  });

  afterAll(async () => {
    for (const backend of Object.values(replicas)) {
      await backend?.stop();
    }
    await cluster?.stop();
    await proxy?.stop();
    await registry?.stop();
    await postgres?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const a = () => replicas.a!;
  const b = () => replicas.b!;

  /** Every refresh run both replicas logged, in start order. */
  function runs(): ReplicaRun[] {
    return Object.entries(replicas)
      .flatMap(([replica, backend]) =>
        backend
          ? refreshRuns(backend.logs()).map(run => ({ ...run, replica }))
          : [],
      )
      .sort((x, y) => x.startedAt - y.startedAt);
  }

  /** The tag HEADs the registry received, with wall-clock times (ms). */
  function heads(): Array<{ tag: string; at: number }> {
    return proxy.requests().flatMap(r => {
      const tag = headedTag(r.method, r.path);
      return tag ? [{ tag, at: proxyEpoch + r.at }] : [];
    });
  }

  /**
   * Checks that the runs (complete, in order) never overlap, that each asked
   * the registry for every tag exactly once, and that every tag HEAD between
   * the first start and the last end belongs to one of them.
   */
  function expectOneRegistryPassPerRun(watched: ReplicaRun[]) {
    // Log times are whole milliseconds; the proxy's are taken a little after
    // it started: a small slack on each side.
    const slack = 50;
    for (let i = 1; i < watched.length; i++) {
      expect(watched[i].startedAt).toBeGreaterThanOrEqual(
        watched[i - 1].finishedAt - slack,
      );
    }
    const all = heads();
    for (const run of watched) {
      const inRun = all
        .filter(
          h => h.at >= run.startedAt - slack && h.at <= run.finishedAt + slack,
        )
        .map(h => h.tag)
        .sort();
      expect(inRun).toEqual([...tags].sort());
    }
    const first = watched[0].startedAt - slack;
    const last = watched[watched.length - 1].finishedAt + slack;
    const outside = all.filter(
      h =>
        h.at >= first &&
        h.at <= last &&
        !watched.some(
          run =>
            h.at >= run.startedAt - slack && h.at <= run.finishedAt + slack,
        ),
    );
    expect(outside).toEqual([]);
  }

  /** The most runs due in `spanMs` from first start to last end: one per interval, plus one for the poll delay of the first. */
  const mostRuns = (spanMs: number) =>
    Math.floor(spanMs / (FREQUENCY * 1000)) + 2;

  async function rawReport(url: string, entityRef: string, token: string) {
    const [kind, rest] = entityRef.split(':');
    const res = await fetch(
      `${url}/api/image-freshness/entities/${kind}/${rest}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const body = await res.text();
    if (res.status !== 200) {
      throw new Error(`GET ${entityRef} on ${url}: ${res.status} ${body}`);
    }
    return body;
  }

  /** Whether the report holds every expected image, resolved to its digest. */
  function complete(entityRef: string, body: string) {
    const report = JSON.parse(body) as EntityImageReport;
    const want = expected[entityRef];
    return (
      report.containers.length >= Object.keys(want).length &&
      report.containers.every(
        c => !c.error && c.metadata?.digest === want[c.image],
      ) &&
      Object.keys(want).every(ref =>
        report.containers.some(c => c.image === ref),
      )
    );
  }

  it('serves the same entity reports from both replicas, byte for byte', async () => {
    const tokens = {
      a: await guestToken(a().url),
      b: await guestToken(b().url),
    };
    for (const entityRef of Object.keys(expected)) {
      await waitUntil(
        `both replicas serve ${entityRef} resolved`,
        async () => {
          try {
            return (
              complete(
                entityRef,
                await rawReport(a().url, entityRef, tokens.a),
              ) &&
              complete(entityRef, await rawReport(b().url, entityRef, tokens.b))
            );
          } catch {
            return false; // the catalog does not know it yet (404)
          }
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      // A, then B, then A again: when A's two answers are the same, no
      // refresh landed in between, and B must answer exactly that.
      const quiet = await waitUntil(
        `a quiet interval to read ${entityRef}`,
        async () => {
          const first = await rawReport(a().url, entityRef, tokens.a);
          const other = await rawReport(b().url, entityRef, tokens.b);
          const again = await rawReport(a().url, entityRef, tokens.a);
          return first === again && { a: first, b: other };
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      expect(quiet.b).toBe(quiet.a);
      expect(complete(entityRef, quiet.b)).toBe(true);
    }
    // The Kubernetes entity's report: every workload's containers, not just one per image.
    const checkout = JSON.parse(
      await rawReport(a().url, 'component:default/checkout', tokens.a),
    ) as EntityImageReport;
    expect(checkout.containers.length).toBeGreaterThan(ROLES.length);
  });

  it('runs the scheduled refresh once per interval across both replicas', async () => {
    const watchFrom = Date.now();
    const watchMs = WATCHED_INTERVALS * FREQUENCY * 1000;
    const watched = await waitUntil(
      `${WATCHED_INTERVALS} intervals of refresh runs`,
      () => {
        const finished = runs().filter(r => r.startedAt >= watchFrom);
        const span =
          finished.length > 0
            ? finished[finished.length - 1].finishedAt - finished[0].startedAt
            : 0;
        return span >= watchMs - FREQUENCY * 1000 && finished;
      },
      { timeoutMs: watchMs * 3, intervalMs: 200 },
    );
    const span = watched[watched.length - 1].finishedAt - watched[0].startedAt;
    const byReplica = { a: 0, b: 0 } as Record<string, number>;
    for (const run of watched) byReplica[run.replica] += 1;
    const gaps = watched
      .slice(1)
      .map((run, i) => run.startedAt - watched[i].startedAt);
    // eslint-disable-next-line no-console
    console.log(
      `runs in ${(span / 1000).toFixed(1)} s at a ${FREQUENCY} s interval: ${
        watched.length
      } (replica a ${byReplica.a}, b ${byReplica.b}); starts apart ${gaps
        .map(g => (g / 1000).toFixed(1))
        .join(', ')} s; tag HEADs ${
        heads().filter(
          h =>
            h.at >= watched[0].startedAt &&
            h.at <= watched[watched.length - 1].finishedAt,
        ).length
      } for ${tags.length} tags`,
    );

    expect(watched.every(r => r.entities === 5 && r.failed === 0)).toBe(true);
    expectOneRegistryPassPerRun(watched);
    // At most one run per interval: two replicas each running every tick
    // would make about twice as many.
    expect(watched.length).toBeLessThanOrEqual(mostRuns(span));
    expect(watched.length).toBeGreaterThanOrEqual(WATCHED_INTERVALS / 2);
  });

  it('serves the same /metrics series and values from both replicas', async () => {
    const scrape = async (url: string) => {
      const res = await fetch(`${url}${METRICS_PATH}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };
    const stored = (exposition: ReturnType<typeof parseExposition>) =>
      Object.fromEntries(
        [...exposition.series]
          .filter(([, s]) => !PER_PROCESS.some(f => s.name.startsWith(f)))
          .map(([key, s]) => [key, s.value]),
      );
    // The replica that did not run the last refresh reloads its snapshot at
    // a scrape when it is older than reloadInterval (1 s): scrape until both
    // have read the store since its last change.
    const both = await waitUntil(
      'both replicas serve the same stored series',
      async () => {
        const [fromA, fromB] = [await scrape(a().url), await scrape(b().url)];
        const same =
          JSON.stringify(stored(fromA)) === JSON.stringify(stored(fromB));
        return same && { fromA, fromB };
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(stored(both.fromB)).toEqual(stored(both.fromA));
    // The same families too (the per-process gauges without labels only
    // appear on a replica once it has run a refresh).
    const families = (exposition: ReturnType<typeof parseExposition>) =>
      [...exposition.types].filter(([name]) => !PER_PROCESS.includes(name));
    expect(families(both.fromB)).toEqual(families(both.fromA));

    // What is compared is the stored data: one info series per container and
    // per entity, with the digests pushed here.
    const samples = [...both.fromA.series.values()];
    const info = samples.filter(
      s => s.name === 'container_image_container_info',
    );
    const digests = new Set(
      Object.values(expected).flatMap(images => Object.values(images)),
    );
    expect(info.length).toBeGreaterThan(Object.keys(expected).length * 2);
    expect(info.every(s => digests.has(s.labels.digest))).toBe(true);
    expect(
      samples
        .filter(s => s.name === 'image_freshness_entity_info')
        .map(s => s.labels.entity)
        .sort(),
    ).toEqual(Object.keys(expected).sort());
    // The per-process families are there, on the replica that ran refreshes.
    const ran = new Set(runs().map(r => r.replica));
    for (const replica of ran) {
      const exposition = replica === 'a' ? both.fromA : both.fromB;
      expect(
        exposition.series.has(
          seriesKey('image_freshness_last_refresh_timestamp_seconds', {}),
        ),
      ).toBe(true);
    }
  });

  it('hands the schedule to the other replica when the one that ran last stops', async () => {
    const leader = runs().pop()!.replica as 'a' | 'b';
    const survivor = leader === 'a' ? 'b' : 'a';
    const token = await guestToken(replicas[survivor]!.url);
    // Stop it between runs (a run cut short keeps its claim until the
    // task's timeout): idle, with the next run at least a second away.
    await waitUntil(
      'the refresh to be idle with a second to spare',
      async () => {
        const state = await taskState(replicas[survivor]!.url, token);
        return (
          state.status === 'idle' &&
          Date.parse(state.startsAt ?? '') - Date.now() > 1000
        );
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await replicas[leader]!.stop();
    const stoppedAt = Date.now();
    replicas[leader] = undefined;

    const after = await waitUntil(
      `four runs on replica ${survivor}`,
      () => {
        const later = runs().filter(r => r.startedAt >= stoppedAt);
        return later.length >= 4 && later;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const span = after[after.length - 1].finishedAt - after[0].startedAt;
    // eslint-disable-next-line no-console
    console.log(
      `replica ${leader} stopped; replica ${survivor} ran the next refresh ${(
        (after[0].startedAt - stoppedAt) /
        1000
      ).toFixed(1)} s later, then ${after.length - 1} more in ${(
        span / 1000
      ).toFixed(1)} s`,
    );
    expect(after.every(r => r.replica === survivor)).toBe(true);
    // Due within an interval, claimed within one poll (an interval) more;
    // an interval of slack for a loaded machine.
    expect(after[0].startedAt - stoppedAt).toBeLessThanOrEqual(
      3 * FREQUENCY * 1000,
    );
    expectOneRegistryPassPerRun(after);
    expect(after.length).toBeLessThanOrEqual(mostRuns(span));

    // The survivor's data and metrics move on.
    const report = JSON.parse(
      await rawReport(
        replicas[survivor]!.url,
        'component:default/alpha',
        token,
      ),
    ) as EntityImageReport;
    expect(Date.parse(report.refreshedAt!)).toBeGreaterThan(stoppedAt);
    const res = await fetch(`${replicas[survivor]!.url}${METRICS_PATH}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const metrics = parseExposition(await res.text());
    const last = metrics.series.get(
      seriesKey('image_freshness_last_refresh_timestamp_seconds', {}),
    );
    expect(last!.value * 1000).toBeGreaterThan(stoppedAt);
  });
  it('hands the schedule on at once when a replica stops in the middle of a run', async () => {
    const restarted = replicas.a ? 'b' : 'a';
    replicas[restarted] = await startBackend({
      config,
      logName: `replicas-${restarted}-restarted`,
    });
    const token = await guestToken(replicas[restarted]!.url);
    // Slow runs (every tag answer waits 1.5 s), to stop one inside a run.
    proxy.addFault({
      method: 'HEAD',
      path: '/manifests/',
      fault: { delayMs: 1500 },
    });
    const delayedBefore = proxy.requests().filter(r => r.fault).length;
    const running = await waitUntil(
      'a replica in the middle of a run',
      async () => {
        if (proxy.requests().filter(r => r.fault).length === delayedBefore) {
          return false;
        }
        for (const name of ['a', 'b'] as const) {
          const state = await taskState(replicas[name]!.url, token);
          if (state.worker === 'running') return name;
        }
        return false;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const other = running === 'a' ? 'b' : 'a';
    const stopping = replicas[running]!;
    await stopping.stop();
    const stoppedAt = Date.now();
    replicas[running] = undefined;
    proxy.clearFaults();

    const [next] = await waitUntil(
      `a run on replica ${other}`,
      () => {
        const later = runs().filter(r => r.startedAt >= stoppedAt);
        return later.length > 0 && later;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    // eslint-disable-next-line no-console
    console.log(
      `replica ${running} stopped in the middle of a run; replica ${other} ran the next ${(
        (next.startedAt - stoppedAt) /
        1000
      ).toFixed(
        1,
      )} s later (the claim would have lasted the 30 s timeout and up to a minute more)`,
    );
    expect(next.replica).toBe(other);
    expect(next.startedAt - stoppedAt).toBeLessThanOrEqual(
      3 * FREQUENCY * 1000,
    );
    expectOneRegistryPassPerRun([next]);
    expect(stopping.logs()).toContain(
      'Released a scheduled run cut short by shutdown',
    );
  });
});
