import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { startPrometheus } from '@internal/test/harness/prometheus';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import {
  startTokenServer,
  TokenServer,
} from '@internal/test/harness/token-server';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { isLoopback, OciError, staticCredentials } from 'oci-client';
import { HealthProbes } from './HealthProbes';

jest.setTimeout(60_000);

const USER = 'prober';
const PASSWORD = 'pr0be-pass';
const WRONG = 'n0t-the-pa55word';
const ARTIFACT_BYTES = 4096;

/** `skopeo list-tags`: the independent check of what the registry holds. */
async function listTags(
  host: string,
  repository: string,
  creds?: string,
): Promise<string[]> {
  const { stdout } = await promisify(execFile)('skopeo', [
    'list-tags',
    '--tls-verify=false',
    ...(creds ? ['--creds', creds] : ['--no-creds']),
    `docker://${host}/${repository}`,
  ]);
  return ((JSON.parse(stdout).Tags as string[] | null) ?? []).sort();
}

/** `skopeo inspect --raw`: the manifest as the registry serves it. */
async function rawManifest(reference: string, creds?: string): Promise<any> {
  const { stdout } = await promisify(execFile)('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...(creds ? ['--creds', creds] : ['--no-creds']),
    `docker://${reference}`,
  ]);
  return JSON.parse(stdout);
}

describe('registry health probes (real registries: anonymous, htpasswd basic, bearer token)', () => {
  let anonymous: TestRegistry;
  let basic: TestRegistry;
  let token: TestRegistry;
  let tokens: TokenServer;
  const creds = `${USER}:${PASSWORD}`;

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: { [USER]: PASSWORD },
      anonymousPull: false,
    });
    [anonymous, basic, token] = await Promise.all([
      startRegistry(),
      startRegistry({ basicAuth: { username: USER, password: PASSWORD } }),
      startRegistry({ tokenAuth: tokens.registryAuth }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([
      anonymous?.stop(),
      basic?.stop(),
      token?.stop(),
      tokens?.stop(),
    ]);
  });

  const probe = (
    name: string,
    registry: TestRegistry,
    extra: JsonObject = {},
  ): JsonObject => ({
    name,
    registry: registry.host,
    repository: `probe/${name}`,
    node: 'node-a',
    timeout: '5s',
    retryDelay: '10ms',
    artifactBytes: ARTIFACT_BYTES,
    ...extra,
  });

  function healthProbes(
    probes: JsonObject[],
    options: {
      instance?: string;
      sleep?: (ms: number) => Promise<void>;
      checkAddress?: (host: string, address: string) => void;
    } = {},
  ) {
    const config = new ConfigReader({
      imageFreshness: { healthProbes: probes },
    });
    return HealthProbes.create({
      config,
      // What the core hands features: here every host is allowed (the
      // registries and the token endpoint all listen on loopback), no
      // credentials besides the probes' own, plain HTTP on loopback.
      access: {
        checkHost: async () => undefined,
        credentials: staticCredentials({}),
        isInsecure: isLoopback,
        checkAddress: options.checkAddress,
      },
      logger: mockServices.logger.mock(),
      instance: options.instance ?? 'instance-a',
      sleep: options.sleep,
    });
  }

  it('runs every check successfully against each kind of registry, and leaves only the pull tag after shutdown', async () => {
    const probes = healthProbes([
      probe('anonymous', anonymous),
      probe('basic', basic, {
        credentials: { username: USER, password: PASSWORD },
      }),
      probe('token', token, {
        credentials: { username: USER, password: PASSWORD },
      }),
    ]);
    const registries = [
      { name: 'anonymous', registry: anonymous, creds: undefined },
      { name: 'basic', registry: basic, creds },
      { name: 'token', registry: token, creds },
    ];
    for (const { name, registry, creds: c } of registries) {
      // the first cycle finds no pull tag and re-creates it
      for (let cycle = 0; cycle < 2; cycle++) {
        const results = await probes.run(name);
        expect(results.map(r => [r.type, r.success, r.error?.class])).toEqual([
          ['pull', true, undefined],
          ['push', true, undefined],
          ['metadata', true, undefined],
          ['authentication', true, undefined],
        ]);
        expect(results.map(r => r.bytes)).toEqual([
          ARTIFACT_BYTES,
          2 * ARTIFACT_BYTES,
          ARTIFACT_BYTES,
          undefined,
        ]);
      }
      const repository = `probe/${name}`;
      expect(await listTags(registry.host, repository, c)).toEqual([
        'metadata-instance-a',
        'pull',
        'push-instance-a',
      ]);
      // metadata re-tags the pull artifact; push holds two generated files
      const pull = await rawManifest(`${registry.host}/${repository}:pull`, c);
      expect(
        await rawManifest(
          `${registry.host}/${repository}:metadata-instance-a`,
          c,
        ),
      ).toEqual(pull);
      const push = await rawManifest(
        `${registry.host}/${repository}:push-instance-a`,
        c,
      );
      expect(push.layers.map((l: { size: number }) => l.size)).toEqual([
        ARTIFACT_BYTES,
        ARTIFACT_BYTES,
      ]);
      expect(push.artifactType).toBe(
        'application/vnd.backstage.image-freshness.probe.v1',
      );
    }
    // the token endpoint saw the probe's logins with the credentials
    expect(
      tokens.requests().filter(r => r.user === USER && r.status === 200).length,
    ).toBeGreaterThan(0);

    const text = await probes.metrics.registry.metrics();
    for (const name of ['anonymous', 'basic', 'token']) {
      for (const type of ['pull', 'push', 'metadata', 'authentication']) {
        expect(text).toContain(
          `registry_exporter_success{tested_registry="${name}",node="node-a",type="${type}"} 1`,
        );
        expect(text).toContain(
          `registry_exporter_duration_seconds_count{tested_registry="${name}",node="node-a",type="${type}"} 2`,
        );
      }
    }
    expect(text).not.toMatch(/registry_exporter_error_count\{[^}]*\} [1-9]/);
    expect(text).not.toContain(PASSWORD);

    await probes.shutdown();
    for (const { name, registry, creds: c } of registries) {
      expect(await listTags(registry.host, `probe/${name}`, c)).toEqual([
        'pull',
      ]);
    }
    // nothing runs once shut down
    expect(await probes.run('anonymous')).toEqual([]);
  });

  it("deletes only its own tags: another instance's tags and the shared pull artifact stay", async () => {
    const config = [
      probe('shared', anonymous, { checks: ['pull', 'push', 'metadata'] }),
    ];
    const a = healthProbes(config, { instance: 'instance-a' });
    const b = healthProbes(config, { instance: 'instance-b' });
    await a.run('shared');
    await b.run('shared');
    expect(await listTags(anonymous.host, 'probe/shared')).toEqual([
      'metadata-instance-a',
      'metadata-instance-b',
      'pull',
      'push-instance-a',
      'push-instance-b',
    ]);
    await a.shutdown();
    expect(await listTags(anonymous.host, 'probe/shared')).toEqual([
      'metadata-instance-b',
      'pull',
      'push-instance-b',
    ]);
    await b.shutdown();
    expect(await listTags(anonymous.host, 'probe/shared')).toEqual(['pull']);
  });

  it('classifies wrong credentials as AUTHENTICATION, without retrying them', async () => {
    const delays: number[] = [];
    const probes = healthProbes(
      [
        probe('basic-wrong', basic, {
          credentials: { username: USER, password: WRONG },
        }),
        probe('token-wrong', token, {
          credentials: { username: USER, password: WRONG },
        }),
      ],
      { sleep: async ms => void delays.push(ms) },
    );
    for (const name of ['basic-wrong', 'token-wrong']) {
      const results = await probes.run(name);
      expect(results.map(r => [r.type, r.success, r.error?.class])).toEqual([
        ['pull', false, 'AUTHENTICATION'],
        ['push', false, 'AUTHENTICATION'],
        ['metadata', false, 'AUTHENTICATION'],
        ['authentication', false, 'AUTHENTICATION'],
      ]);
      expect(results[3].error?.message).not.toContain(WRONG);
    }
    expect(delays).toEqual([]);
    const text = await probes.metrics.registry.metrics();
    expect(text).toContain(
      'registry_exporter_success{tested_registry="token-wrong",node="node-a",type="authentication"} 0',
    );
    expect(text).toContain(
      'registry_exporter_error_count{tested_registry="token-wrong",node="node-a",type="authentication",error="AUTHENTICATION"} 1',
    );
    expect(text).toContain(
      'registry_exporter_error_count{tested_registry="basic-wrong",node="node-a",type="pull",error="SERVER_ERROR"} 0',
    );
  });

  it('asks the core for the address of every connection: a refused address is BLOCKED_HOST, and nothing connects', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end());
    server.on('connection', () => connections++);
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const refused: string[] = [];
    try {
      const probes = healthProbes(
        [
          {
            ...probe('rebound', anonymous),
            registry: `127.0.0.1:${port}`,
          },
        ],
        {
          sleep: async () => undefined,
          checkAddress: (host, address) => {
            refused.push(`${host} ${address}`);
            throw new OciError(
              'BLOCKED_HOST',
              `Registry ${host} is blocked (${address})`,
            );
          },
        },
      );
      const results = await probes.run('rebound');
      // the exporter's error label has no BLOCKED_HOST: UNKNOWN, with the client's code
      expect(
        results.map(r => [r.type, r.success, r.error?.class, r.error?.code]),
      ).toEqual([
        ['pull', false, 'UNKNOWN', 'BLOCKED_HOST'],
        ['push', false, 'UNKNOWN', 'BLOCKED_HOST'],
        ['metadata', false, 'UNKNOWN', 'BLOCKED_HOST'],
        ['authentication', false, 'UNKNOWN', 'BLOCKED_HOST'],
      ]);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every(r => r.endsWith(' 127.0.0.1'))).toBe(true);
      expect(connections).toBe(0);
    } finally {
      await new Promise(r => server.close(r));
    }
  });

  it('classifies a stopped registry as SERVER_ERROR after retries with exponential backoff, and keeps going', async () => {
    const gone = await startRegistry();
    await gone.stop();
    const delays: number[] = [];
    const probes = healthProbes(
      [probe('gone', gone, { retries: 3, retryDelay: '1ms' })],
      { sleep: async ms => void delays.push(ms) },
    );
    const results = await probes.run('gone');
    expect(results.map(r => [r.type, r.success, r.error?.class])).toEqual([
      ['pull', false, 'SERVER_ERROR'],
      ['push', false, 'SERVER_ERROR'],
      ['metadata', false, 'SERVER_ERROR'],
      ['authentication', false, 'SERVER_ERROR'],
    ]);
    // each check: 1 + 3 attempts, waiting 1, 2, 4 ms between them
    expect(delays).toEqual([1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 4]);
    // the next cycle runs again, and counts again
    await probes.run('gone');
    expect(await probes.metrics.registry.metrics()).toContain(
      `registry_exporter_error_count{tested_registry="gone",node="node-a",type="push",error="SERVER_ERROR"} 2`,
    );
    // nothing to delete, and no crash; the cleanup tries each tag once, so
    // a stopping backend waits out no backoff
    const waitsBefore = delays.length;
    await probes.shutdown();
    expect(delays).toHaveLength(waitsBefore);
    expect(probes.status().probes[0].results.map(r => r.error?.code)).toEqual([
      'SERVER_ERROR',
      'SERVER_ERROR',
      'SERVER_ERROR',
      'SERVER_ERROR',
    ]);
  });

  it('classifies a registry that never answers as TIMEOUT at the per-check timeout', async () => {
    // accepts connections, never answers
    const silent = http.createServer(() => {});
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const probes = healthProbes([
        {
          name: 'silent',
          registry: host,
          repository: 'probe/silent',
          node: 'node-a',
          timeout: '300ms',
          retries: 0,
          checks: ['authentication'],
        },
      ]);
      const started = Date.now();
      const [result] = await probes.run('silent');
      expect(result).toMatchObject({
        type: 'authentication',
        success: false,
        error: { class: 'TIMEOUT' },
      });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await probes.metrics.registry.metrics()).toContain(
        'registry_exporter_error_count{tested_registry="silent",node="node-a",type="authentication",error="TIMEOUT"} 1',
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('serves the series Prometheus scrapes', async () => {
    const probes = healthProbes([
      probe('scraped', anonymous),
      probe('scraped-wrong', basic, {
        credentials: { username: USER, password: WRONG },
        checks: ['authentication'],
      }),
    ]);
    await probes.run('scraped');
    await probes.run('scraped-wrong');
    // The module's registry as the plugin's /metrics renders it (merged
    // with the core's there: see module.test.ts).
    const merged = probes.metrics.registry;
    const server = http.createServer(async (_req, res) => {
      res.setHeader('Content-Type', merged.contentType);
      res.end(await merged.metrics());
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const prometheus = await startPrometheus({
      targets: [{ address: `127.0.0.1:${port}`, metricsPath: '/metrics' }],
    });
    try {
      await prometheus.waitFor('up', s => s.some(x => x.value === 1), 20_000);
      const success = await prometheus.query(
        'registry_exporter_success{tested_registry="scraped"}',
      );
      expect(
        success.map(s => [s.metric.type, s.metric.node, s.value]).sort(),
      ).toEqual([
        ['authentication', 'node-a', 1],
        ['metadata', 'node-a', 1],
        ['pull', 'node-a', 1],
        ['push', 'node-a', 1],
      ]);
      const errors = await prometheus.query(
        'registry_exporter_error_count{tested_registry="scraped-wrong"} > 0',
      );
      expect(errors.map(s => [s.metric.type, s.metric.error, s.value])).toEqual(
        [['authentication', 'AUTHENTICATION', 1]],
      );
      const size = await prometheus.query(
        'registry_exporter_image_size_mbytes{tested_registry="scraped",type="push"}',
      );
      expect(size[0].value).toBeCloseTo((2 * ARTIFACT_BYTES) / 1024 / 1024, 9);
      const durations = await prometheus.query(
        'registry_exporter_duration_seconds_bucket{tested_registry="scraped",type="pull",le="32"}',
      );
      expect(durations[0].value).toBe(1);
    } finally {
      await prometheus.stop();
      server.close();
      await probes.shutdown();
    }
  });
});
