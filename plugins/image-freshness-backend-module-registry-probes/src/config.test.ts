import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { readHealthProbesConfig } from './config';

describe('imageFreshness.healthProbes', () => {
  const read = (probes: JsonObject[], env: NodeJS.ProcessEnv = {}) =>
    readHealthProbesConfig(
      new ConfigReader({ imageFreshness: { healthProbes: probes } }),
      { env },
    );

  it("has the registry exporter's defaults; node from config, else NODE_NAME", () => {
    const [probe] = read([{ registry: 'quay.io', repository: 'acme/probe' }], {
      NODE_NAME: 'worker-3',
    });
    expect(probe).toMatchObject({
      name: 'quay.io',
      registry: 'quay.io',
      repository: 'acme/probe',
      checks: ['pull', 'push', 'metadata', 'authentication'],
      retries: 5,
      node: 'worker-3',
      pullTag: 'pull',
      artifactBytes: 1024 * 1024,
    });
    expect(probe.interval.toMillis()).toBe(300_000);
    expect(probe.timeout.toMillis()).toBe(35_000);
    expect(probe.retryDelay.toMillis()).toBe(1_000);
    const [configured] = read(
      [
        {
          registry: 'quay.io',
          repository: 'acme/probe',
          node: 'from-config',
          checks: ['authentication', 'pull'],
          credentials: { token: 't' },
        },
      ],
      { NODE_NAME: 'worker-3' },
    );
    expect(configured).toMatchObject({
      node: 'from-config',
      checks: ['pull', 'authentication'],
      credentials: { token: 't' },
    });
  });

  it.each([
    [{ registry: 'quay', repository: 'acme/probe' }, 'use a registry host'],
    [
      { registry: 'quay.io', repository: 'acme/probe:1' },
      'without a tag or digest',
    ],
    [
      { registry: 'quay.io', repository: 'acme/probe', checks: ['ping'] },
      'checks entry "ping"',
    ],
    [
      { registry: 'quay.io', repository: 'acme/probe', retries: 11 },
      'retries 11',
    ],
    [
      { registry: 'quay.io', repository: 'acme/probe', pullTag: '-x' },
      'pullTag "-x"',
    ],
    [
      { registry: 'quay.io', repository: 'acme/probe', artifactBytes: 10 },
      'artifactBytes 10',
    ],
    [
      {
        registry: 'quay.io',
        repository: 'acme/probe',
        credentials: { username: 'u' },
      },
      'credentials need a token, or a username and a password',
    ],
  ])('refuses %j', (probe, message) => {
    expect(() => read([probe])).toThrow(message);
  });

  it('refuses two probes with one tested_registry name', () => {
    expect(() =>
      read([
        { registry: 'quay.io', repository: 'a/probe' },
        { registry: 'quay.io', repository: 'b/probe' },
      ]),
    ).toThrow('two probes are named "quay.io"');
  });
});
