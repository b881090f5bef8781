import {
  FaultProxy,
  startFaultProxy,
} from '@internal/test/harness/fault-proxy';
import { pushImage, PushedImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { OciClient, OciClientOptions } from '../client';
import { OciError } from '../errors';
import { RequestEvent } from './observer';

jest.setTimeout(60_000);

const TOO_MANY = JSON.stringify({
  errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }],
});

describe('failures between the client and a real registry (fault proxy)', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: PushedImage;
  let events: RequestEvent[];

  /** A fresh client for the proxy: quick retries, short timeouts, every request observed. */
  function client(options: OciClientOptions = {}) {
    return new OciClient({
      retry: { retries: 2, baseDelayMs: 5 },
      timeoutMs: 500,
      observer: event => events.push(event),
      ...options,
    });
  }
  /** Requests the proxy received for a path fragment, ping excluded. */
  const received = (fragment: string, method?: string) =>
    proxy
      .requests()
      .filter(
        r => r.path.includes(fragment) && (!method || r.method === method),
      );

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    image = await pushImage(registry.url, 'f/app', 'v1', {
      created: '2024-10-10T10:10:10Z',
      labels: { via: 'proxy' },
    });
    for (let i = 0; i < 6; i++) {
      await pushImage(registry.url, 'f/many', `t${i}`, {
        labels: { i: String(i) },
      });
    }
  });
  beforeEach(() => {
    proxy.clearFaults();
    proxy.clearRequests();
    events = [];
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  const ref = () => `${proxy.host}/f/app:v1`;

  it('retries a 429 after the Retry-After it names, then succeeds', async () => {
    proxy.addFault({
      method: 'HEAD',
      path: '/manifests/v1',
      times: 1,
      fault: { answer: { status: 429, headers: { 'retry-after': '1' } } },
    });
    const head = await client().headManifest(ref());
    const heads = received('/manifests/v1', 'HEAD');

    expect(head.digest).toBe(image.digest);
    expect(heads.map(r => r.status)).toEqual([429, 200]);
    expect(heads[1].at - heads[0].at).toBeGreaterThanOrEqual(950);
    expect(
      events.filter(e => e.kind === 'manifest').map(e => [e.status, e.retry]),
    ).toEqual([
      [429, 0],
      [200, 1],
    ]);
  });

  it('gives up on a registry that keeps answering 429, with RATE_LIMITED and its code', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      fault: {
        answer: {
          status: 429,
          headers: { 'retry-after': '0', 'content-type': 'application/json' },
          body: TOO_MANY,
        },
      },
    });
    const error: OciError = await client()
      .getManifest(ref())
      .catch(e => e);
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      registryCode: 'TOOMANYREQUESTS',
      retries: 2,
      host: proxy.host,
    });
    expect(error.message).toBe(
      `${proxy.host} answered 429 (TOOMANYREQUESTS: slow down) to GET the manifest of ${proxy.host}/f/app:v1 after 2 retries; lower the request rate for this registry or add credentials with a higher quota.`,
    );
    expect(received('/manifests/v1')).toHaveLength(3);
  });

  it('fails at once when Retry-After asks for longer than the client waits', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      fault: { answer: { status: 429, headers: { 'retry-after': '3600' } } },
    });
    const started = Date.now();
    const error: OciError = await client()
      .getManifest(ref())
      .catch(e => e);
    expect(Date.now() - started).toBeLessThan(30_000); // not the 3600 s asked for
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retries: 0 });
    expect(error.message).toContain('it asks to wait 3600 s');
    expect(received('/manifests/v1')).toHaveLength(1);
  });

  it('retries 503 and 504 with backoff and succeeds on the third attempt', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      times: 1,
      fault: { answer: { status: 503 } },
    });
    proxy.addFault({
      path: '/manifests/v1',
      times: 1,
      fault: { answer: { status: 504 } },
    });
    const fetched = await client().getManifest(ref());
    expect(fetched.digest).toBe(image.digest);
    expect(received('/manifests/v1').map(r => r.status)).toEqual([
      503, 504, 200,
    ]);
  });

  it('does not retry a 500 or a 404', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      fault: { answer: { status: 500 } },
    });
    await expect(client().getManifest(ref())).rejects.toMatchObject({
      code: 'SERVER_ERROR',
      status: 500,
    });
    expect(received('/manifests/v1')).toHaveLength(1);

    await expect(
      client().getManifest(`${proxy.host}/f/app:absent`),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      registryCode: 'MANIFEST_UNKNOWN',
    });
    expect(received('/manifests/absent')).toHaveLength(1);
  });

  it('never retries a write (POST, PUT)', async () => {
    proxy.addFault({
      path: '/blobs/uploads/',
      method: 'POST',
      fault: { answer: { status: 503 } },
    });
    proxy.addFault({
      path: '/manifests/',
      method: 'PUT',
      fault: { answer: { status: 503 } },
    });
    await expect(
      client().uploadBlob(`${proxy.host}/f/app`, Buffer.from('new blob')),
    ).rejects.toMatchObject({ code: 'SERVER_ERROR', status: 503, retries: 0 });
    await expect(
      client().putManifest(
        `${proxy.host}/f/app:v9`,
        Buffer.from(image.manifest),
      ),
    ).rejects.toMatchObject({ code: 'SERVER_ERROR', status: 503 });
    expect(received('/blobs/uploads/', 'POST')).toHaveLength(1);
    expect(received('/manifests/', 'PUT')).toHaveLength(1);
  });

  it('times out each attempt, retries, and names the time it waited', async () => {
    proxy.addFault({ path: '/manifests/v1', fault: { hang: true } });
    const started = Date.now();
    const error: OciError = await client({
      timeoutMs: 200,
      retry: { retries: 1, baseDelayMs: 5 },
    })
      .getManifest(ref())
      .catch(e => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(error).toMatchObject({ code: 'TIMEOUT', retries: 1 });
    expect(error.message).toBe(
      `${proxy.host} did not answer GET the manifest of ${proxy.host}/f/app:v1 within 200 ms (after 1 retries); raise the timeout for ${proxy.host} if it is slow.`,
    );
    expect(received('/manifests/v1')).toHaveLength(2);
    expect(events.filter(e => e.kind === 'manifest').map(e => e.error)).toEqual(
      ['TIMEOUT', 'TIMEOUT'],
    );
  });

  it('retries a reset connection, and reports one that keeps resetting', async () => {
    proxy.addFault({ path: '/manifests/v1', times: 1, fault: { reset: true } });
    expect((await client().headManifest(ref())).digest).toBe(image.digest);
    expect(received('/manifests/v1')).toHaveLength(2);

    proxy.clearRequests();
    proxy.addFault({ path: '/manifests/v1', fault: { reset: true } });
    const error: OciError = await client()
      .headManifest(ref())
      .catch(e => e);
    expect(error).toMatchObject({ code: 'SERVER_ERROR', retries: 2 });
    expect(error.message).toContain(
      `${proxy.host} could not be reached for HEAD the manifest`,
    );
    expect(received('/manifests/v1')).toHaveLength(3);
  });

  it('retries a truncated body, and reports one that stays truncated', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      times: 1,
      fault: { truncate: 20 },
    });
    expect((await client().getManifest(ref())).digest).toBe(image.digest);
    expect(received('/manifests/v1')).toHaveLength(2);

    proxy.addFault({ path: '/manifests/v1', fault: { truncate: 20 } });
    const error: OciError = await client()
      .getManifest(ref())
      .catch(e => e);
    expect(error).toMatchObject({ code: 'SERVER_ERROR', retries: 2 });
    expect(error.message).toContain(
      'the connection closed before the answer was complete',
    );
  });

  it('refuses oversized manifests, declared or streamed, without retrying', async () => {
    proxy.addFault({ path: '/manifests/v1', fault: { pad: 5000 } });
    const declared: OciError = await client({ maxManifestBytes: 2000 })
      .getManifest(ref())
      .catch(e => e);
    expect(declared).toMatchObject({ code: 'TOO_LARGE' });
    expect(declared.message).toContain('over the 2000 byte limit');
    expect(received('/manifests/v1')).toHaveLength(1);

    proxy.clearFaults();
    proxy.addFault({
      path: '/manifests/v1',
      fault: {
        answer: {
          status: 200,
          chunked: true,
          body: `{"schemaVersion":2,"x":"${'y'.repeat(5000)}"}`,
        },
      },
    });
    const streamed: OciError = await client({ maxManifestBytes: 2000 })
      .getManifest(ref())
      .catch(e => e);
    expect(streamed).toMatchObject({ code: 'TOO_LARGE' });
    expect(streamed.message).toContain('more than the 2000 byte limit');
  });

  it('detects a manifest, a config and a HEAD digest that do not match', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      method: 'GET',
      times: 1,
      fault: { corrupt: true },
    });
    const manifest: OciError = await client()
      .getManifest(ref())
      .catch(e => e);
    expect(manifest).toMatchObject({
      code: 'DIGEST_MISMATCH',
      retries: undefined,
    });
    expect(manifest.message).toContain(`not ${image.digest}`);

    proxy.addFault({
      path: `/blobs/${image.configDigest}`,
      fault: { corrupt: true },
    });
    const config: OciError = await client()
      .inspect(ref())
      .catch(e => e);
    expect(config).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(config.message).toContain(
      `the blob ${proxy.host}/f/app@${image.configDigest}`,
    );

    proxy.addFault({
      path: `/manifests/${image.digest}`,
      method: 'HEAD',
      fault: {
        setHeaders: { 'docker-content-digest': `sha256:${'0'.repeat(64)}` },
      },
    });
    await expect(
      client().headManifest(`${proxy.host}/f/app@${image.digest}`),
    ).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('reports a 401 without a challenge as AUTHENTICATION, saying no credentials are configured', async () => {
    proxy.addFault({
      path: '/manifests/v1',
      fault: {
        answer: {
          status: 401,
          body: JSON.stringify({
            errors: [{ code: 'UNAUTHORIZED', message: 'who are you' }],
          }),
        },
      },
    });
    const error: OciError = await client()
      .getManifest(ref())
      .catch(e => e);
    expect(error).toMatchObject({
      code: 'AUTHENTICATION',
      status: 401,
      registryCode: 'UNAUTHORIZED',
    });
    expect(error.message).toContain(
      `no credentials are configured for ${proxy.host}; add them`,
    );
  });

  it('reports every request to the observer', async () => {
    const details = await client().inspect(ref());
    expect(events).toEqual([
      expect.objectContaining({
        method: 'GET',
        kind: 'ping',
        status: 200,
        retry: 0,
      }),
      expect.objectContaining({
        method: 'GET',
        kind: 'manifest',
        status: 200,
        retry: 0,
      }),
      expect.objectContaining({
        method: 'GET',
        kind: 'blob',
        status: 200,
        retry: 0,
      }),
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        registry: proxy.host,
        host: proxy.host,
        redirected: false,
      });
      expect(event.durationMs).toBeGreaterThan(0);
    }
    expect(details.labels).toEqual({ via: 'proxy' });
  });

  it('keeps at most maxConcurrency requests in flight per host', async () => {
    proxy.addFault({ path: '/f/many/manifests/', fault: { delayMs: 60 } });
    const tags = Array.from(
      { length: 6 },
      (_, i) => `${proxy.host}/f/many:t${i}`,
    );
    const limited = client({ maxConcurrency: 2 });
    await limited.headManifest(tags[0]);
    proxy.clearRequests();
    await Promise.all(tags.map(tag => limited.headManifest(tag)));
    expect(proxy.maxConcurrent()).toBe(2);

    const unlimited = client({ maxConcurrency: 0 });
    await unlimited.headManifest(tags[0]);
    proxy.clearRequests();
    await Promise.all(tags.map(tag => unlimited.headManifest(tag)));
    expect(proxy.maxConcurrent()).toBe(6);
  });

  it('spaces requests to a host by requestsPerSecond', async () => {
    const paced = client({ requestsPerSecond: 10 });
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        paced.headManifest(`${proxy.host}/f/many:t${i}`),
      ),
    );
    const arrivals = proxy.requests().map(r => r.at); // the ping, then five HEADs
    expect(arrivals).toHaveLength(6);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    // starts are 100 ms apart; arrivals may jitter a little on a busy machine
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
    expect(arrivals[5] - arrivals[0]).toBeGreaterThanOrEqual(450);
  });

  it('refuses a redirect to plain HTTP on a host not allowed it', async () => {
    proxy.addFault({
      path: `/blobs/${image.configDigest}`,
      fault: {
        answer: {
          status: 307,
          headers: { location: 'http://10.255.255.1/blob' },
        },
      },
    });
    const error: OciError = await client()
      .inspect(ref())
      .catch(e => e);
    expect(error).toMatchObject({ code: 'SERVER_ERROR' });
    expect(error.message).toContain(
      'a redirect to http://10.255.255.1, which is not HTTPS; refused',
    );
  });
});

describe('redirects to blob storage (fault proxy before a basic-auth registry)', () => {
  const basicAuth = { username: 'puller', password: 'pw' };
  const authorization = `Basic ${Buffer.from('puller:pw').toString('base64')}`;
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ basicAuth });
    proxy = await startFaultProxy(registry.url);
    image = await pushImage(
      registry.url,
      'r/app',
      'v1',
      { labels: { r: '1' } },
      basicAuth,
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('drops Authorization when a redirect leaves the origin, and keeps it when it does not', async () => {
    const blobPath = `/v2/r/app/blobs/${image.configDigest}`;
    // another origin (localhost instead of 127.0.0.1) that serves blobs like a presigned URL
    proxy.addFault({
      path: '/storage/',
      fault: {
        respond: ctx =>
          ctx.forward({
            path: ctx.path.replace('/storage', ''),
            headers: { authorization },
          }),
      },
    });
    // the same origin, under another path, passing the client's headers on
    proxy.addFault({
      path: '/same-origin/',
      fault: {
        respond: ctx =>
          ctx.forward({ path: ctx.path.replace('/same-origin', '') }),
      },
    });
    proxy.addFault({
      path: blobPath,
      times: 1,
      fault: {
        answer: {
          status: 307,
          headers: {
            location: `http://localhost:${proxy.port}/storage${blobPath}`,
          },
        },
      },
    });
    proxy.addFault({
      path: blobPath,
      times: 1,
      fault: {
        answer: {
          status: 302,
          headers: { location: `/same-origin${blobPath}` },
        },
      },
    });

    const events: RequestEvent[] = [];
    const client = new OciClient({
      credentials: { [proxy.host]: basicAuth },
      observer: event => events.push(event),
    });
    const first = await client.getJsonBlob<{ config: { Labels: object } }>(
      `${proxy.host}/r/app`,
      image.configDigest,
    );
    const second = await client.getBlob(
      `${proxy.host}/r/app`,
      image.configDigest,
    );

    expect(first.config.Labels).toEqual({ r: '1' });
    expect(JSON.parse(second.toString())).toEqual(first);
    const storage = proxy.requests().find(r => r.path.startsWith('/storage/'));
    const same = proxy.requests().find(r => r.path.startsWith('/same-origin/'));
    expect(storage).toMatchObject({
      host: `localhost:${proxy.port}`,
      status: 200,
    });
    expect(storage?.headers.authorization).toBeUndefined();
    expect(same?.headers.authorization).toBe(authorization);
    expect(
      events
        .filter(e => e.kind === 'blob')
        .map(e => [e.host, e.status, e.redirected]),
    ).toEqual([
      [proxy.host, 307, false],
      [`localhost:${proxy.port}`, 200, true],
      [proxy.host, 302, false],
      [proxy.host, 200, true],
    ]);
  });
});

describe('checkHost', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    image = await pushImage(registry.url, 'c/app', 'v1');
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('is asked before every host is contacted, redirect targets included, and can refuse', async () => {
    const blobPath = `/v2/c/app/blobs/${image.configDigest}`;
    proxy.addFault({
      path: blobPath,
      fault: {
        answer: {
          status: 307,
          headers: {
            location: `http://localhost:${proxy.port}/metadata${blobPath}`,
          },
        },
      },
    });
    const asked: string[] = [];
    const blocked = new OciError('BLOCKED_HOST', 'localhost is blocked', {
      host: 'localhost',
    });
    const client = new OciClient({
      checkHost: host => {
        asked.push(host);
        if (host.startsWith('localhost')) throw blocked;
      },
    });
    const error = await client.inspect(`${proxy.host}/c/app:v1`).catch(e => e);

    expect(error).toBe(blocked);
    expect(asked).toEqual([
      proxy.host,
      proxy.host,
      proxy.host,
      `localhost:${proxy.port}`,
    ]);
    expect(proxy.requests().some(r => r.path.startsWith('/metadata'))).toBe(
      false,
    );
  });

  it('names a blocked host as such when a redirect to it is also plain HTTP', async () => {
    const blobPath = `/v2/c/app/blobs/${image.configDigest}`;
    proxy.clearFaults();
    proxy.addFault({
      path: blobPath,
      fault: {
        answer: {
          status: 302,
          headers: { location: 'http://169.254.169.254/latest/meta-data/' },
        },
      },
    });
    const blocked = new OciError('BLOCKED_HOST', 'a metadata address', {
      host: '169.254.169.254',
    });
    const client = new OciClient({
      checkHost: host => {
        if (host === '169.254.169.254') throw blocked;
      },
    });
    const error = await client.inspect(`${proxy.host}/c/app:v1`).catch(e => e);
    expect(error).toBe(blocked);
  });

  it('names a blocked token endpoint as such when credentials would go to it over plain HTTP', async () => {
    proxy.clearFaults();
    proxy.addFault({
      path: '/v2/',
      fault: {
        answer: {
          status: 401,
          headers: {
            'www-authenticate':
              'Bearer realm="http://169.254.169.254/token",service="registry"',
          },
        },
      },
    });
    const blocked = new OciError('BLOCKED_HOST', 'a metadata address', {
      host: '169.254.169.254',
    });
    const asked: string[] = [];
    const client = new OciClient({
      credentials: { [proxy.host]: { username: 'u', password: 'p' } },
      checkHost: host => {
        asked.push(host);
        if (host === '169.254.169.254') throw blocked;
      },
    });
    const error = await client.inspect(`${proxy.host}/c/app:v1`).catch(e => e);
    expect(error).toBe(blocked);
    expect(asked).toContain('169.254.169.254');
  });
});

describe('the scheme', () => {
  it('uses HTTPS unless a registry is configured insecure or is the local machine', async () => {
    const urls: string[] = [];
    const recording: typeof fetch = async input => {
      urls.push(String(input));
      return new Response(null, {
        status: 200,
        headers: { 'docker-content-digest': `sha256:${'a'.repeat(64)}` },
      });
    };
    await new OciClient({ fetch: recording }).headManifest(
      'registry.example:5000/a:1',
    );
    await new OciClient({
      fetch: recording,
      insecure: registry => registry === 'registry.example:5000',
    }).headManifest('registry.example:5000/a:1');
    await new OciClient({ fetch: recording }).headManifest(
      'localhost:5000/a:1',
    );
    await new OciClient({ fetch: recording }).headManifest('nginx');
    expect(urls).toEqual([
      'https://registry.example:5000/v2/',
      'https://registry.example:5000/v2/a/manifests/1',
      'http://registry.example:5000/v2/',
      'http://registry.example:5000/v2/a/manifests/1',
      'http://localhost:5000/v2/',
      'http://localhost:5000/v2/a/manifests/1',
      'https://registry-1.docker.io/v2/',
      'https://registry-1.docker.io/v2/library/nginx/manifests/latest',
    ]);
  });
});
