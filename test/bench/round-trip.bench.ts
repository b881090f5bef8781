/*
 * Benchmark of oci-client's innermost round trip (not a test: it prints
 * figures and ratios and never fails on time).
 *
 *   yarn workspace @internal/test bench:round-trip   (needs the Debian docker-registry)
 *
 * The same client calls (a HEAD of a tag, a GET of a manifest by digest) to a
 * real registry, 8 at a time, through the client's default round trip
 * (undici's `request`) and through the `fetch` option given undici's `fetch`
 * on an agent kept open after HEADs (what the client used before, the
 * baseline). Rounds alternate between the two in one process, after a warm-up
 * of each. Measured: the process's CPU time per request (the client's cost;
 * the registry runs in a process of its own, at nice 19) and wall time per
 * request.
 */
import { keepAliveAfterHead, OciClient } from 'oci-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { performance } from 'node:perf_hooks';
import { startRegistry } from '../harness/registry';
import { median, pool, pushImageSet } from '../harness/scale';
import { recordFigure } from './results';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 8;

type Call = 'HEAD' | 'GET';

async function main() {
  const registry = await startRegistry({ lowPriority: true });
  try {
    const images = await pushImageSet(registry.url, registry.host, {
      count: 50,
      repositories: 5,
    });
    const agent = new Agent().compose(keepAliveAfterHead);
    const clients = {
      // the baseline: every exchange through undici's fetch
      fetch: new OciClient({
        fetch: ((url: string, init: RequestInit) =>
          undiciFetch(url, {
            ...(init as object),
            dispatcher: agent,
          })) as unknown as typeof fetch,
      }),
      request: new OciClient(),
    };
    type Variant = keyof typeof clients;

    /** CPU and wall ms per request for `REQUESTS` calls of one kind. */
    const measure = async (variant: Variant, call: Call) => {
      const client = clients[variant];
      const cpu = process.cpuUsage();
      const start = performance.now();
      await pool([...Array(REQUESTS).keys()], CONCURRENCY, async i => {
        const image = images[i % images.length];
        if (call === 'HEAD') {
          await client.headManifest(image.ref);
        } else {
          await client.getManifest(
            `${registry.host}/${image.repository}@${image.digest}`,
          );
        }
      });
      const used = process.cpuUsage(cpu);
      return {
        cpuMs: (used.user + used.system) / 1000 / REQUESTS,
        wallMs: (performance.now() - start) / REQUESTS,
      };
    };

    const samples = new Map<string, Array<{ cpuMs: number; wallMs: number }>>();
    for (const variant of ['fetch', 'request'] as const) {
      await measure(variant, 'HEAD'); // warm-up
      await measure(variant, 'GET');
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of ['fetch', 'request'] as const) {
        for (const call of ['HEAD', 'GET'] as const) {
          const key = `${variant} ${call}`;
          samples.set(key, [
            ...(samples.get(key) ?? []),
            await measure(variant, call),
          ]);
        }
      }
    }
    await agent.close();

    const of = (variant: Variant, call: Call) => {
      const all = samples.get(`${variant} ${call}`)!;
      return {
        cpuMs: median(all.map(s => s.cpuMs)),
        wallMs: median(all.map(s => s.wallMs)),
      };
    };
    console.log(
      `\n== oci-client round trip (${REQUESTS} requests, ${CONCURRENCY} at a time, median of ${ROUNDS} rounds)`,
    );
    console.log(
      'call | fetch CPU | request CPU | request / fetch | fetch wall | request wall',
    );
    for (const call of ['HEAD', 'GET'] as const) {
      const baseline = of('fetch', call);
      const current = of('request', call);
      const ratio = current.cpuMs / baseline.cpuMs;
      console.log(
        `${call.padEnd(4)} | ${baseline.cpuMs.toFixed(
          3,
        )} ms | ${current.cpuMs.toFixed(3)} ms | ${ratio.toFixed(
          2,
        )} | ${baseline.wallMs.toFixed(3)} ms | ${current.wallMs.toFixed(
          3,
        )} ms`,
      );
      recordFigure({
        bench: 'round-trip',
        measure: `oci-client CPU per ${call}, undici request (fetch the baseline, same run)`,
        value: `${current.cpuMs.toFixed(3)} ms (${ratio.toFixed(
          2,
        )}x fetch's ${baseline.cpuMs.toFixed(3)} ms)`,
        goal: 'comparison',
      });
    }
  } finally {
    await registry.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
