import { KnexScanStore } from './KnexScanStore';
import type { RepositoryScan } from './ScanStore';
import { storeTestDatabases } from '../__testUtils__/testDatabases';

const databases = storeTestDatabases();

const digest = (c: string) => `sha256:${c.repeat(64)}`;

const scan: RepositoryScan = {
  repository: 'registry.example.com/team/api',
  key: 'a'.repeat(32),
  source: 'config',
  settings: {
    sort: 'semver',
    constraint: '^1',
    include: ['^\\d'],
    exclude: ['-rc'],
    limit: 2,
  },
  lastScanTime: new Date('2026-11-22T10:00:00Z'),
  lastSuccessTime: new Date('2026-11-22T10:00:00Z'),
  lastScanStatus: 'Success',
  message: 'Kept 2 of 5 tags (semver, limit 2)',
  tagCount: 5,
  images: [
    {
      tag: '1.2.0',
      digest: digest('1'),
      size: 1234,
      created: '2026-11-01T00:00:00.000Z',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    },
    {
      tag: '1.1.0',
      digest: digest('2'),
      error: {
        class: 'NOT_FOUND',
        message: 'gone',
        advice: 'push it',
        at: '2026-11-22T10:00:00.000Z',
      },
    },
  ],
};

describe.each(databases.ids)('KnexScanStore on %s', id => {
  it('stores scans with every fact, replaces them, and forgets the unconfigured', async () => {
    const store = await KnexScanStore.create({
      database: await databases.database(id),
    });
    const base: RepositoryScan = {
      ...scan,
      key: 'b'.repeat(32),
      source: 'base-image',
      lastScanStatus: 'Failed',
      lastScanTime: new Date('2026-11-22T11:00:00Z'),
      error: {
        class: 'SERVER_ERROR',
        message: 'down',
        advice: 'later',
        at: '2026-11-22T11:00:00.000Z',
      },
      message: 'down',
    };
    await store.saveScan(scan);
    await store.saveScan(base);
    await store.saveScan({
      ...scan,
      repository: 'registry.example.com/team/web',
      images: [],
      tagCount: undefined,
      lastSuccessTime: undefined,
    });

    const stored = await store.getScans(scan.repository);
    expect(stored).toEqual([base, scan]);
    expect(await store.getScans('registry.example.com/nothing')).toEqual([]);

    const replaced = { ...scan, images: [], tagCount: 0, message: 'none' };
    await store.saveScan(replaced);
    expect((await store.getScans(scan.repository))[1]).toEqual(replaced);

    expect(
      await store.deleteScansExcept([
        { repository: scan.repository, key: scan.key },
      ]),
    ).toBe(2);
    expect(await store.listScans()).toEqual([replaced]);
  });
});
