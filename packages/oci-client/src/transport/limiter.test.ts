import { HostLimiter } from './limiter';

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
