import { ConfigReader } from '@backstage/config';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { createServer, Server } from 'node:net';
import { OciError } from 'oci-client';
import { readImageFreshnessConfig } from './config';
import { createOciClient } from './createOciClient';
import { HostPolicy } from './HostPolicy';

jest.setTimeout(60_000);

/**
 * The plugin's client and host policy against a real registry on
 * 127.0.0.1, with a listener on 127.0.0.2 (loopback too, so blocked) on the
 * same port that counts the connections it is offered.
 */
describe('createOciClient with the host policy: addresses checked at connect time', () => {
  let registry: TestRegistry;
  let port: number;
  let digest: string;
  let blocked: Server;
  let blockedConnections = 0;

  beforeAll(async () => {
    registry = await startRegistry();
    port = Number(new URL(registry.url).port);
    digest = (
      await pushImage(registry.url, 'team/app', 'v1', {
        created: '2026-01-02T03:04:05Z',
      })
    ).digest;
    blocked = createServer(socket => {
      blockedConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      blocked.once('error', reject);
      blocked.listen(port, '127.0.0.2', resolve);
    });
  });
  afterAll(async () => {
    await new Promise(resolve => blocked?.close(resolve));
    await registry?.stop();
  });

  /** Answers its nth call with `answers[n]` (the last one from then on), whatever the name; counts its calls. */
  function scripted(...answers: string[][]) {
    const calls: string[] = [];
    const resolve = async (hostname: string) =>
      answers[Math.min(calls.push(hostname) - 1, answers.length - 1)];
    return { resolve, calls };
  }

  function clientFor(options: {
    allowedHosts: string[];
    registry: string;
    resolve: (host: string) => Promise<string[]>;
  }) {
    const config = readImageFreshnessConfig(
      new ConfigReader({
        imageFreshness: {
          allowedHosts: options.allowedHosts,
          registries: [{ host: options.registry, insecure: true }],
        },
      }),
    );
    const hosts = new HostPolicy({ ...config, resolve: options.resolve });
    return { hosts, client: createOciClient({ config, hosts }) };
  }

  it('refuses a name that answers 127.0.0.1 (allowed) to the name check and 127.0.0.2 (blocked) to the connection: 0 connections reach 127.0.0.2', async () => {
    const name = `rebind.test:${port}`;
    const dns = scripted(['127.0.0.1'], ['127.0.0.2']);
    const { hosts, client } = clientFor({
      allowedHosts: ['127.0.0.1/32'],
      registry: name,
      resolve: dns.resolve,
    });
    const before = blockedConnections;

    // What the resolver asks before it uses the client: the name passes.
    await hosts.check(name);
    const error = await client
      .headManifest(`${name}/team/app:v1`)
      .catch(e => e);

    expect(error).toBeInstanceOf(OciError);
    expect(error.code).toBe('BLOCKED_HOST');
    expect(error.host).toBe(name);
    expect(error.message).toBe(
      `Registry ${name} is blocked (127.0.0.2 is loopback, link-local, a metadata service or in imageFreshness.blockedHosts); add it to imageFreshness.allowedHosts if it is trusted`,
    );
    expect(blockedConnections - before).toBe(0);
    // once for the name check (then cached), once for the connection; a refusal is not retried
    expect(dns.calls).toEqual(['rebind.test', 'rebind.test']);
  });

  it.each([
    ['a name in allowedHosts', 'localhost', ['localhost:PORT']],
    ['an address:port in allowedHosts', '127.0.0.1', ['127.0.0.1:PORT']],
    ['a name resolving into an allowed CIDR', 'stable.test', ['127.0.0.1/32']],
  ])('reads the real registry through %s', async (_what, hostname, allowed) => {
    const name = `${hostname}:${port}`;
    const dns = scripted(['127.0.0.1']);
    const { client } = clientFor({
      allowedHosts: allowed.map(a => a.replace('PORT', String(port))),
      registry: name,
      resolve: dns.resolve,
    });
    const before = blockedConnections;

    const head = await client.headManifest(`${name}/team/app:v1`);

    expect(head.digest).toBe(digest);
    expect(blockedConnections - before).toBe(0);
    // a name is resolved with the policy's resolver to connect; an address is not resolved
    expect([...new Set(dns.calls)]).toEqual(
      hostname === '127.0.0.1' ? [] : [hostname],
    );
  });

  it('refuses a name that answers 127.0.0.2 from the start at the name check, never connecting', async () => {
    const name = `inside.test:${port}`;
    const dns = scripted(['127.0.0.2']);
    const { client } = clientFor({
      allowedHosts: ['127.0.0.1/32'],
      registry: name,
      resolve: dns.resolve,
    });
    const before = blockedConnections;

    const error = await client
      .headManifest(`${name}/team/app:v1`)
      .catch(e => e);

    expect(error).toMatchObject({ code: 'BLOCKED_HOST', host: name });
    expect(error.message).toContain('127.0.0.2 is loopback');
    expect(blockedConnections - before).toBe(0);
    expect(dns.calls).toEqual(['inside.test']);
  });
});
