import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { hostCheckLayer } from './hostCheck';
import { httpRoundTrip } from './httpFetch';
import { observeLayer, RequestEvent } from './observer';
import { redirectLayer } from './redirects';
import { TransportFailure } from './roundTrip';

jest.setTimeout(30_000);

describe('redirectLayer', () => {
  let registry: TestServer;
  let storage: TestServer;
  let events: RequestEvent[];
  const stack = (options: Parameters<typeof redirectLayer>[0]) =>
    redirectLayer(options)(
      observeLayer(event => events.push(event))(
        httpRoundTrip({ userAgent: 't' }),
      ),
    );
  const loopback = {
    allowsPlainHttp: (host: string) => host.startsWith('127.'),
  };

  beforeAll(async () => {
    storage = await startServer((_req, res) => res.end('stored'));
    registry = await startServer((req, res) => {
      const path = req.url ?? '';
      if (path === '/away') {
        res.writeHead(307, { location: `${storage.origin}/blob` }).end();
      } else if (path === '/here') {
        res.writeHead(302, { location: '/final' }).end();
      } else if (path.startsWith('/loop')) {
        res.writeHead(301, { location: `/loop${path.length}` }).end();
      } else if (path === '/insecure') {
        res.writeHead(302, { location: 'http://10.255.255.1/x' }).end();
      } else {
        res.end('final');
      }
    });
  });
  beforeEach(() => {
    events = [];
    registry.requests.length = 0;
    storage.requests.length = 0;
  });
  afterAll(async () => {
    await registry.stop();
    await storage.stop();
  });

  it('follows a redirect to another origin without Authorization, each hop observed', async () => {
    const answer = await stack(loopback)(
      exchangeFor(`${registry.origin}/away`, {
        headers: { authorization: 'Bearer secret', accept: 'a/b' },
      }),
    );
    expect(answer).toMatchObject({
      status: 200,
      url: `${storage.origin}/blob`,
    });
    expect(answer.body.toString()).toBe('stored');
    expect(registry.requests[0].headers.authorization).toBe('Bearer secret');
    expect(storage.requests[0].headers.authorization).toBeUndefined();
    expect(storage.requests[0].headers.accept).toBe('a/b');
    expect(events.map(e => [e.host, e.status, e.redirected])).toEqual([
      [registry.host, 307, false],
      [storage.host, 200, true],
    ]);
  });

  it('keeps Authorization on the same origin', async () => {
    await stack(loopback)(
      exchangeFor(`${registry.origin}/here`, {
        headers: { authorization: 'Bearer secret' },
      }),
    );
    expect(
      registry.requests.map(r => [r.path, r.headers.authorization]),
    ).toEqual([
      ['/here', 'Bearer secret'],
      ['/final', 'Bearer secret'],
    ]);
  });

  it('does not follow redirects of writes', async () => {
    const answer = await stack(loopback)(
      exchangeFor(`${registry.origin}/here`, { method: 'POST' }),
    );
    expect(answer.status).toBe(302);
    expect(registry.requests).toHaveLength(1);
  });

  it('gives up after five redirects', async () => {
    const error = await stack(loopback)(
      exchangeFor(`${registry.origin}/loop`),
    ).catch(e => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect(error).toMatchObject({
      code: 'SERVER_ERROR',
      retryable: false,
      detail: 'more than 5 redirects',
    });
    expect(registry.requests).toHaveLength(6);
  });

  it('refuses a redirect to plain HTTP elsewhere, naming a blocked host as such', async () => {
    const refused = await stack(loopback)(
      exchangeFor(`${registry.origin}/insecure`),
    ).catch(e => e);
    expect(refused).toMatchObject({
      code: 'SERVER_ERROR',
      server: registry.host,
      detail: 'a redirect to http://10.255.255.1, which is not HTTPS; refused',
    });

    const blocked = new Error('metadata address');
    const checkHost = (host: string) => {
      if (host === '10.255.255.1') throw blocked;
    };
    const named = await redirectLayer({ ...loopback, checkHost })(
      hostCheckLayer(checkHost)(httpRoundTrip({ userAgent: 't' })),
    )(exchangeFor(`${registry.origin}/insecure`)).catch(e => e);
    expect(named).toMatchObject({ code: 'BLOCKED_HOST', passOn: blocked });
  });
});
