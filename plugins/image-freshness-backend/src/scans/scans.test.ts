import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { pushImage, PushedImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { Duration } from 'luxon';
import {
  createTestParts,
  entity,
  HOUR,
  testClock,
} from '../baseImages/__testUtils__/parts';
import { createRepositoryScans } from './createRepositoryScans';
import type { RepositoryScan } from './ScanStore';

jest.setTimeout(60_000);

describe('repository scans (real registry)', () => {
  let registry: TestRegistry;
  const pushed = new Map<string, PushedImage>();
  const clock = testClock('2026-11-22T10:00:00Z');

  beforeAll(async () => {
    registry = await startRegistry();
    const push = async (
      repository: string,
      tag: string,
      created = '2026-11-01T00:00:00Z',
    ) => {
      pushed.set(
        `${repository}:${tag}`,
        await pushImage(registry.url, repository, tag, {
          created,
          files: { tag, repository },
        }),
      );
    };
    for (const tag of [
      '0.9.0',
      '1.2.0',
      '1.9.3',
      '1.10.0',
      '2.0.0-rc.1',
      'latest',
      'nightly-20261101',
      'nightly-20261103',
      'nightly-20261102',
    ]) {
      await push('team/api', tag);
    }
    await push('team/api', 'build-a', '2026-11-05T00:00:00Z');
    await push('team/api', 'build-b', '2026-11-01T00:00:00Z');
    await push('team/api', 'build-c', '2026-11-09T00:00:00Z');
    await push('team/api', 'build-d'); // the same build time as build-b
    for (const tag of [
      '22.11.0-bookworm-slim',
      '22.12.0-bookworm-slim',
      '22.12.0-alpine',
      '23.0.0-bookworm-slim',
    ]) {
      await push('base/node', tag);
    }
  });
  afterAll(async () => {
    await registry?.stop();
  });

  /** The plugin's real parts on an in-memory SQLite, and the scans built on them. */
  async function setup(
    imageFreshness: JsonObject,
    registryHost = registry.host,
    period?: Duration,
  ) {
    const parts = await createTestParts({
      registryHost,
      clock,
      imageFreshness,
    });
    const config = new ConfigReader({
      imageFreshness: {
        cacheDuration: '0s',
        allowedHosts: [registryHost],
        ...imageFreshness,
      },
    });
    const scans = await createRepositoryScans({
      config,
      database: { getClient: async () => parts.knex },
      logger: mockServices.logger.mock(),
      client: parts.client,
      hosts: parts.hosts,
      resolver: parts.resolver,
      platform: 'linux/amd64',
      cacheDuration: Duration.fromMillis(0),
      discoveries: parts.store,
      period,
      now: () => clock.now,
    });
    return { parts, scans };
  }

  const tagsOf = (scan: RepositoryScan) => scan.images.map(i => i.tag);
  const tagListRequests = (repository: string) =>
    registry
      .logs()
      .filter(line => line.includes(`GET /v2/${repository}/tags/list`));

  it('keeps the tags each sort and filter allows, with digest, size and build time', async () => {
    const repository = `${registry.host}/team/api`;
    const { parts, scans } = await setup({
      scans: [
        {
          repository,
          sort: 'semver',
          include: ['^\\d'],
          exclude: ['-rc\\.'],
          limit: 3,
        },
        { repository, sort: 'semver', constraint: '<1.5', limit: 10 },
        { repository, sort: 'lexical', include: ['^nightly-'], limit: 2 },
        { repository, sort: 'newest-build', include: ['^build-'], limit: 3 },
      ],
    });
    try {
      expect(await scans.task.run()).toEqual({ scanned: 4, failed: 0 });
      const stored = await scans.store.getScans(repository);
      const bySettings = (sort: string, constraint?: string) =>
        stored.find(
          s => s.settings.sort === sort && s.settings.constraint === constraint,
        )!;

      const semver = bySettings('semver');
      expect(tagsOf(semver)).toEqual(['1.10.0', '1.9.3', '1.2.0']);
      expect(semver).toMatchObject({
        repository,
        source: 'config',
        lastScanStatus: 'Success',
        lastScanTime: clock.now,
        lastSuccessTime: clock.now,
        tagCount: 13,
        message: 'Kept 3 of 13 tags (semver, limit 3)',
      });
      // digest and size as pushed, build time from the config
      const first = pushed.get('team/api:1.10.0')!;
      expect(semver.images[0]).toEqual({
        tag: '1.10.0',
        digest: first.digest,
        size: first.size,
        created: '2026-11-01T00:00:00.000Z',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      });

      expect(tagsOf(bySettings('semver', '<1.5'))).toEqual(['1.2.0', '0.9.0']);
      expect(tagsOf(bySettings('lexical'))).toEqual([
        'nightly-20261103',
        'nightly-20261102',
      ]);
      // newest build first: the three lexically greatest build tags are read
      // (build-d, build-c, build-b), then ordered by build time
      expect(tagsOf(bySettings('newest-build'))).toEqual([
        'build-c',
        'build-d',
        'build-b',
      ]);
      expect(bySettings('newest-build').images.map(i => i.digest)).toEqual(
        ['build-c', 'build-d', 'build-b'].map(
          t => pushed.get(`team/api:${t}`)!.digest,
        ),
      );

      // nothing is due again before the interval (1h by default)
      clock.advance(HOUR / 2);
      expect(await scans.task.run()).toEqual({ scanned: 0, failed: 0 });
      clock.advance(HOUR / 2);
      expect(await scans.task.run()).toEqual({ scanned: 4, failed: 0 });
    } finally {
      await parts.close();
    }
  });

  /**
   * A repository on a registry of its own, scanned once (interval 10m), then
   * the registry goes down; `period` is the scan schedule's frequency.
   */
  async function scannedThenDown(period?: Duration) {
    const other = await startRegistry();
    try {
      await pushImage(other.url, 'team/web', '1.0.0', { files: { v: '1' } });
      const repository = `${other.host}/team/web`;
      const { parts, scans } = await setup(
        { scans: [{ repository, sort: 'semver', interval: '10m' }] },
        other.host,
        period,
      );
      const scannedAt = clock.now;
      const first = await scans.task.run();
      await other.stop();
      return {
        repository,
        scans,
        scannedAt,
        first,
        host: other.host,
        close: () => parts.close(),
      };
    } finally {
      await other.stop();
    }
  }

  it('keeps the last good result and records the error when a scan fails', async () => {
    const { repository, scans, scannedAt, host, close } =
      await scannedThenDown();
    try {
      clock.advance(11 * 60_000);
      expect(await scans.task.run()).toEqual({ scanned: 1, failed: 1 });
      const [scan] = await scans.store.getScans(repository);
      expect(scan).toMatchObject({
        lastScanStatus: 'Failed',
        lastScanTime: clock.now,
        lastSuccessTime: scannedAt,
        error: { class: 'SERVER_ERROR' },
        tagCount: 1,
      });
      expect(scan.message).toContain(host);
      expect(tagsOf(scan)).toEqual(['1.0.0']);
      expect(scan.images[0].digest).toMatch(/^sha256:/);
      // a failed scan is tried again after 5 minutes, not the full interval
      clock.advance(4 * 60_000);
      expect((await scans.task.run()).scanned).toBe(0);
      clock.advance(60_000);
      expect((await scans.task.run()).scanned).toBe(1);
    } finally {
      await close();
    }
  });

  it('tries a failed scan again one period of its schedule later', async () => {
    const { scans, first, close } = await scannedThenDown(
      Duration.fromObject({ minutes: 2 }),
    );
    try {
      expect(first).toEqual({ scanned: 1, failed: 0 });
      clock.advance(10 * 60_000);
      expect(await scans.task.run()).toEqual({ scanned: 1, failed: 1 });
      clock.advance(119_000);
      expect((await scans.task.run()).scanned).toBe(0);
      clock.advance(1000);
      expect(await scans.task.run()).toEqual({ scanned: 1, failed: 1 });
    } finally {
      await close();
    }
  });

  it("trusts a base repository's scan as its discovery until one period of the schedule past its next scan", async () => {
    await pushImage(registry.url, 'base/python', '3.12.0', {
      files: { v: '3.12.0' },
    });
    const base = `${registry.host}/base/python`;
    const { parts, scans } = await setup(
      {
        baseImages: {
          tracking: [
            { repository: base, strategy: 'SemVer', constraint: '^3' },
          ],
        },
      },
      registry.host,
      Duration.fromObject({ minutes: 2 }),
    );
    try {
      const scannedAt = clock.now;
      expect(await scans.task.run()).toEqual({ scanned: 1, failed: 0 });
      const discovery = await parts.store.getTagDiscovery(
        base,
        scans.targets[0].policy.key,
      );
      // base repositories are scanned every cacheDuration (0s here)
      expect(discovery?.checkedAt).toEqual(scannedAt);
      expect(discovery?.expiresAt).toEqual(
        new Date(scannedAt.getTime() + 2 * 60_000),
      );
    } finally {
      await parts.close();
    }
  });

  it("feeds a tracked base repository's scan to the base image's newest allowed tag", async () => {
    const base = `${registry.host}/base/node`;
    const tracking = {
      repository: base,
      strategy: 'SemVer',
      constraint: '^22',
      allowTags: ['-bookworm-slim$'],
    };
    const { parts, scans } = await setup({
      baseImages: { tracking: [tracking] },
      // the same settings under the scan's names: scanned once
      scans: [
        {
          repository: base,
          sort: 'semver',
          constraint: '^22',
          include: ['-bookworm-slim$'],
        },
      ],
    });
    try {
      expect(scans.targets).toHaveLength(1);
      expect(scans.targets[0].source).toBe('base-image');
      await scans.task.run();
      const [scan] = await scans.store.getScans(base);
      expect(tagsOf(scan)).toEqual([
        '22.12.0-bookworm-slim',
        '22.11.0-bookworm-slim',
      ]);
      await new Promise(r => setTimeout(r, 200)); // the registry logs just after answering
      const listed = tagListRequests('base/node').length;
      expect(listed).toBe(1);

      // An image built on the older base: the refresh reads the newest
      // allowed tag from the scan, without listing tags itself.
      await pushImage(registry.url, 'team/app', '1.0', {
        created: '2026-11-02T00:00:00Z',
        annotations: {
          'org.opencontainers.image.base.name': `${base}:22.11.0-bookworm-slim`,
          'org.opencontainers.image.base.digest': pushed.get(
            'base/node:22.11.0-bookworm-slim',
          )!.digest,
        },
      });
      const report = await parts.refresh(
        entity('app', [`${registry.host}/team/app:1.0`]),
      );
      expect(report.baseImages[0].base).toMatchObject({
        strategy: 'SemVer',
        newestTag: '22.12.0-bookworm-slim',
        newerTags: ['22.12.0-bookworm-slim'],
      });
      await new Promise(r => setTimeout(r, 200)); // the registry logs just after answering
      expect(tagListRequests('base/node')).toHaveLength(listed);
    } finally {
      await parts.close();
    }
  });
});
