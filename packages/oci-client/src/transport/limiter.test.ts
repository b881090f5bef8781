import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { httpRoundTrip } from './httpFetch';
import { HostLimiter, limitLayer } from './limiter';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('HostLimiter', () => {
  it('runs at most maxConcurrency tasks per host at once, other hosts unaffected', async () => {
    const limiter = new HostLimiter({
      maxConcurrency: host => (host === 'a' ? 2 : undefined),
      requestsPerSecond: () => undefined,
    });
    const active: Record<string, number> = { a: 0, b: 0 };
    const peak: Record<string, number> = { a: 0, b: 0 };
    const task = (host: string) =>
      limiter.run(host, async () => {
        active[host]++;
        peak[host] = Math.max(peak[host], active[host]);
        await sleep(10);
        active[host]--;
      });
    await Promise.all([
      ...Array.from({ length: 6 }, () => task('a')),
      ...Array.from({ length: 6 }, () => task('b')),
    ]);
    expect(peak).toEqual({ a: 2, b: 6 });
  });

  it('spaces starts 1/rate apart', async () => {
    const limiter = new HostLimiter({
      maxConcurrency: () => undefined,
      requestsPerSecond: () => 50,
    });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, () =>
        limiter.run('a', async () => starts.push(Date.now())),
      ),
    );
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15); // 20 ms apart, timer slack allowed
    expect(starts[4] - starts[0]).toBeGreaterThanOrEqual(75);
  });
});

describe('HostLimiter and aborts', () => {
  it('drops an aborted waiter from the queue at once, and the next waiter still gets the slot', async () => {
    const limiter = new HostLimiter({
      maxConcurrency: () => 1,
      requestsPerSecond: () => undefined,
    });
    let release = () => {};
    const first = limiter.run(
      'a',
      () => new Promise<void>(resolve => (release = resolve)),
    );
    const controller = new AbortController();
    let ran = false;
    const aborted = limiter
      .run(
        'a',
        async () => {
          ran = true;
        },
        controller.signal,
      )
      .catch(e => e);
    const third = limiter.run('a', async () => 'third');
    controller.abort();
    expect((await aborted).name).toBe('AbortError');
    release();
    await first;
    expect(await third).toBe('third');
    expect(ran).toBe(false);
  });

  it('ends a wait for the rate at once when aborted', async () => {
    const limiter = new HostLimiter({
      maxConcurrency: () => undefined,
      requestsPerSecond: () => 0.1, // one start per 10 s
    });
    await limiter.run('a', async () => undefined);
    const controller = new AbortController();
    const started = performance.now();
    const waiting = limiter
      .run('a', async () => 'ran', controller.signal)
      .catch(e => e);
    setTimeout(() => controller.abort(), 50);
    expect((await waiting).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('limitLayer', () => {
  let server: TestServer;
  afterEach(() => server?.stop());

  it('holds a slot per host for each exchange, against a real server', async () => {
    let peak = 0;
    server = await startServer((_req, res) => {
      peak = Math.max(peak, server.active());
      setTimeout(() => res.end('ok'), 30);
    });
    const limiter = new HostLimiter({
      maxConcurrency: host => (host === 'limited' ? 2 : undefined),
      requestsPerSecond: () => undefined,
    });
    const send = limitLayer(
      limiter,
      exchange => exchange.registry,
    )(httpRoundTrip({ userAgent: 't' }));
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(exchangeFor(`${server.origin}/${i}`, { registry: 'limited' })),
      ),
    );
    expect(peak).toBe(2);
    expect(server.requests).toHaveLength(6);
  });
});
