/**
 * Aborting an OciClient call: every public method takes `{ signal }`; an
 * abort ends the request in flight, a retry's wait or a wait for a slot at
 * once, and no further request reaches the registry.
 */
import { OciClient } from './client';
import { stall, startServer, TestServer } from './testing/httpServer';

jest.setTimeout(30_000);

/**
 * Each wait cut short here would last 20 s or more (the client timeout, a 30 s
 * Retry-After, a held slot); ending in half of that proves the abort ended it,
 * on a machine of any speed.
 */
const HALF_THE_WAIT_MS = 10_000;

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('aborting OciClient calls', () => {
  let registry: TestServer;
  /** How the registry answers everything but the ping. */
  let answer: (res: import('node:http').ServerResponse) => void;

  beforeEach(async () => {
    answer = stall;
    registry = await startServer((req, res) => {
      if (req.url === '/v2/') res.end('{}');
      else answer(res);
    });
  });
  afterEach(() => registry.stop());

  const ref = () => `${registry.host}/app:v1`;
  const client = () =>
    new OciClient({ retry: { retries: 3, baseDelayMs: 1 }, timeoutMs: 20_000 });

  /** Every public method, called with the signal. */
  const calls: Array<
    [string, (c: OciClient, signal: AbortSignal) => Promise<unknown>]
  > = [
    ['headManifest', (c, signal) => c.headManifest(ref(), { signal })],
    ['getManifest', (c, signal) => c.getManifest(ref(), { signal })],
    ['inspect', (c, signal) => c.inspect(ref(), { signal })],
    ['getBlob', (c, signal) => c.getBlob(ref(), DIGEST, { signal })],
    ['getJsonBlob', (c, signal) => c.getJsonBlob(ref(), DIGEST, { signal })],
    ['listTags', (c, signal) => c.listTags(ref(), { signal })],
    [
      'listRepositories',
      (c, signal) => c.listRepositories(registry.host, { signal }),
    ],
    ['blobExists', (c, signal) => c.blobExists(ref(), DIGEST, { signal })],
    [
      'uploadBlob',
      (c, signal) => c.uploadBlob(ref(), Buffer.from('x'), { signal }),
    ],
    [
      'mountBlob',
      (c, signal) => c.mountBlob(ref(), DIGEST, 'other', { signal }),
    ],
    [
      'putManifest',
      (c, signal) =>
        c.putManifest(ref(), { mediaType: 'x', schemaVersion: 2 }, undefined, {
          signal,
        }),
    ],
    ['tagManifest', (c, signal) => c.tagManifest(ref(), 'v2', { signal })],
    [
      'deleteManifest',
      (c, signal) => c.deleteManifest(`${ref()}@${DIGEST}`, { signal }),
    ],
  ];
  it.each(calls)(
    '%s stops a stalled request at once, and nothing more reaches the registry',
    async (_name, call) => {
      const controller = new AbortController();
      const pending = call(client(), controller.signal).catch(e => e);
      await registry.received(2); // the ping, then the stalled request
      setTimeout(() => controller.abort(), 100);
      const started = performance.now();
      const error = (await pending) as Error;
      expect(performance.now() - started).toBeLessThan(HALF_THE_WAIT_MS);
      expect(error.name).toBe('AbortError');
      expect(error.message).toMatch(/aborted/);
      // the stalled connection is closed by the client, and no retry follows
      await waitFor(() => registry.active() === 0);
      expect(registry.requests).toHaveLength(2);
    },
  );

  it('ends a retry backoff wait at once', async () => {
    answer = res => res.writeHead(503, { 'retry-after': '30' }).end();
    const controller = new AbortController();
    const pending = client()
      .headManifest(ref(), { signal: controller.signal })
      .catch(e => e);
    await registry.received(2);
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    expect((await pending).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(HALF_THE_WAIT_MS);
    expect(registry.requests).toHaveLength(2);
  });

  it('ends a wait for a free slot at once, without the request ever being sent', async () => {
    const limited = new OciClient({ maxConcurrency: 1, timeoutMs: 20_000 });
    const first = new AbortController();
    const holding = limited
      .headManifest(ref(), { signal: first.signal })
      .catch(e => e);
    await registry.received(2);
    const second = new AbortController();
    const queued = limited
      .headManifest(`${registry.host}/app:v2`, { signal: second.signal })
      .catch(e => e);
    setTimeout(() => second.abort(), 100);
    const started = performance.now();
    expect((await queued).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(HALF_THE_WAIT_MS);
    first.abort();
    expect((await holding).name).toBe('AbortError');
    await waitFor(() => registry.active() === 0);
    expect(registry.requests.map(r => r.path)).toEqual([
      '/v2/',
      '/v2/app/manifests/v1',
    ]);
  });

  it('does not fail a caller sharing the request when another aborts', async () => {
    answer = res =>
      setTimeout(
        () => res.writeHead(200, { 'docker-content-digest': DIGEST }).end(),
        300,
      );
    const shared = client();
    const controller = new AbortController();
    const aborted = shared
      .headManifest(ref(), { signal: controller.signal })
      .catch(e => e);
    const kept = shared.headManifest(ref());
    await registry.received(2);
    controller.abort();
    expect((await aborted).name).toBe('AbortError');
    expect((await kept).digest).toBe(DIGEST);
    expect(registry.requests).toHaveLength(2);
  });
});

/** Polls until `condition` holds (an outcome, not a fixed sleep); fails after 10 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met');
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
