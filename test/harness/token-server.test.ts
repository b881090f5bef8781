import { pushImage } from './images';
import { startFaultProxy } from './fault-proxy';
import { startRegistry, TestRegistry } from './registry';
import { parseScope, startTokenServer, TokenServer } from './token-server';

jest.setTimeout(60_000);

describe('a registry with bearer-token auth and the test token endpoint', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: { pusher: 'pw' } });
    registry = await startRegistry({ tokenAuth: tokens.registryAuth });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  const token = async (scope: string, basic?: string) => {
    const res = await fetch(
      `${tokens.realm}?service=${tokens.service}&scope=${scope}`,
      {
        headers: basic
          ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` }
          : {},
      },
    );
    return { status: res.status, body: await res.json() };
  };

  it('challenges with its realm and service, and accepts the tokens it signs', async () => {
    const challenge = await fetch(`${registry.url}/v2/a/b/manifests/x`, {
      method: 'HEAD',
    });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe(
      `Bearer realm="${tokens.realm}",service="${tokens.service}",scope="repository:a/b:pull"`,
    );
    const { body } = await token('repository:a/b:pull');
    const res = await fetch(`${registry.url}/v2/a/b/manifests/x`, {
      headers: { authorization: `Bearer ${body.token}` },
    });
    expect(res.status).toBe(404); // authorized; the manifest just does not exist
    expect(tokens.requests().slice(-1)[0]).toMatchObject({
      grant: 'anonymous',
      scopes: ['repository:a/b:pull'],
      status: 200,
    });
  });

  it('refuses a token for another audience, a pull token used to push, and a wrong password', async () => {
    const foreign = tokens.signToken({
      iss: 'test-token-issuer',
      aud: 'elsewhere',
      exp: Math.floor(Date.now() / 1000) + 60,
      nbf: 0,
      iat: 0,
      jti: 'j',
      access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }],
    });
    const wrongAudience = await fetch(`${registry.url}/v2/a/b/tags/list`, {
      headers: { authorization: `Bearer ${foreign}` },
    });
    expect(wrongAudience.status).toBe(401);

    const anonymousPush = await token('repository:a/b:pull,push');
    const push = await fetch(`${registry.url}/v2/a/b/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${anonymousPush.body.token}` },
    });
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toContain(
      'error="insufficient_scope"',
    );

    expect((await token('repository:a/b:pull', 'pusher:nope')).status).toBe(
      401,
    );
    const granted = await token('repository:a/b:pull,push', 'pusher:pw');
    const allowed = await fetch(`${registry.url}/v2/a/b/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${granted.body.token}` },
    });
    expect(allowed.status).toBe(202);
  });

  it('parses scopes whose names hold colons', () => {
    expect(parseScope('repository:host:5000/a:pull,push')).toEqual({
      type: 'repository',
      name: 'host:5000/a',
      actions: ['pull', 'push'],
    });
    expect(parseScope('nonsense')).toBeUndefined();
  });
});

describe('the fault proxy', () => {
  it('forwards with Location rewritten to itself, and applies a fault the given number of times', async () => {
    const registry = await startRegistry();
    const proxy = await startFaultProxy(registry.url);
    try {
      const started = await fetch(`${proxy.url}/v2/p/blobs/uploads/`, {
        method: 'POST',
      });
      expect(started.status).toBe(202);
      expect(started.headers.get('location')).toMatch(
        new RegExp(`^${proxy.url}/v2/p/blobs/uploads/`),
      );

      const pushed = await pushImage(registry.url, 'p', 'v1');
      proxy.addFault({
        path: '/manifests/v1',
        times: 1,
        fault: { answer: { status: 503 } },
      });
      const first = await fetch(`${proxy.url}/v2/p/manifests/v1`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const second = await fetch(`${proxy.url}/v2/p/manifests/v1`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect([first.status, second.status]).toEqual([503, 200]);
      expect(second.headers.get('docker-content-digest')).toBe(pushed.digest);
      expect(
        proxy.requests().map(r => [r.method, r.path, r.status, r.fault]),
      ).toEqual([
        ['POST', '/v2/p/blobs/uploads/', 202, undefined],
        ['GET', '/v2/p/manifests/v1', 503, 'answer'],
        ['GET', '/v2/p/manifests/v1', 200, undefined],
      ]);
    } finally {
      await proxy.stop();
      await registry.stop();
    }
  });

  it('goes down (connections refused) and comes up again on the same port', async () => {
    const registry = await startRegistry();
    const proxy = await startFaultProxy(registry.url);
    try {
      expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200);
      await proxy.down();
      const refused = await fetch(`${proxy.url}/v2/`).catch(e => e);
      expect(String(refused.cause?.code)).toBe('ECONNREFUSED');
      await proxy.up();
      expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200);
    } finally {
      await proxy.stop();
      await registry.stop();
    }
  });
});
