import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { httpRoundTrip } from './httpFetch';
import { observeLayer, RequestEvent } from './observer';

jest.setTimeout(30_000);

describe('observeLayer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.url === '/reset') req.socket.destroy();
      else res.writeHead(req.url === '/missing' ? 404 : 200).end('body');
    });
  });
  afterAll(() => server.stop());

  it('reports each exchange: host, method, kind, status or error class, duration, retry, redirect', async () => {
    const events: RequestEvent[] = [];
    const send = observeLayer(event => events.push(event))(
      httpRoundTrip({ userAgent: 't' }),
    );
    await send(
      exchangeFor(`${server.origin}/ok`, {
        registry: 'reg.example',
        method: 'HEAD',
        kind: 'blob',
        retry: 2,
        redirected: true,
      }),
    );
    await send(exchangeFor(`${server.origin}/missing`, { kind: 'tags' }));
    await send(exchangeFor(`${server.origin}/reset`)).catch(() => undefined);

    expect(events).toEqual([
      {
        registry: 'reg.example',
        host: server.host,
        method: 'HEAD',
        kind: 'blob',
        status: 200,
        error: undefined,
        durationMs: expect.any(Number),
        retry: 2,
        redirected: true,
      },
      expect.objectContaining({ kind: 'tags', status: 404, retry: 0 }),
      expect.objectContaining({ status: undefined, error: 'SERVER_ERROR' }),
    ]);
    expect(events.every(e => e.durationMs > 0)).toBe(true);
  });

  it('does not fail a request when the observer throws', async () => {
    const send = observeLayer(() => {
      throw new Error('broken metrics');
    })(httpRoundTrip({ userAgent: 't' }));
    expect((await send(exchangeFor(`${server.origin}/ok`))).status).toBe(200);
  });
});
