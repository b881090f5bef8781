import { ConfigReader } from '@backstage/config';
import { createServer } from 'node:net';
import { readImageFreshnessConfig } from './config';
import { createOciClient } from './createOciClient';
import { HostPolicy } from './HostPolicy';
import { toImageError } from './imageErrors';

jest.setTimeout(60_000);

const AT = new Date('2026-12-02T10:00:00Z');

/** The plugin's client with the real DNS resolver, allowed to reach `allowedHosts`. */
function clientFor(registry: string, allowedHosts: string[] = []) {
  const config = readImageFreshnessConfig(
    new ConfigReader({
      imageFreshness: {
        allowedHosts,
        registries: [{ host: registry, insecure: true, timeout: '10s' }],
      },
    }),
  );
  return createOciClient({ config, hosts: new HostPolicy(config) });
}

/** A loopback port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise(r => server.close(r));
  return port;
}

describe('toImageError for hosts that cannot be reached', () => {
  it('says "could not reach HOST" for a name that does not resolve (.invalid never does), not "the registry failed"', async () => {
    const host = 'no-such-registry.invalid';
    const image = `${host}/team/app:v1`;
    const failure = await clientFor(host)
      .headManifest(image)
      .catch(e => e);
    const error = toImageError(failure, image, AT);
    expect(error.class).toBe('SERVER_ERROR');
    expect(error.message).toMatch(
      /^no-such-registry\.invalid\/team\/app:v1: Could not reach no-such-registry\.invalid: getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-registry\.invalid \(/,
    );
    expect(error.advice).toBe(
      'Could not reach no-such-registry.invalid; it is retried on the next refresh. If this persists, check the host name and that the backend can connect to it (DNS, proxy, firewall).',
    );
    expect(`${error.message} ${error.advice}`).not.toMatch(/registry failed/);
  });

  it('says "could not reach HOST" for a refused port', async () => {
    const host = `127.0.0.1:${await closedPort()}`;
    const image = `${host}/team/app:v1`;
    const failure = await clientFor(host, [host])
      .headManifest(image)
      .catch(e => e);
    const error = toImageError(failure, image, AT);
    expect(error.class).toBe('SERVER_ERROR');
    expect(error.message).toContain(
      `${image}: Could not reach ${host}: connect ECONNREFUSED ${host} (GET /v2/ (the API check) of ${host} (after 3 retries)); check the host name`,
    );
    expect(error.advice).toMatch(
      new RegExp(`^Could not reach ${host}; it is retried on the next refresh`),
    );
  });

  it('keeps the class advice for an answer the registry gave', () => {
    const error = toImageError(new Error('boom'), 'r.test/a:1', AT);
    expect(error).toMatchObject({
      class: 'UNKNOWN',
      message: 'r.test/a:1: boom',
    });
  });
});
