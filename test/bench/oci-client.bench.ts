/*
 * Benchmark of oci-client against a real registry (docker-registry with bearer-token auth and the
 * test's own token endpoint), with 1,000 distinct tags in 10 repositories: some tags share a digest,
 * every tenth tag is a multi-arch index. Prints figures and ratios; never fails on time.
 *
 * Run from the repository root:
 *   source scripts/env.sh && yarn workspace @internal/test bench:oci-client
 * or from test/:
 *   node --require @backstage/cli-node/config/nodeTransform.cjs bench/oci-client.bench.ts
 *
 * What it measures:
 *   1. Registry requests per tag, cold and on a steady-state re-check, as the registry's own access log
 *      records them. The steady-state caching (tag -> digest for a while, digest -> metadata for ever)
 *      lives in the backend's ImageResolver; here a small in-memory model of the same policy wraps the
 *      client. Goals: steady state exactly 1 HEAD and 0 GETs per tag; cold at most index + manifest +
 *      config GETs, each digest fetched once.
 *   2. Token requests per repository scope (goal: at most 1 per token lifetime), from the token
 *      endpoint's own log.
 *   3. Throughput as a ratio to the registry's own capacity, measured in the same run by a raw
 *      fetch load replaying the very requests the client made (same paths, same concurrency, tokens
 *      fetched beforehand). Goal: at least 0.5.
 */
import {
  ImageDetails,
  OciClient,
  parsePlatform,
  RequestEvent,
} from 'oci-client';
import { gzipSync } from 'node:zlib';
import { startRegistry, TestRegistry } from '../harness/registry';
import { median, pool } from '../harness/scale';
import { recordFigure } from './results';
import { startTokenServer, TokenServer } from '../harness/token-server';

const REPOSITORIES = 10;
const TAGS_PER_REPOSITORY = 100;
const IMAGES_PER_REPOSITORY = 30; // single-arch images the tags share
const INDEXES_PER_REPOSITORY = 5; // multi-arch images (amd64 + arm64), every tenth tag
const CONCURRENCY = 16;
const ROUNDS = 6; // the first warms up and records the requests the raw load replays
const pusher = { username: 'pusher', password: 'bench-pass' };

interface Logged {
  method: string;
  path: string;
  status: number;
}

const figure = (measure: string, value: string, goal: string, met?: boolean) =>
  recordFigure({ bench: 'oci-client', measure, value, goal, met });

const ACCESS_LINE =
  /"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/1\.1" (\d{3})/;

async function settledLog(
  registry: TestRegistry,
  mark: number,
): Promise<Logged[]> {
  let count = -1;
  while (registry.logs().length !== count) {
    count = registry.logs().length;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return registry
    .logs()
    .slice(mark)
    .map(line => ACCESS_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(m => ({ method: m[1], path: m[2], status: Number(m[3]) }));
}

/** Pushes every repository's images, indexes and tags with the client's own write operations. */
async function populate(registry: TestRegistry): Promise<string[]> {
  const client = new OciClient({
    credentials: { [registry.host]: pusher },
    maxConcurrency: 8,
  });
  const tags: string[] = [];
  const repositories = Array.from(
    { length: REPOSITORIES },
    (_, r) => `bench/repo${r}`,
  );
  await pool(repositories, 4, async repository => {
    const base = `${registry.host}/${repository}`;
    const layer = gzipSync(Buffer.from(`shared layer of ${repository}\n`));
    const { digest: layerDigest } = await client.uploadBlob(base, layer);
    const image = async (
      name: string,
      architecture: string,
      variant?: string,
    ) => {
      const config = Buffer.from(
        JSON.stringify({
          created: new Date(
            Date.UTC(2024, 0, 1) + name.length * 3600_000,
          ).toISOString(),
          architecture,
          os: 'linux',
          ...(variant ? { variant } : {}),
          config: {
            Labels: {
              'org.opencontainers.image.title': `${repository}/${name}`,
            },
          },
          rootfs: { type: 'layers', diff_ids: [] },
        }),
      );
      const { digest: configDigest } = await client.uploadBlob(base, config);
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layerDigest,
            size: layer.length,
          },
        ],
      };
      const raw = Buffer.from(JSON.stringify(manifest));
      const { digest } = await client.putManifest(`${base}:${name}`, raw);
      return { digest, size: raw.length };
    };
    const images: string[] = [];
    for (let i = 0; i < IMAGES_PER_REPOSITORY; i++) {
      await image(`image${i}`, 'amd64');
      images.push(`image${i}`);
    }
    const indexes: string[] = [];
    for (let i = 0; i < INDEXES_PER_REPOSITORY; i++) {
      const amd = await image(`multi${i}-amd64`, 'amd64');
      const arm = await image(`multi${i}-arm64`, 'arm64', 'v8');
      await client.putManifest(`${base}:multi${i}`, {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...amd,
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...arm,
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      });
      indexes.push(`multi${i}`);
    }
    const repoTags: string[] = [];
    for (let t = 0; t < TAGS_PER_REPOSITORY; t++) {
      const source =
        t % 10 === 0
          ? indexes[(t / 10) % INDEXES_PER_REPOSITORY]
          : images[t % IMAGES_PER_REPOSITORY];
      await client.tagManifest(`${base}:${source}`, `v${t}`);
      repoTags.push(`${base}:v${t}`);
    }
    tags.push(...repoTags);
  });
  return tags;
}

/**
 * The backend ImageResolver's policy, in memory: tag -> digest until the cache is cleared,
 * digest -> metadata for ever, concurrent resolutions of the same digest shared.
 */
class ResolverModel {
  private readonly tagDigests = new Map<string, Promise<string>>();
  private readonly metadata = new Map<string, Promise<ImageDetails>>();
  constructor(private readonly client: OciClient) {}

  async resolve(reference: string): Promise<ImageDetails> {
    let digest = this.tagDigests.get(reference);
    if (!digest) {
      digest = this.client.headManifest(reference).then(h => h.digest);
      this.tagDigests.set(reference, digest);
    }
    const known = await digest;
    let details = this.metadata.get(known);
    if (!details) {
      const [name] = reference.split(/:(?=[^:/]+$)/);
      details = this.client.inspect(`${name}@${known}`, {
        platform: parsePlatform('linux/amd64'),
      });
      this.metadata.set(known, details);
    }
    return details;
  }

  /** What happens when cacheDuration has passed: tag answers expire, metadata stays. */
  expireTags(): void {
    this.tagDigests.clear();
  }
}

/** Replays requests with plain fetch, at the same concurrency: the registry's own capacity. */
async function rawLoad(
  registry: TestRegistry,
  requests: Logged[],
  tokens: Map<string, string>,
): Promise<number> {
  const accept = [
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
  ].join(', ');
  const started = performance.now();
  await pool(requests, CONCURRENCY, async request => {
    const repository =
      /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(request.path)?.[1] ?? '';
    const response = await fetch(`${registry.url}${request.path}`, {
      method: request.method,
      headers: { accept, authorization: `Bearer ${tokens.get(repository)}` },
    });
    await response.arrayBuffer();
    if (response.status !== 200) {
      throw new Error(
        `raw ${request.method} ${request.path}: ${response.status}`,
      );
    }
  });
  return performance.now() - started;
}

function pad(text: string | number, width: number): string {
  return String(text).padEnd(width);
}

async function main() {
  const tokenServer: TokenServer = await startTokenServer({
    users: { [pusher.username]: pusher.password },
    expiresIn: 300,
  });
  const registry = await startRegistry({ tokenAuth: tokenServer.registryAuth });
  try {
    const pushStarted = performance.now();
    const tags = await populate(registry);
    console.log(
      `Populated ${tags.length} tags in ${REPOSITORIES} repositories in ${(
        (performance.now() - pushStarted) /
        1000
      ).toFixed(1)} s (pushed with the client's own writes)\n`,
    );

    const results: Array<{
      cold: number;
      steady: number;
      coldRaw: number;
      steadyRaw: number;
    }> = [];
    let report: string[] = [];
    // the registry's capacity: the client's requests replayed by raw fetch, tokens fetched beforehand
    const rawTokens = new Map<string, string>();
    for (let r = 0; r < REPOSITORIES; r++) {
      const answer = await fetch(
        `${tokenServer.realm}?service=${tokenServer.service}&scope=repository:bench/repo${r}:pull`,
      ).then(res => res.json());
      rawTokens.set(`bench/repo${r}`, answer.token);
    }
    let replay: { cold: Logged[]; steady: Logged[] } | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      // raw and client passes alternate, so that load from elsewhere on the machine hits both
      const coldRaw = replay
        ? await rawLoad(registry, replay.cold, rawTokens)
        : 0;
      const events: RequestEvent[] = [];
      const client = new OciClient({
        maxConcurrency: CONCURRENCY,
        observer: event => events.push(event),
      });
      const model = new ResolverModel(client);
      const tokenMark = tokenServer.requests().length;

      // cold
      let mark = registry.logs().length;
      let started = performance.now();
      await pool(tags, CONCURRENCY, tag => model.resolve(tag));
      const cold = performance.now() - started;
      const coldLog = await settledLog(registry, mark);

      // steady state: the tag answers expired, the metadata kept
      model.expireTags();
      mark = registry.logs().length;
      started = performance.now();
      await pool(tags, CONCURRENCY, tag => model.resolve(tag));
      const steady = performance.now() - started;
      const steadyLog = await settledLog(registry, mark);
      const tokenRequests = tokenServer.requests().slice(tokenMark);

      if (replay) {
        const steadyRaw = await rawLoad(registry, replay.steady, rawTokens);
        results.push({ cold, steady, coldRaw, steadyRaw });
      } else {
        replay = {
          cold: coldLog.filter(l => l.path !== '/v2/' && l.status === 200),
          steady: steadyLog,
        };
      }

      if (round === 0) {
        const count = (log: Logged[], method: string, kind?: string) =>
          log.filter(
            l => l.method === method && (!kind || l.path.includes(`/${kind}/`)),
          ).length;
        const distinct = (log: Logged[], kind: string) =>
          new Set(
            log
              .filter(l => l.method === 'GET' && l.path.includes(`/${kind}/`))
              .map(l => l.path),
          ).size;
        const perScope = new Map<string, number>();
        for (const request of tokenRequests) {
          const scope = request.scopes.join(' ');
          perScope.set(scope, (perScope.get(scope) ?? 0) + 1);
        }
        const manifestGets = count(coldLog, 'GET', 'manifests');
        const blobGets = count(coldLog, 'GET', 'blobs');
        const topLevel = new Set(
          (await Promise.all(tags.map(t => model.resolve(t)))).map(
            d => d.indexDigest ?? d.digest,
          ),
        ).size;
        const images = new Set(
          (await Promise.all(tags.map(t => model.resolve(t)))).map(
            d => d.digest,
          ),
        ).size;
        const indexes = new Set(
          (await Promise.all(tags.map(t => model.resolve(t))))
            .map(d => d.indexDigest)
            .filter(Boolean),
        ).size;
        const coldPerTag = coldLog.length / tags.length;
        const steadyHeads = count(steadyLog, 'HEAD') / tags.length;
        const steadyGets = count(steadyLog, 'GET') / tags.length;
        const maxPerScope = Math.max(...perScope.values());
        figure(
          'Registry requests per tag, cold',
          `${coldPerTag.toFixed(2)} (each digest fetched once: ${
            manifestGets === distinct(coldLog, 'manifests') &&
            blobGets === distinct(coldLog, 'blobs')
              ? 'yes'
              : 'no'
          })`,
          'each digest once; seed exporter: 2-3 GETs + 1-2 token requests per image per hour',
          manifestGets === distinct(coldLog, 'manifests') &&
            blobGets === distinct(coldLog, 'blobs'),
        );
        figure(
          'Registry requests per tag, steady (per cacheDuration, 1 h)',
          `${steadyHeads.toFixed(2)} HEAD, ${steadyGets.toFixed(2)} GET`,
          '1 HEAD, 0 GET (seed: 3-5 requests per image per hour)',
          steadyHeads === 1 && steadyGets === 0,
        );
        figure(
          'Token requests per repository scope',
          `${maxPerScope} max over ${perScope.size} scopes`,
          '<= 1 per scope per token lifetime',
          maxPerScope <= 1,
        );
        report = [
          'Registry requests (from its access log), 1,000 distinct tags:',
          `  ${pad('', 26)}${pad('HEAD', 8)}${pad('GET manifest', 14)}${pad(
            'GET blob',
            10,
          )}${pad('other', 7)}per tag`,
          `  ${pad('cold', 26)}${pad(count(coldLog, 'HEAD'), 8)}${pad(
            manifestGets,
            14,
          )}${pad(blobGets, 10)}${pad(
            coldLog.length - count(coldLog, 'HEAD') - manifestGets - blobGets,
            7,
          )}${(coldLog.length / tags.length).toFixed(3)}`,
          `  ${pad('steady-state re-check', 26)}${pad(
            count(steadyLog, 'HEAD'),
            8,
          )}${pad(count(steadyLog, 'GET', 'manifests'), 14)}${pad(
            count(steadyLog, 'GET', 'blobs'),
            10,
          )}${pad(
            steadyLog.length -
              count(steadyLog, 'HEAD') -
              count(steadyLog, 'GET', 'manifests') -
              count(steadyLog, 'GET', 'blobs'),
            7,
          )}${(steadyLog.length / tags.length).toFixed(3)}`,
          `  cold "other" = the client's one GET /v2/ ping (auth discovery) and nothing else: ${coldLog
            .filter(
              l => l.method !== 'HEAD' && !/\/(manifests|blobs)\//.test(l.path),
            )
            .map(l => `${l.method} ${l.path}`)
            .join(', ')}`,
          `  distinct digests: ${topLevel} tag targets (${indexes} indexes), ${images} image manifests chosen`,
          `  goal cold <= index + manifest + config GETs, each digest once: manifest GETs ${manifestGets} = distinct ${distinct(
            coldLog,
            'manifests',
          )}; blob GETs ${blobGets} = distinct ${distinct(
            coldLog,
            'blobs',
          )}; expected ${topLevel + indexes} manifests and ${images} configs`,
          `  goal steady = 1 HEAD, 0 GET per tag: ${(
            count(steadyLog, 'HEAD') / tags.length
          ).toFixed(3)} HEAD, ${(count(steadyLog, 'GET') / tags.length).toFixed(
            3,
          )} GET per tag`,
          '',
          `Token requests (from the token endpoint's log), cold + steady, ${REPOSITORIES} repositories:`,
          `  total ${tokenRequests.length}; per scope: max ${Math.max(
            ...perScope.values(),
          )}, scopes ${perScope.size}`,
          `  goal <= 1 per repository scope per token lifetime (300 s): ${
            Math.max(...perScope.values()) <= 1 ? 'met' : 'NOT met'
          }`,
          '',
          `Client requests seen by its observer (cold + steady): ${
            events.length
          } (${
            events.filter(e => e.kind === 'token').length
          } to the token endpoint), retries ${
            events.filter(e => e.retry > 0).length
          }, failures ${
            events.filter(
              e => e.kind !== 'ping' && (e.error || (e.status ?? 0) >= 400),
            ).length
          } (the ping's 401 challenge not counted)`,
          '',
        ];
      }
    }
    console.log(report.join('\n'));

    console.log(
      `Throughput at concurrency ${CONCURRENCY} (client with its resolver model vs raw fetch of the same requests), ${
        ROUNDS - 1
      } rounds after a warm-up:`,
    );
    console.log(
      `  ${pad('round', 7)}${pad('cold client', 13)}${pad('cold raw', 10)}${pad(
        'ratio',
        7,
      )}${pad('steady client', 15)}${pad('steady raw', 12)}ratio`,
    );
    results.forEach((r, i) =>
      console.log(
        `  ${pad(i + 1, 7)}${pad(`${r.cold.toFixed(0)} ms`, 13)}${pad(
          `${r.coldRaw.toFixed(0)} ms`,
          10,
        )}${pad((r.coldRaw / r.cold).toFixed(2), 7)}${pad(
          `${r.steady.toFixed(0)} ms`,
          15,
        )}${pad(`${r.steadyRaw.toFixed(0)} ms`, 12)}${(
          r.steadyRaw / r.steady
        ).toFixed(2)}`,
      ),
    );
    const coldRatio = median(results.map(r => r.coldRaw / r.cold));
    const steadyRatio = median(results.map(r => r.steadyRaw / r.steady));
    const best = results[results.length - 1];
    figure(
      'Throughput / registry raw capacity (same requests, same run)',
      `cold ${coldRatio.toFixed(2)}, steady ${steadyRatio.toFixed(2)}`,
      '>= 0.5',
      Math.min(coldRatio, steadyRatio) >= 0.5,
    );
    figure(
      `Tags checked per second, steady (concurrency ${CONCURRENCY})`,
      `${((tags.length / best.steady) * 1000).toFixed(0)} tags/s`,
      'Kargo: 20 requests/s per registry',
    );
    console.log(
      `  median ratio: cold ${coldRatio.toFixed(
        2,
      )}, steady ${steadyRatio.toFixed(2)} (goal >= 0.5); last round: ${(
        (tags.length / best.steady) *
        1000
      ).toFixed(0)} tags/s steady, ${((tags.length / best.cold) * 1000).toFixed(
        0,
      )} tags/s cold`,
    );
  } finally {
    await registry.stop();
    await tokenServer.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
