import {
  exchangeFor,
  stall,
  startServer,
  TestServer,
} from '../testing/httpServer';
import { httpRoundTrip } from './httpFetch';
import { TransportFailure } from './roundTrip';
import { timeoutLayer } from './timeout';

jest.setTimeout(30_000);

describe('timeoutLayer', () => {
  const send = timeoutLayer(registry =>
    registry.startsWith('127.') ? 150 : 1,
  )(httpRoundTrip({ userAgent: 'test' }));
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.url === '/fast') res.end('ok');
      else if (req.url === '/slow-body') {
        res.writeHead(200);
        res.write('part');
      } else stall();
    });
  });
  afterAll(() => server.stop());

  it('lets an answer within the limit through', async () => {
    const answer = await send(exchangeFor(`${server.origin}/fast`));
    expect(answer.body.toString()).toBe('ok');
  });

  it('fails an attempt that gets no answer, or no whole body, within the registry’s limit', async () => {
    for (const path of ['/stall', '/slow-body']) {
      const started = performance.now();
      const error = await send(exchangeFor(`${server.origin}${path}`)).catch(
        e => e,
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      expect(error).toBeInstanceOf(TransportFailure);
      expect(error).toMatchObject({
        code: 'TIMEOUT',
        retryable: true,
        timeoutMs: 150,
      });
    }
  });

  it('ends the attempt at once when the caller aborts, with the caller’s reason', async () => {
    const slow = timeoutLayer(() => 60_000)(httpRoundTrip({ userAgent: 't' }));
    const caller = new AbortController();
    const before = server.requests.length;
    const pending = slow(
      exchangeFor(`${server.origin}/stall`, { signal: caller.signal }),
    ).catch(e => e);
    await server.received(before + 1);
    const reason = new Error('shutting down');
    caller.abort(reason);
    expect(await pending).toBe(reason);
  });
});
