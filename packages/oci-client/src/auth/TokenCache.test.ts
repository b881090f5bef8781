import { TokenCache } from './TokenCache';

describe('TokenCache', () => {
  it('keeps a token until shortly before it expires, then asks again', async () => {
    let now = 0;
    const cache = new TokenCache({ now: () => now });
    let issued = 0;
    const issue = async () => ({
      token: `t${++issued}`,
      expiresInSeconds: 300,
    });

    expect(await cache.get('k', issue)).toBe('t1');
    now = 269_000; // 300 s minus a 30 s margin is 270 s
    expect(await cache.get('k', issue)).toBe('t1');
    now = 270_000;
    expect(await cache.get('k', issue)).toBe('t2');
    expect(issued).toBe(2);
  });

  it('shares one request among concurrent callers of the same key', async () => {
    const cache = new TokenCache();
    let issued = 0;
    const issue = () =>
      new Promise<{ token: string; expiresInSeconds: number }>(resolve =>
        setTimeout(
          () => resolve({ token: `t${++issued}`, expiresInSeconds: 60 }),
          10,
        ),
      );
    const tokens = await Promise.all(
      [1, 2, 3].map(() => cache.get('k', issue)),
    );
    expect(tokens).toEqual(['t1', 't1', 't1']);
    expect(await cache.get('other', issue)).toBe('t2');
  });

  it('forgets a refused token but not a newer one, and does not cache failures', async () => {
    const cache = new TokenCache();
    let issued = 0;
    const issue = async () => ({ token: `t${++issued}`, expiresInSeconds: 60 });
    await cache.get('k', issue);
    cache.invalidate('k', 'stale');
    expect(await cache.get('k', issue)).toBe('t1');
    cache.invalidate('k', 't1');
    expect(await cache.get('k', issue)).toBe('t2');

    await expect(
      cache.get('f', () => Promise.reject(new Error('down'))),
    ).rejects.toThrow('down');
    expect(await cache.get('f', issue)).toBe('t3');
  });
});
