import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import knexFactory, { Knex } from 'knex';
import { readImageFreshnessConfig } from '../registry/config';
import type { EntityRefreshResult } from '../refresh/EntityStore';
import { KnexEntityStore } from '../refresh/KnexEntityStore';
import { KnexScanStore } from '../scans/KnexScanStore';
import type { RepositoryScan } from '../scans/ScanStore';
import { HostPolicy } from '../registry/HostPolicy';
import {
  FakeTrivyDir,
  fakeTrivyDir,
  printReport,
  trivyReport,
} from '@internal/test/harness/fakeTrivy';
import {
  readTrivyConfig,
  TrivyScanner,
} from 'backstage-plugin-image-freshness-backend-module-trivy';
import { createVulnerabilityScanning } from './createVulnerabilityScanning';
import type { FoundContainer } from 'backstage-plugin-image-freshness-node';

jest.setTimeout(30_000);

const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** A scan of registry.example.com/team/web that kept `images`. */
const scanOf = (images: RepositoryScan['images']): RepositoryScan => ({
  repository: 'registry.example.com/team/web',
  key: 'k',
  source: 'config',
  settings: { sort: 'semver', include: [], exclude: [], limit: 2 },
  lastScanStatus: 'Success',
  images,
});

const container = (image: string, key = image): FoundContainer => ({
  key: `annotation/${key}`,
  container: 'annotation',
  workload: { kind: 'Annotation', name: 'api' },
  image,
  platform: 'linux/arm64',
});

const RESOLVED_AT = new Date('2026-11-22T10:00:00Z');

/** The api entity as a refresh stores it: each image resolved to its digest. */
const resolvedEntity = (
  images: Array<[image: string, digest: string]>,
): EntityRefreshResult => ({
  entityRef: 'component:default/api',
  info: {},
  refreshedAt: RESOLVED_AT,
  sourceErrors: [],
  containers: images.map(([image, resolved]) => ({
    ...container(image),
    outcome: { digest: resolved, resolvedAt: RESOLVED_AT },
  })),
});

describe('vulnerability summaries (a fake trivy in a temp dir; no real Trivy can be installed here)', () => {
  let fake: FakeTrivyDir;
  let knex: Knex;

  beforeAll(() => {
    fake = fakeTrivyDir();
  });
  afterAll(() => fake.remove());
  beforeEach(() => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
  });
  afterEach(async () => {
    await knex.destroy();
  });

  async function setup(options: {
    trivy?: JsonObject;
    pathDirs: string[];
    registries?: JsonObject[];
    dockerConfigFile?: string;
  }) {
    const database: DatabaseService = { getClient: async () => knex };
    const config = new ConfigReader({
      imageFreshness: {
        allowedHosts: ['registry.example.com'],
        registries: options.registries ?? [],
        ...(options.trivy ? { trivy: options.trivy } : {}),
        ...(options.dockerConfigFile
          ? { dockerConfigFile: options.dockerConfigFile }
          : {}),
      },
    });
    const settings = readImageFreshnessConfig(config);
    const freshness = await KnexEntityStore.create({ database });
    const scans = await KnexScanStore.create({ database });
    const logger = mockServices.logger.mock();
    const vulnerabilities = await createVulnerabilityScanning({
      // the Trivy module's scanner, as the backend installs it
      scanner: new TrivyScanner({
        config: readTrivyConfig(config),
        env: { ...process.env, PATH: options.pathDirs.join(':') },
      }),
      settings,
      database,
      logger,
      hosts: new HostPolicy({
        ...settings,
        // the names here are made up: never ask DNS
        resolve: async () => ['203.0.113.10'],
      }),
      freshness,
      scans,
    });
    return { vulnerabilities, freshness, scans, logger };
  }

  it('scans every digest in use once, stores counts per severity and exports them', async () => {
    fake.write(
      'trivy',
      printReport(
        trivyReport([
          { severities: ['CRITICAL', 'HIGH', 'HIGH', 'LOW'] },
          { severities: ['MEDIUM', 'UNKNOWN'] },
        ]),
      ),
    );
    const { vulnerabilities, freshness, scans, logger } = await setup({
      pathDirs: [fake.dir, '/usr/bin', '/bin'],
      trivy: { severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] },
      registries: [
        {
          host: 'registry.example.com',
          credentials: { username: 'bot', password: 's3cret' },
        },
      ],
    });
    expect(vulnerabilities.availability).toMatchObject({
      available: true,
      version: '0.58.1',
    });
    expect(logger.warn).not.toHaveBeenCalled();
    await freshness.saveEntity(
      resolvedEntity([
        ['registry.example.com/team/api:1', digest('a')],
        // the same digest under another tag is scanned once
        ['registry.example.com/team/api:latest', digest('a')],
        // loopback is blocked unless allowed: never handed to Trivy
        ['127.0.0.2:5000/team/api:1', digest('b')],
      ]),
    );
    // a scanned tag's digest, and a tag that was never read
    await scans.saveScan(
      scanOf([{ tag: '2.0.0', digest: digest('c') }, { tag: '1.0.0' }]),
    );

    expect(await vulnerabilities.task!.run()).toEqual({
      scanned: 2,
      skipped: 1,
      failed: 0,
    });
    const calls = fake.calls('trivy');
    expect(calls.map(c => c.args[c.args.length - 1]).sort()).toEqual([
      `registry.example.com/team/api@${digest('a')}`,
      `registry.example.com/team/web@${digest('c')}`,
    ]);
    expect(calls[0].args).toContain('linux/arm64');
    expect(calls[0].env).toMatchObject({
      TRIVY_USERNAME: 'bot',
      TRIVY_PASSWORD: 's3cret',
    });
    expect(await vulnerabilities.store.get(digest('a'))).toMatchObject({
      summary: {
        counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1 },
        total: 5,
        scanner: '0.58.1',
      },
    });
    expect(await vulnerabilities.store.get(digest('b'))).toMatchObject({
      summary: undefined,
      error: { class: 'BLOCKED_HOST' },
    });

    const text = await vulnerabilities.metrics.registry.metrics();
    expect(text).toContain(
      `container_image_vulnerabilities{digest="${digest(
        'a',
      )}",severity="CRITICAL"} 1`,
    );
    expect(text).toContain(
      `container_image_vulnerabilities{digest="${digest(
        'c',
      )}",severity="HIGH"} 2`,
    );
    expect(text).not.toContain(digest('b'));
    expect(text).not.toContain('UNKNOWN');
    expect(text).not.toContain('s3cret');

    // within the rescan interval nothing is scanned again
    expect(await vulnerabilities.task!.run()).toEqual({
      scanned: 0,
      skipped: 0,
      failed: 0,
    });
    expect(fake.calls('trivy')).toHaveLength(2);

    // a digest no longer in use is forgotten
    await freshness.deleteEntities(['component:default/api']);
    await vulnerabilities.task!.run();
    expect((await vulnerabilities.store.list()).map(r => r.digest)).toEqual([
      digest('c'),
    ]);
  });

  it('stops between digests when the scheduler aborts the run; the rest are scanned first next time', async () => {
    // each scan takes a moment, so the run is stopped during the first one
    fake.write(
      'trivy',
      `sleep 0.3\n${printReport(trivyReport([{ severities: ['LOW'] }]))}`,
    );
    const { vulnerabilities, freshness } = await setup({
      pathDirs: [fake.dir, '/usr/bin', '/bin'],
    });
    await freshness.saveEntity(
      resolvedEntity([
        ['registry.example.com/team/api:1', digest('a')],
        ['registry.example.com/team/api:2', digest('b')],
        ['registry.example.com/team/api:3', digest('c')],
      ]),
    );
    const before = fake.calls('trivy').length;
    const scanned = () =>
      fake
        .calls('trivy')
        .slice(before)
        .map(c => c.args[c.args.length - 1]);
    const controller = new AbortController();
    const run = vulnerabilities.task!.run(controller.signal);
    for (let i = 0; i < 200 && scanned().length === 0; i++) {
      await new Promise(r => setTimeout(r, 10));
    }
    controller.abort();
    expect(await run).toEqual({ scanned: 1, skipped: 0, failed: 0 });
    const first = scanned();
    expect(first).toHaveLength(1);

    expect(await vulnerabilities.task!.run()).toEqual({
      scanned: 2,
      skipped: 0,
      failed: 0,
    });
    expect(scanned().sort()).toEqual(
      ['a', 'b', 'c'].map(c => `registry.example.com/team/api@${digest(c)}`),
    );
    expect(scanned().slice(1)).not.toContain(first[0]);
  });

  it('hands Trivy the credentials kept for the image repository only', async () => {
    fake.write('trivy', printReport(trivyReport([{ severities: ['LOW'] }])));
    const dockerConfigFile = path.join(fake.dir, 'docker-config.json');
    fs.writeFileSync(
      dockerConfigFile,
      JSON.stringify({
        auths: {
          'registry.example.com/team': {
            auth: Buffer.from('teambot:t3am-pass').toString('base64'),
          },
        },
      }),
    );
    const { vulnerabilities, freshness } = await setup({
      pathDirs: [fake.dir, '/usr/bin', '/bin'],
      dockerConfigFile,
    });
    await freshness.saveEntity(
      resolvedEntity([
        ['registry.example.com/team/api:1', digest('a')],
        ['registry.example.com/other/api:1', digest('d')],
      ]),
    );
    await vulnerabilities.task!.run();
    const byReference = Object.fromEntries(
      fake.calls('trivy').map(c => [c.args[c.args.length - 1], c.env]),
    );
    expect(
      byReference[`registry.example.com/team/api@${digest('a')}`],
    ).toMatchObject({ TRIVY_USERNAME: 'teambot', TRIVY_PASSWORD: 't3am-pass' });
    expect(
      byReference[`registry.example.com/other/api@${digest('d')}`]
        ?.TRIVY_USERNAME,
    ).toBeUndefined();
  });

  it('skips a scan that times out with a logged reason, keeping the last good counts', async () => {
    const slow = fakeTrivyDir();
    try {
      slow.write('trivy', 'sleep 30');
      const { vulnerabilities, scans, logger } = await setup({
        pathDirs: [slow.dir, '/usr/bin', '/bin'],
        trivy: { timeout: '1s', rescanInterval: '0s' },
      });
      await scans.saveScan(scanOf([{ tag: '2.0.0', digest: digest('c') }]));
      const before = {
        counts: { CRITICAL: 3 },
        total: 3,
        scanner: '0.58.0',
        scannedAt: new Date('2026-11-21T10:00:00Z'),
      };
      await vulnerabilities.store.recordSummary(
        digest('c'),
        `registry.example.com/team/web@${digest('c')}`,
        before,
      );
      const started = Date.now();
      expect(await vulnerabilities.task!.run()).toEqual({
        scanned: 0,
        skipped: 1,
        failed: 0,
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(logger.warn).toHaveBeenCalledWith(
        'Skipped vulnerability scan: timed out',
        expect.objectContaining({
          digest: digest('c'),
          reason: expect.stringContaining('within 1 s'),
        }),
      );
      expect(await vulnerabilities.store.get(digest('c'))).toMatchObject({
        summary: before,
        error: { class: 'TIMEOUT' },
      });
      expect(await vulnerabilities.metrics.registry.metrics()).toContain(
        `container_image_vulnerabilities{digest="${digest(
          'c',
        )}",severity="CRITICAL"} 3`,
      );
    } finally {
      slow.remove();
    }
  });

  it('without trivy: one warning, the feature reported unavailable, nothing scheduled', async () => {
    const { vulnerabilities, logger } = await setup({
      pathDirs: ['/usr/local/bin', '/usr/bin', '/bin'],
    });
    expect(vulnerabilities.availability).toEqual({
      available: false,
      reason:
        'no trivy binary on the PATH; install Trivy or set imageFreshness.trivy.path',
    });
    expect(vulnerabilities.task).toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'Vulnerability summaries are unavailable: Trivy was not found; image scans go on without them',
      { reason: expect.stringContaining('no trivy binary') },
    );
    expect(await vulnerabilities.metrics.registry.metrics()).not.toContain(
      'container_image_vulnerabilities{',
    );
  });
});
