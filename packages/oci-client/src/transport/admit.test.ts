import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { admitLayer } from './admit';
import { httpRoundTrip } from './httpFetch';

jest.setTimeout(30_000);

describe('admitLayer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_req, res) => res.end('ok'));
  });
  afterAll(() => server.stop());

  it('sends nothing until admit lets the attempt go, asked with its registry', async () => {
    let admitNow = () => {};
    const asked: string[] = [];
    const send = admitLayer(registry => {
      asked.push(registry);
      return new Promise<void>(resolve => (admitNow = resolve));
    })(httpRoundTrip({ userAgent: 't' }));
    const before = server.requests.length;

    const answer = send(exchangeFor(`${server.origin}/held`));
    await new Promise(r => setTimeout(r, 50));
    expect(server.requests.length).toBe(before);
    admitNow();
    expect((await answer).status).toBe(200);
    expect(server.requests.slice(before).map(r => r.path)).toEqual(['/held']);
    expect(asked).toEqual([server.host]);
  });

  it("rejects with the signal's reason when it aborts during the wait, and never sends", async () => {
    const controller = new AbortController();
    const send = admitLayer(() => new Promise<void>(() => {}))(
      httpRoundTrip({ userAgent: 't' }),
    );
    const before = server.requests.length;
    const answer = send({
      ...exchangeFor(`${server.origin}/abandoned`),
      signal: controller.signal,
    });
    const reason = new Error('refresh stopped');
    controller.abort(reason);
    await expect(answer).rejects.toBe(reason);
    await new Promise(r => setTimeout(r, 20));
    expect(server.requests.length).toBe(before);
  });

  it('is a no-op without admit', async () => {
    const send = admitLayer(undefined)(httpRoundTrip({ userAgent: 't' }));
    expect((await send(exchangeFor(`${server.origin}/free`))).status).toBe(200);
  });
});
