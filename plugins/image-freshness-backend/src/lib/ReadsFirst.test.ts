import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ReadsFirst } from './ReadsFirst';

/** A server whose `/held` answers only when the test says so; `/quick` at once. */
async function startApp(readsFirst: ReadsFirst) {
  const held: Array<() => void> = [];
  const arrived: string[] = [];
  const app = express();
  app.use(readsFirst.middleware);
  app.all('/held', (req, res) => {
    arrived.push(req.method);
    held.push(() => res.send('done'));
  });
  const server = http.createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** Resolves once the server has `count` held requests. */
    async heldCount(count: number) {
      while (held.length < count) await new Promise(r => setTimeout(r, 5));
    },
    release: () => held.splice(0).forEach(answer => answer()),
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Whether `promise` has settled by the next turn of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true));
  await new Promise(r => setImmediate(r));
  return done;
}

describe('ReadsFirst', () => {
  it('holds a registry request while a read is in flight and lets it go when the read answers', async () => {
    const waits: number[] = [];
    const readsFirst = new ReadsFirst(60_000, s => waits.push(s));
    const app = await startApp(readsFirst);
    try {
      expect(await settled(readsFirst.admit('r.example'))).toBe(true);
      const read = fetch(`${app.url}/held`);
      await app.heldCount(1);
      const admitted = readsFirst.admit('r.example');
      expect(await settled(admitted)).toBe(false);
      app.release();
      expect(await (await read).text()).toBe('done');
      await admitted;
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThan(0);
    } finally {
      await app.stop();
    }
  });

  it('lets a request go after maxWait when reads go on, so registry work is never starved', async () => {
    const readsFirst = new ReadsFirst(30);
    const app = await startApp(readsFirst);
    try {
      const read = fetch(`${app.url}/held`);
      await app.heldCount(1);
      await readsFirst.admit('r.example');
      // let go while the read is still unanswered
      expect(await settled(read)).toBe(false);
      app.release();
      await read;
    } finally {
      await app.stop();
    }
  });

  it('does not count POSTs (the Refresh button) as reads', async () => {
    const readsFirst = new ReadsFirst(60_000);
    const app = await startApp(readsFirst);
    try {
      const write = fetch(`${app.url}/held`, { method: 'POST' });
      await app.heldCount(1);
      expect(await settled(readsFirst.admit('r.example'))).toBe(true);
      app.release();
      await write;
    } finally {
      await app.stop();
    }
  });

  it('stops counting a read whose client left before the answer', async () => {
    const readsFirst = new ReadsFirst(60_000);
    const app = await startApp(readsFirst);
    try {
      const controller = new AbortController();
      const read = fetch(`${app.url}/held`, { signal: controller.signal });
      await app.heldCount(1);
      const admitted = readsFirst.admit('r.example');
      controller.abort();
      await expect(read).rejects.toThrow();
      await admitted;
      expect(await settled(readsFirst.admit('r.example'))).toBe(true);
      app.release();
    } finally {
      await app.stop();
    }
  });

  it('lets a waiting request go when its signal aborts, and does not wait with maxWait 0', async () => {
    const readsFirst = new ReadsFirst(60_000);
    const off = new ReadsFirst(0);
    const app = await startApp(readsFirst);
    const appOff = await startApp(off);
    try {
      const read = fetch(`${app.url}/held`);
      const readOff = fetch(`${appOff.url}/held`);
      await app.heldCount(1);
      await appOff.heldCount(1);
      const controller = new AbortController();
      const admitted = readsFirst.admit('r.example', controller.signal);
      expect(await settled(admitted)).toBe(false);
      controller.abort();
      await admitted;
      expect(await settled(off.admit('r.example'))).toBe(true);
      app.release();
      appOff.release();
      await Promise.all([read, readOff]);
    } finally {
      await app.stop();
      await appOff.stop();
    }
  });
});
