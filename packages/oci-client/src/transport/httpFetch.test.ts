import {
  exchangeFor,
  stall,
  startServer,
  TestServer,
} from '../testing/httpServer';
import { httpRoundTrip } from './httpFetch';
import { TransportFailure } from './roundTrip';
import { AttemptTimeout } from './timeout';

jest.setTimeout(30_000);

describe('httpRoundTrip (the innermost layer)', () => {
  const send = httpRoundTrip({ userAgent: 'test-agent' });
  let server: TestServer;
  afterEach(() => server?.stop());

  it('sends one request with the user agent and reads the answer, not following redirects', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' }).end('see elsewhere');
        return;
      }
      res.writeHead(200, { 'x-seen': String(req.headers.accept) }).end('hello');
    });
    const answer = await send(
      exchangeFor(`${server.origin}/a`, { headers: { accept: 'x/y' } }),
    );
    expect(answer).toMatchObject({ status: 200, url: `${server.origin}/a` });
    expect(answer.body.toString()).toBe('hello');
    expect(answer.headers.get('x-seen')).toBe('x/y');
    expect(server.requests[0].headers['user-agent']).toBe('test-agent');

    const moved = await send(exchangeFor(`${server.origin}/moved`));
    expect(moved.status).toBe(302);
    expect(server.requests.map(r => r.path)).toEqual(['/a', '/moved']);
  });

  it('keeps the connection open after HEAD requests, reads no HEAD body, and joins repeated headers', async () => {
    server = await startServer((req, res) => {
      res.setHeader('docker-content-digest', `sha256:${req.url?.slice(1)}`);
      res.setHeader('x-repeated', ['a', 'b']);
      res.writeHead(200, { 'content-length': '5' }).end('hello');
    });
    const answers = [];
    for (let n = 1; n <= 10; n++) {
      answers.push(
        await send(exchangeFor(`${server.origin}/${n}`, { method: 'HEAD' })),
      );
    }
    expect(answers.map(a => a.headers.get('docker-content-digest'))).toEqual(
      [...Array(10).keys()].map(n => `sha256:${n + 1}`),
    );
    expect(answers.every(a => a.body.length === 0)).toBe(true);
    expect(answers[0].headers.get('x-repeated')).toBe('a, b');
    // closed after each HEAD (undici's default) it would be 10; a HEAD's
    // answer resolves before its connection is free again, so the next
    // request may open a second one
    expect(server.requests).toHaveLength(10);
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('keeps at most 64 KiB of an error body, and resolves with any status', async () => {
    server = await startServer((_req, res) =>
      res.writeHead(500).end('x'.repeat(100 * 1024)),
    );
    const answer = await send(exchangeFor(`${server.origin}/`));
    expect(answer.status).toBe(500);
    expect(answer.body.length).toBe(64 * 1024);
  });

  it('refuses a body over the cap, declared or streamed, as TOO_LARGE without retry', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': '5000' }).end('y'.repeat(5000));
      } else {
        res.writeHead(200);
        res.write('y'.repeat(3000));
        res.end('y'.repeat(3000));
      }
    });
    for (const [path, detail] of [
      ['/declared', '5000 bytes declared, over the 2000 byte limit'],
      ['/streamed', 'more than the 2000 byte limit'],
    ]) {
      const error = await send(
        exchangeFor(`${server.origin}${path}`, { maxBytes: 2000 }),
      ).catch(e => e);
      expect(error).toBeInstanceOf(TransportFailure);
      expect(error).toMatchObject({
        code: 'TOO_LARGE',
        retryable: false,
        detail,
        server: server.host,
      });
    }
  });

  it('classifies a reset connection as a retryable SERVER_ERROR', async () => {
    server = await startServer(req => req.socket.destroy());
    const error = await send(exchangeFor(`${server.origin}/`)).catch(e => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect(error).toMatchObject({ code: 'SERVER_ERROR', retryable: true });
  });

  it('classifies the attempt timeout as TIMEOUT, and passes a caller abort on as its reason', async () => {
    server = await startServer(stall);
    const timeout = new AbortController();
    const timedOut = send(
      exchangeFor(`${server.origin}/`, { signal: timeout.signal }),
    ).catch(e => e);
    await server.received(1);
    timeout.abort(new AttemptTimeout(123));
    expect(await timedOut).toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
      timeoutMs: 123,
    });

    const caller = new AbortController();
    const aborted = send(
      exchangeFor(`${server.origin}/`, { signal: caller.signal }),
    ).catch(e => e);
    await server.received(2);
    caller.abort();
    const error = await aborted;
    expect(error).not.toBeInstanceOf(TransportFailure);
    expect(error.name).toBe('AbortError');
  });
});
