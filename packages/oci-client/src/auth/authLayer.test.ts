import { exchangeFor, startServer, TestServer } from '../testing/httpServer';
import { hostCheckLayer } from '../transport/hostCheck';
import { httpRoundTrip } from '../transport/httpFetch';
import { observeLayer, RequestEvent } from '../transport/observer';
import { retryLayer, retryPolicy } from '../transport/retry';
import { compose, Exchange, RoundTrip } from '../transport/roundTrip';
import { Authenticator } from './Authenticator';
import { authLayer } from './authLayer';
import { staticCredentials } from './credentials';
import { TokenCache } from './TokenCache';

jest.setTimeout(30_000);

describe('authLayer (the bearer-challenge flow)', () => {
  let registry: TestServer;
  let issued = 0;
  /** Tokens the registry accepts; a test may revoke them. */
  const valid = new Set<string>();
  let stallTokens = false;
  let events: RequestEvent[];

  beforeAll(async () => {
    registry = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', registry.origin);
      const challenge = (scope?: string) =>
        `Bearer realm="${registry.origin}/token",service="svc"${
          scope ? `,scope="${scope}"` : ''
        }`;
      if (url.pathname === '/token') {
        if (stallTokens) return;
        const token = `t-${++issued}`;
        valid.add(token);
        res.end(
          JSON.stringify({
            token,
            expires_in: 300,
            scopes: url.searchParams.getAll('scope'),
          }),
        );
      } else if (url.pathname === '/v2/') {
        res.writeHead(401, { 'www-authenticate': challenge() }).end();
      } else if (valid.has(req.headers.authorization?.slice(7) ?? '')) {
        res.end('manifest');
      } else {
        res
          .writeHead(401, {
            'www-authenticate': challenge('repository:app:pull'),
          })
          .end();
      }
    });
  });
  beforeEach(() => {
    events = [];
    registry.requests.length = 0;
    stallTokens = false;
  });
  afterAll(() => registry.stop());

  /** auth over retry, host check and observation, with an outer layer that counts what enters from above. */
  function stack(checkHost?: (host: string) => void) {
    const below = compose(
      [
        retryLayer(retryPolicy({ baseDelayMs: 5 })),
        hostCheckLayer(checkHost),
        observeLayer(event => events.push(event)),
      ],
      httpRoundTrip({ userAgent: 't' }),
    );
    const auth = new Authenticator({
      credentials: staticCredentials({}),
      tokens: new TokenCache(),
      userAgent: 't',
      send: below,
      baseUrl: () => registry.origin,
      mayCarrySecrets: () => true,
      checkHost,
    });
    const fromAbove: Exchange[] = [];
    const inner = authLayer(auth, () => registry.origin)(below);
    const send: RoundTrip = exchange => {
      fromAbove.push(exchange);
      return inner(exchange);
    };
    return { send, fromAbove };
  }
  const manifest = (overrides: Partial<Exchange> = {}) =>
    exchangeFor(`${registry.origin}/v2/app/manifests/v1`, {
      auth: { repository: 'app', scopes: ['repository:app:pull'] },
      ...overrides,
    });

  it('pings, fetches a token through the inner layers, and sends it', async () => {
    const { send, fromAbove } = stack();
    const answer = await send(manifest());
    expect(answer.body.toString()).toBe('manifest');
    expect(events.map(e => [e.kind, e.status])).toEqual([
      ['ping', 401],
      ['token', 200],
      ['manifest', 200],
    ]);
    const token = registry.requests.find(r => r.path.startsWith('/token'));
    expect(token?.path).toBe(
      '/token?service=svc&scope=repository%3Aapp%3Apull',
    );
    expect(registry.requests.slice(-1)[0].headers.authorization).toBe(
      `Bearer t-${issued}`,
    );
    // pings and token requests never come back up through the outer layers
    expect(fromAbove).toHaveLength(1);

    await send(manifest());
    expect(events.filter(e => e.kind === 'token')).toHaveLength(1);
  });

  it('on a 401 drops the refused token and retries once with a fresh one', async () => {
    const { send } = stack();
    await send(manifest());
    valid.clear();
    const answer = await send(manifest());
    expect(answer.status).toBe(200);
    expect(events.slice(-3).map(e => [e.kind, e.status])).toEqual([
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
    ]);
  });

  it('leaves requests that do not ask for auth, or go to another origin, alone', async () => {
    const { send } = stack();
    await send(manifest({ auth: undefined }));
    expect(events.map(e => [e.kind, e.status])).toEqual([['manifest', 401]]);
    expect(registry.requests[0].headers.authorization).toBeUndefined();
  });

  it('applies the host check to the token realm', async () => {
    const blocked = new Error('token host blocked');
    const { send } = stack(host => {
      if (host === registry.host && events.some(e => e.kind === 'ping')) {
        throw blocked;
      }
    });
    expect(await send(manifest()).catch(e => e)).toBe(blocked);
    expect(registry.requests.map(r => r.path)).toEqual(['/v2/']);
  });

  it('ends the wait for a stalled token request at once when the caller aborts', async () => {
    stallTokens = true;
    const { send } = stack();
    const controller = new AbortController();
    const pending = send(manifest({ signal: controller.signal })).catch(e => e);
    await registry.received(2); // the ping, then the token request
    const started = performance.now();
    controller.abort();
    expect((await pending).name).toBe('AbortError');
    // the token endpoint never answers: only the abort can end this wait
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(registry.requests.map(r => r.path.split('?')[0])).toEqual([
      '/v2/',
      '/token',
    ]);
  });
});
