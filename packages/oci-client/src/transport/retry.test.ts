import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { httpRoundTrip } from './httpFetch';
import {
  backoffDelay,
  parseRetryAfter,
  retryLayer,
  retryPolicy,
} from './retry';
import { TransportFailure } from './roundTrip';

jest.setTimeout(30_000);

describe('retry', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially between half and all of the ceiling, capped', () => {
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(backoffDelay(policy, 0, () => 0)).toBe(50);
    expect(backoffDelay(policy, 0, () => 1)).toBe(100);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(300);
    expect(backoffDelay(policy, 10, () => 1)).toBe(1000);
  });
});

describe('retryLayer', () => {
  let server: TestServer;
  /** Statuses (or 'reset') answered in turn, then 200. */
  async function serve(script: Array<number | 'reset'>, retryAfter?: string) {
    server = await startServer((req, res) => {
      const step = script[server.requests.length - 1];
      if (step === 'reset') {
        req.socket.destroy();
      } else if (step) {
        res
          .writeHead(step, retryAfter ? { 'retry-after': retryAfter } : {})
          .end();
      } else {
        res.end('ok');
      }
    });
  }
  const send = (options: Parameters<typeof retryPolicy>[0] = {}) =>
    retryLayer(retryPolicy({ baseDelayMs: 5, ...options }))(
      httpRoundTrip({ userAgent: 't' }),
    );
  afterEach(() => server?.stop());

  it('retries 429, 502, 503, 504 and network errors for GET, numbering the attempts', async () => {
    await serve([429, 502, 'reset', 503, 504]);
    const seen: number[] = [];
    const answer = await retryLayer(
      retryPolicy({ retries: 5, baseDelayMs: 5 }),
    )(async exchange => {
      seen.push(exchange.retry);
      return httpRoundTrip({ userAgent: 't' })(exchange);
    })(exchangeFor(`${server.origin}/`));
    expect(answer).toMatchObject({ status: 200, retries: 5 });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('waits what Retry-After says', async () => {
    await serve([503], '1');
    const answer = await send()(exchangeFor(`${server.origin}/`));
    expect(answer.status).toBe(200);
    expect(
      server.requests[1].at - server.requests[0].at,
    ).toBeGreaterThanOrEqual(950);
  });

  it('returns at once an answer whose Retry-After is longer than the client waits', async () => {
    await serve([429, 429], '3600');
    const answer = await send()(exchangeFor(`${server.origin}/`));
    expect(answer).toMatchObject({ status: 429, retries: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the retries, counting them, and never retries writes, 500 or 404', async () => {
    await serve(['reset', 'reset', 'reset']);
    const error = await send({ retries: 2 })(
      exchangeFor(`${server.origin}/`),
    ).catch(e => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect(error).toMatchObject({ code: 'SERVER_ERROR', retries: 2 });
    await server.stop();

    await serve([503, 503]);
    expect(
      await send()(exchangeFor(`${server.origin}/`, { method: 'PUT' })),
    ).toMatchObject({ status: 503, retries: 0 });
    await server.stop();

    for (const status of [500, 404]) {
      await serve([status]);
      expect(await send()(exchangeFor(`${server.origin}/`))).toMatchObject({
        status,
        retries: 0,
      });
      await server.stop();
    }
  });

  it('ends a backoff wait at once when the caller aborts, with no further request', async () => {
    await serve([503], '30');
    const controller = new AbortController();
    const pending = send()(
      exchangeFor(`${server.origin}/`, { signal: controller.signal }),
    ).catch(e => e);
    await server.received(1);
    const started = performance.now();
    controller.abort();
    expect((await pending).name).toBe('AbortError');
    // long before the 30 s Retry-After would have ended it, however loaded the machine
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(server.requests).toHaveLength(1);
  });
});
