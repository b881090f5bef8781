import { IncomingMessage, ServerResponse } from 'node:http';
import {
  getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily,
} from 'node:net';
import { OciClient } from '../client';
import { OciError } from '../errors';
import { startServer, TestServer } from '../testing/httpServer';
import { RequestEvent } from './observer';

jest.setTimeout(30_000);

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A registry with one manifest, `app:1`, and whatever `extra` answers first. */
function registryHandler(
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (extra?.(req, res)) return;
    if (req.url === '/v2/') {
      res.writeHead(200).end('{}');
    } else if (req.url === '/v2/app/manifests/1') {
      res
        .writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': DIGEST,
          'content-length': '2',
        })
        .end();
    } else {
      res.writeHead(404).end();
    }
  };
}

/** Answers each name from its list, one answer per call, the last one repeating. */
function resolver(answers: Record<string, string[][]>) {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    const count = calls.filter(c => c === hostname).length;
    calls.push(hostname);
    const list = answers[hostname];
    if (!list) throw new Error(`ENOTFOUND ${hostname}`);
    return list[Math.min(count, list.length - 1)];
  };
  return { resolve, calls };
}

/** A check that allows only 127.0.0.1, refusing with an OciError it records. */
function allowOnly127001() {
  const asked: Array<[string, string, number]> = [];
  const refusals: OciError[] = [];
  const checkAddress = (host: string, address: string, family: 4 | 6) => {
    asked.push([host, address, family]);
    if (address !== '127.0.0.1') {
      const refusal = new OciError(
        'BLOCKED_HOST',
        `${host} is at ${address}, which is blocked`,
        { host },
      );
      refusals.push(refusal);
      throw refusal;
    }
  };
  return { checkAddress, asked, refusals };
}

describe('checkAddress (the connect-time address check)', () => {
  let registry: TestServer;
  /** Listens on 127.0.0.2, the blocked address, on the registry's port; counts connections. */
  let blocked: TestServer;
  beforeAll(async () => {
    registry = await startServer(registryHandler());
    blocked = await startServer(registryHandler(), {
      address: '127.0.0.2',
      port: registry.port,
    });
  });
  afterAll(async () => {
    await registry.stop();
    await blocked.stop();
  });
  beforeEach(() => {
    registry.requests.length = 0;
    blocked.requests.length = 0;
  });

  it('refuses a name that answers an allowed address to the name check and a blocked one to the connection: not one connection reaches the blocked address', async () => {
    const name = `rebind.test:${registry.port}`;
    const dns = resolver({
      'rebind.test': [['127.0.0.1'], ['127.0.0.2']],
    });
    const check = allowOnly127001();
    const events: RequestEvent[] = [];
    const client = new OciClient({
      insecure: () => true,
      // The name check, as a host policy makes it: resolve, then judge the addresses.
      checkHost: async host => {
        const addresses = await dns.resolve(host.replace(/:\d+$/, ''));
        for (const address of addresses) check.checkAddress(host, address, 4);
      },
      checkAddress: check.checkAddress,
      resolveHost: dns.resolve,
      observer: event => events.push(event),
    });
    const connectionsBefore = blocked.connections();

    const error = await client.headManifest(`${name}/app:1`).catch(e => e);

    expect(error).toBe(check.refusals[0]);
    expect(error).toMatchObject({ code: 'BLOCKED_HOST', host: name });
    expect(error.message).toBe(`${name} is at 127.0.0.2, which is blocked`);
    expect(blocked.connections() - connectionsBefore).toBe(0);
    expect(registry.requests).toEqual([]);
    // the name check's answer, then the connection's: no retry of a refusal
    expect(dns.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(check.asked).toEqual([
      [name, '127.0.0.1', 4],
      [name, '127.0.0.2', 4],
    ]);
    expect(events.map(e => [e.host, e.error])).toEqual([
      [name, 'BLOCKED_HOST'],
    ]);
  });

  it('connects to the address the check accepted, and there only', async () => {
    const name = `stable.test:${registry.port}`;
    const dns = resolver({ 'stable.test': [['127.0.0.1']] });
    const check = allowOnly127001();
    const connectionsBefore = blocked.connections();
    const client = new OciClient({
      insecure: () => true,
      checkAddress: check.checkAddress,
      resolveHost: dns.resolve,
    });

    expect(await client.headManifest(`${name}/app:1`)).toMatchObject({
      digest: DIGEST,
    });
    expect(registry.requests.map(r => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/',
      'HEAD /v2/app/manifests/1',
    ]);
    expect(registry.requests[0].headers.host).toBe(name);
    expect(blocked.connections() - connectionsBefore).toBe(0);
    expect(check.asked[0]).toEqual([name, '127.0.0.1', 4]);
  });

  it('keeps its connections open after HEAD requests: tag checks after the first open none', async () => {
    const check = allowOnly127001();
    const client = new OciClient({
      insecure: () => true,
      checkAddress: check.checkAddress,
    });
    const tagCheck = async () =>
      expect(await client.headManifest(`${registry.host}/app:1`)).toMatchObject(
        { digest: DIGEST },
      );
    await tagCheck(); // the ping and the first check
    const connections = registry.connections();
    // one after the other: each can take the connection the last one left
    for (let i = 0; i < 3; i++) await tagCheck();
    expect(registry.requests.map(r => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/',
      ...Array(4).fill('HEAD /v2/app/manifests/1'),
    ]);
    // undici's default closes the connection after each HEAD: 3 more
    expect(registry.connections()).toBe(connections);
  });

  it('without a refusal, the same rebinding answer does get the connection (what the counter would see)', async () => {
    const name = `rebind.test:${registry.port}`;
    const dns = resolver({
      'rebind.test': [['127.0.0.1'], ['127.0.0.2']],
    });
    await dns.resolve('rebind.test'); // the name check's answer
    const asked: string[] = [];
    const connectionsBefore = blocked.connections();
    const client = new OciClient({
      insecure: () => true,
      checkAddress: (_host, address) => {
        asked.push(address);
      },
      resolveHost: dns.resolve,
    });

    expect(await client.headManifest(`${name}/app:1`)).toMatchObject({
      digest: DIGEST,
    });
    expect(blocked.connections() - connectionsBefore).toBeGreaterThan(0);
    expect(blocked.requests.map(r => r.path)).toEqual([
      '/v2/',
      '/v2/app/manifests/1',
    ]);
    expect(registry.requests).toEqual([]);
    expect(asked[0]).toBe('127.0.0.2');
  });

  it('checks an IP address written in the URL before connecting to it', async () => {
    const check = allowOnly127001();
    const connectionsBefore = blocked.connections();
    const client = new OciClient({
      insecure: () => true,
      checkAddress: check.checkAddress,
    });

    const error = await client
      .headManifest(`${blocked.host}/app:1`)
      .catch(e => e);

    expect(error).toBe(check.refusals[0]);
    expect(check.asked).toEqual([[blocked.host, '127.0.0.2', 4]]);
    expect(blocked.connections() - connectionsBefore).toBe(0);
  });

  it('hands the socket one checked address when Node asks for one (autoSelectFamily off)', async () => {
    const was = getDefaultAutoSelectFamily();
    setDefaultAutoSelectFamily(false);
    try {
      const name = `single.test:${registry.port}`;
      const check = allowOnly127001();
      const connectionsBefore = blocked.connections();
      const clientFor = (addresses: string[]) =>
        new OciClient({
          insecure: () => true,
          checkAddress: check.checkAddress,
          resolveHost: resolver({ 'single.test': [addresses] }).resolve,
        });

      const ok = await clientFor(['127.0.0.1']).headManifest(`${name}/app:1`);
      const refused = await clientFor(['127.0.0.2'])
        .headManifest(`${name}/app:1`)
        .catch(e => e);

      expect(ok.digest).toBe(DIGEST);
      expect(registry.requests.map(r => r.path)).toContain(
        '/v2/app/manifests/1',
      );
      expect(refused).toBe(check.refusals[0]);
      expect(blocked.connections() - connectionsBefore).toBe(0);
    } finally {
      setDefaultAutoSelectFamily(was);
    }
  });
});

describe('checkAddress on token endpoints and redirect targets', () => {
  /** On 127.0.0.2 (blocked): stands in for a token endpoint and a blob store. */
  let elsewhere: TestServer;
  let registry: TestServer;
  beforeAll(async () => {
    elsewhere = await startServer(
      (_req, res) => res.writeHead(200).end('{"token":"t"}'),
      { address: '127.0.0.2' },
    );
    registry = await startServer(
      registryHandler((req, res) => {
        if (req.url === '/v2/' && req.headers.host?.startsWith('auth.')) {
          res
            .writeHead(401, {
              'www-authenticate': `Bearer realm="http://realm.test:${elsewhere.port}/token",service="registry"`,
            })
            .end();
          return true;
        }
        if (
          req.url === '/v2/app/manifests/1' &&
          req.headers.host?.startsWith('moved.')
        ) {
          res
            .writeHead(307, {
              location: `http://cdn.test:${elsewhere.port}/manifest`,
            })
            .end();
          return true;
        }
        return false;
      }),
    );
  });
  afterAll(async () => {
    await registry.stop();
    await elsewhere.stop();
  });

  const dns = () =>
    resolver({
      'auth.test': [['127.0.0.1']],
      'moved.test': [['127.0.0.1']],
      'realm.test': [['127.0.0.2']],
      'cdn.test': [['127.0.0.2']],
    });

  it.each([
    ['a token endpoint', 'auth.test', 'realm.test'],
    ['a redirect target', 'moved.test', 'cdn.test'],
  ])(
    'refuses %s at a blocked address without connecting to it',
    async (_what, registryName, targetName) => {
      const check = allowOnly127001();
      const resolve = dns();
      const connectionsBefore = elsewhere.connections();
      const client = new OciClient({
        insecure: () => true,
        checkAddress: check.checkAddress,
        resolveHost: resolve.resolve,
      });

      const error = await client
        .headManifest(`${registryName}:${registry.port}/app:1`)
        .catch(e => e);

      const target = `${targetName}:${elsewhere.port}`;
      expect(error).toBe(check.refusals[0]);
      expect(error.message).toBe(`${target} is at 127.0.0.2, which is blocked`);
      expect(check.asked).toContainEqual([target, '127.0.0.2', 4]);
      expect(resolve.calls).toContain(targetName);
      expect(elsewhere.connections() - connectionsBefore).toBe(0);
      expect(elsewhere.requests).toEqual([]);
    },
  );
});
