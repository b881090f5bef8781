import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestPriority } from './requestPriority';
import { runWorkLoop } from './workLoop';

const NOW = new Date('2026-12-07T10:00:00Z');
/** Long enough that a test waiting for a request never runs into it on a loaded machine. */
const LONG_PAUSE_MS = 60_000;

/**
 * A real HTTP server with the priority's middleware and one route that
 * answers when the test says so.
 */
async function serve(priority: RequestPriority) {
  const held: Array<() => void> = [];
  const arrived: Array<() => void> = [];
  const app = express();
  app.use(priority.middleware);
  app.get('/held', (_req, res) => {
    held.push(() => res.json({ ok: true }));
    arrived.splice(0).forEach(notify => notify());
  });
  const server = http.createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** Sends a request and answers once the route holds it, with a way to end it from the client's side. */
    async hold() {
      const inRoute = new Promise<void>(resolve => arrived.push(resolve));
      const request = http.get(`http://127.0.0.1:${port}/held`);
      const answered = new Promise<number>((resolve, reject) => {
        request.on('response', res => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        request.on('error', reject);
      });
      answered.catch(() => {}); // an aborted request's error is expected
      await inRoute;
      return { answered, abort: () => request.destroy() };
    },
    /** Answers the oldest held request. */
    answer() {
      held.shift()!();
    },
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

type Served = Awaited<ReturnType<typeof serve>>;

/** Runs `test` against a server with a priority of `maxPauseMs`, closing it after. */
async function withServer(
  maxPauseMs: number,
  test: (server: Served, priority: RequestPriority) => Promise<void>,
) {
  const priority = new RequestPriority(maxPauseMs);
  const server = await serve(priority);
  try {
    await test(server, priority);
  } finally {
    await server.close();
  }
}

/** Settles `promise` against the event loop's next few turns: whether it resolved by then. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  for (let i = 0; i < 5; i++) {
    await new Promise(resolve => setImmediate(resolve));
  }
  return settled;
}

/** Resolves once `priority` counts `count` requests in flight. */
async function inFlight(priority: RequestPriority, count: number) {
  while (priority.requestsInFlight !== count) {
    await new Promise(resolve => setImmediate(resolve));
  }
}

describe('RequestPriority', () => {
  it('lets background work on at the next turn when no request is in flight', async () => {
    const priority = new RequestPriority(LONG_PAUSE_MS);
    expect(await settledSoon(priority.yieldPoint())).toBe(true);
  });

  it('holds background work while a request is in flight, and lets it on once the answer is sent', () =>
    withServer(LONG_PAUSE_MS, async (server, priority) => {
      const request = await server.hold();
      expect(priority.requestsInFlight).toBe(1);
      const waiting = priority.yieldPoint();
      expect(await settledSoon(waiting)).toBe(false);
      server.answer();
      await waiting;
      expect(await request.answered).toBe(200);
      expect(priority.requestsInFlight).toBe(0);
    }));

  it('waits for the last of several requests', () =>
    withServer(LONG_PAUSE_MS, async (server, priority) => {
      const first = await server.hold();
      const second = await server.hold();
      const waiting = priority.yieldPoint();
      server.answer();
      await first.answered;
      expect(await settledSoon(waiting)).toBe(false);
      server.answer();
      await waiting;
      await second.answered;
    }));

  it('counts a request the client gave up on as ended', () =>
    withServer(LONG_PAUSE_MS, async (server, priority) => {
      const request = await server.hold();
      const waiting = priority.yieldPoint();
      expect(await settledSoon(waiting)).toBe(false);
      request.abort();
      await waiting;
      await inFlight(priority, 0);
      // the route answers the closed connection later: counted once only
      server.answer();
      await settledSoon(Promise.resolve());
      expect(priority.requestsInFlight).toBe(0);
    }));

  it('waits at most its pause, so requests without end never stop background work', () =>
    withServer(50, async (server, priority) => {
      await server.hold();
      await priority.yieldPoint();
      expect(priority.requestsInFlight).toBe(1);
      // the timed-out waiter is gone: the answer releases nothing twice
      server.answer();
      await inFlight(priority, 0);
    }));

  it('with no pause, only yields the turn', () =>
    withServer(0, async (server, priority) => {
      await server.hold();
      expect(await settledSoon(priority.yieldPoint())).toBe(true);
      server.answer();
    }));

  it('starts no work-loop item while a request is in flight', () =>
    withServer(LONG_PAUSE_MS, async (server, priority) => {
      await server.hold();
      const started: string[] = [];
      const run = runWorkLoop({
        listDue: async () => ['a', 'b'],
        process: async item => {
          started.push(item);
        },
        batchSize: 10,
        concurrency: 2,
        yieldPoint: priority.yieldPoint,
        now: () => NOW,
      });
      expect(await settledSoon(run)).toBe(false);
      expect(started).toEqual([]);
      server.answer();
      expect(await run).toMatchObject({ processed: 2, failed: 0 });
      expect(started.sort()).toEqual(['a', 'b']);
    }));
});
