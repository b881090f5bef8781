/*
 * Benchmark of the org-wide overview, `GET /api/image-freshness/overview`
 * (not a test: it prints figures and ratios and never fails on time).
 *
 *   yarn workspace @internal/test bench:overview   (needs docker-registry)
 *
 * The real portal backend with the test permission policy
 * (harness/confidential-policy.ts: users may not read entities labelled
 * `confidential`), SQLite files as app-config.yaml runs it, a real registry.
 * The catalog: BENCH_ENTITIES (default 2,000) annotation-declared entities
 * with 5 images each over BENCH_IMAGES (default 400) tags, so 10,000
 * containers; 25 owners, 10 systems; every 10th entity is confidential, so
 * the guest user reads 1,800 entities (9,000 rows). One full refresh fills
 * the store.
 *
 * Measured, one request at a time over keep-alive, alternated so drift in
 * the machine's load hits both alike:
 * - the first page (50 rows) for the guest user, p50/p95, beside
 * - the baseline: the catalog's own read of the same entities with the same
 *   credentials and the same fields (`POST /api/catalog/entities/by-refs`,
 *   in the chunks of 1,000 refs CatalogClient sends, one after the other),
 *   the read the overview makes on every request for the permission check;
 * - a filtered page (one owner, stale only) p50/p95;
 * - the first request after the refresh, which loads the snapshot (the
 *   stores, the catalog's read of every entity, the verdicts: cold).
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
import { catalogYaml } from '../harness/catalog';
import {
  BACKEND_WITH_POLICY,
  CONFIDENTIAL_LABEL,
} from '../harness/confidential-policy';
import { refreshRuns, triggerTask, waitUntil } from '../harness/refreshes';
import { startRegistry, TestRegistry } from '../harness/registry';
import { pushImageSet } from '../harness/scale';
import { recordFigure } from './results';
import { Tally } from './tally';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 2000);
const IMAGES_PER_ENTITY = 5;
const TAGS = Number(process.env.BENCH_IMAGES ?? 400);
const OWNERS = 25;
const SYSTEMS = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const WARM_UP = 5;
const TOKEN = 'overview-bench-service-token-0123456789';
const OVERVIEW = '/api/image-freshness/overview';
/** What the overview asks the catalog per request (overview/router.ts): which entities the caller may read. */
const FIELDS = ['kind'];
/** CatalogClient's chunk of refs per by-refs request. */
const CHUNK = 1000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request over the keep-alive agent; answers status and body text. */
function send(
  url: string,
  options: { method?: string; headers: Record<string, string>; body?: string },
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-ovb-'));
  let registry: TestRegistry | undefined;
  let backend: TestBackend | undefined;
  try {
    registry = await startRegistry();
    const pushStarted = performance.now();
    const refs = await pushImageSet(registry.url, registry.host, {
      count: TAGS,
      repositories: 40,
    });
    console.log(
      `pushed ${TAGS} images in ${(
        (performance.now() - pushStarted) /
        1000
      ).toFixed(1)} s`,
    );
    const names = Array.from(
      { length: ENTITIES },
      (_, i) => `svc-${String(i).padStart(5, '0')}`,
    );
    const confidential = (i: number) => i % 10 === 0;
    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml(
        names.map((name, i) => ({
          name,
          owner: `team-${i % OWNERS}`,
          system: `system-${i % SYSTEMS}`,
          ...(confidential(i) && {
            labels: { [CONFIDENTIAL_LABEL.label]: CONFIDENTIAL_LABEL.value },
          }),
          annotations: {
            'image-freshness/images': Array.from(
              { length: IMAGES_PER_ENTITY },
              (_, k) => refs[(i * IMAGES_PER_ENTITY + k) % TAGS].ref,
            ).join(','),
          },
        })),
      ),
    );
    const readable = names.filter((_, i) => !confidential(i)).length;
    const sqlite = path.join(dir, 'sqlite');
    fs.mkdirSync(sqlite);
    backend = await startBackend({
      entry: BACKEND_WITH_POLICY,
      logName: 'overview-bench',
      config: () =>
        mergeConfig(
          portalConfig({
            catalogFile,
            staticToken: { token: TOKEN, subject: 'bench' },
          }),
          {
            backend: { database: databaseConfig({ sqliteDirectory: sqlite }) },
            imageFreshness: {
              allowedHosts: [registry!.host],
              schedule: {
                frequency: { trigger: 'manual' },
                timeout: { minutes: 30 },
              },
            },
          },
        ),
      timeoutMs: 300_000,
    });
    const url = backend.url;
    const service = { authorization: `Bearer ${TOKEN}` };
    await waitForComponents(url, TOKEN, ENTITIES, 600_000);
    const refreshStarted = performance.now();
    await triggerTask(url, TOKEN);
    await waitUntil('the refresh', () => refreshRuns(backend!.logs())[0], {
      timeoutMs: 1_800_000,
      intervalMs: 500,
    });
    const refreshSeconds = (performance.now() - refreshStarted) / 1000;
    console.log(
      `refreshed ${ENTITIES} entities / ${
        ENTITIES * IMAGES_PER_ENTITY
      } containers in ${refreshSeconds.toFixed(1)} s`,
    );

    const user = { authorization: `Bearer ${await guestToken(url)}` };
    const page = async (query: string, headers = user) => {
      const res = await send(`${url}${OVERVIEW}${query}`, { headers });
      if (res.status !== 200) {
        throw new Error(`overview ${res.status}: ${res.text}`);
      }
      return JSON.parse(res.text) as {
        items: unknown[];
        totalItems: number;
        owners: unknown[];
      };
    };

    // The first request loads the snapshot (the refresh dropped it).
    const coldStart = performance.now();
    const first = await page('');
    const coldMs = performance.now() - coldStart;
    // What the bench says it measures: the user reads 9 in 10 entities.
    const all = await page('', service);
    if (
      all.totalItems !== ENTITIES * IMAGES_PER_ENTITY ||
      first.totalItems !== readable * IMAGES_PER_ENTITY ||
      first.items.length !== 50
    ) {
      throw new Error(
        `Unexpected rows: service ${all.totalItems}, user ${
          first.totalItems
        } (expected ${ENTITIES * IMAGES_PER_ENTITY} and ${
          readable * IMAGES_PER_ENTITY
        })`,
      );
    }

    const entityRefs = names.map(n => `component:default/${n}`).sort();
    const catalogRead = async () => {
      let found = 0;
      for (let i = 0; i < entityRefs.length; i += CHUNK) {
        const res = await send(`${url}/api/catalog/entities/by-refs`, {
          method: 'POST',
          headers: { ...user, 'content-type': 'application/json' },
          body: JSON.stringify({
            entityRefs: entityRefs.slice(i, i + CHUNK),
            fields: FIELDS,
          }),
        });
        if (res.status !== 200) {
          throw new Error(`by-refs ${res.status}: ${res.text}`);
        }
        found += (JSON.parse(res.text) as { items: unknown[] }).items.filter(
          Boolean,
        ).length;
      }
      return found;
    };
    if ((await catalogRead()) !== readable) {
      throw new Error('The catalog baseline does not read what the user may');
    }

    const baseline = new Tally();
    const firstPage = new Tally();
    const filtered = new Tally();
    const filter = '?owner=group:default/team-3&verdict=stale';
    for (let i = 0; i < WARM_UP; i++) {
      await catalogRead();
      await page('');
      await page(filter);
    }
    for (let round = 0; round < ROUNDS; round++) {
      await baseline.time(async () => {
        await catalogRead();
      });
      await firstPage.time(async () => {
        await page('');
      });
      await filtered.time(async () => {
        await page(filter);
      });
    }
    const failures = [baseline, firstPage, filtered].flatMap(t => t.errors);
    if (failures.length > 0) {
      throw new Error(`${failures.length} requests failed: ${failures[0]}`);
    }

    const ratio = firstPage.p(95) / baseline.p(95);
    console.log(
      [
        '',
        `overview of ${ENTITIES} entities / ${
          ENTITIES * IMAGES_PER_ENTITY
        } containers; the user reads ${readable} entities / ${
          readable * IMAGES_PER_ENTITY
        } rows`,
        `  first request after the refresh (loads the snapshot): ${coldMs.toFixed(
          0,
        )} ms`,
        `  first page (50 rows):            ${firstPage.text()}`,
        `  baseline, catalog by-refs:       ${baseline.text()}`,
        `  first page / baseline at p95:    ${ratio.toFixed(2)}×`,
        `  one owner, stale only:           ${filtered.text()}`,
      ].join('\n'),
    );
    recordFigure({
      bench: 'overview',
      measure: `first page p95, ${
        ENTITIES * IMAGES_PER_ENTITY
      } containers (user reads ${readable * IMAGES_PER_ENTITY} rows)`,
      value: `${firstPage.p(95).toFixed(0)} ms (p50 ${firstPage
        .p(50)
        .toFixed(0)}); catalog by-refs of the same entities ${baseline
        .p(95)
        .toFixed(0)} ms (${ratio.toFixed(2)}×)`,
      goal: '≤ 200 ms',
      met: firstPage.p(95) <= 200,
    });
    recordFigure({
      bench: 'overview',
      measure: 'first request after a refresh (loads the snapshot)',
      value: `${coldMs.toFixed(0)} ms`,
      goal: 'anchor',
    });
  } finally {
    agent.destroy();
    await backend?.stop();
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
