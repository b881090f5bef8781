import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { hostCheckLayer } from './hostCheck';
import { httpRoundTrip } from './httpFetch';
import { TransportFailure } from './roundTrip';

jest.setTimeout(30_000);

describe('hostCheckLayer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_req, res) => res.end('ok'));
  });
  afterAll(() => server.stop());

  it('asks before each exchange and refuses a host without contacting it, passing the refusal on', async () => {
    const asked: string[] = [];
    const blocked = new Error('not that one');
    const send = hostCheckLayer(async host => {
      asked.push(host);
      if (host.startsWith('localhost')) throw blocked;
    })(httpRoundTrip({ userAgent: 't' }));

    expect((await send(exchangeFor(`${server.origin}/a`))).status).toBe(200);
    const port = new URL(server.origin).port;
    const error = await send(exchangeFor(`http://localhost:${port}/b`)).catch(
      e => e,
    );
    expect(error).toBeInstanceOf(TransportFailure);
    expect(error).toMatchObject({
      code: 'BLOCKED_HOST',
      retryable: false,
      passOn: blocked,
      server: `localhost:${port}`,
    });
    expect(asked).toEqual([server.host, `localhost:${port}`]);
    expect(server.requests.map(r => r.path)).toEqual(['/a']);
  });

  it('is a no-op without checkHost', async () => {
    const send = hostCheckLayer(undefined)(httpRoundTrip({ userAgent: 't' }));
    expect((await send(exchangeFor(`${server.origin}/c`))).status).toBe(200);
  });
});
