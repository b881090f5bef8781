import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { KnexRegistryCache } from './KnexRegistryCache';

const databases = storeTestDatabases();
const DIGEST = `sha256:${'1'.repeat(64)}`;

describe.each(databases.ids)('KnexRegistryCache on %s', id => {
  it('keeps tag answers until they expire', async () => {
    const cache = await KnexRegistryCache.create({
      database: await databases.database(id),
    });
    const t0 = new Date('2026-11-22T10:00:00Z');
    await cache.putTagDigest(
      'r/a:1',
      DIGEST,
      t0,
      new Date('2026-11-22T11:00:00Z'),
    );
    expect(
      await cache.getTagDigest('r/a:1', new Date('2026-11-22T10:59:00Z')),
    ).toEqual({ digest: DIGEST, expiresAt: new Date('2026-11-22T11:00:00Z') });
    expect(
      await cache.getTagDigest('r/a:1', new Date('2026-11-22T11:01:00Z')),
    ).toBeUndefined();
  });

  it('keeps the first metadata stored for a digest and platform', async () => {
    const cache = await KnexRegistryCache.create({
      database: await databases.database(id),
    });
    const first = {
      digest: DIGEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      created: '2026-11-01T10:00:00.000Z',
      labels: {},
      annotations: {},
      size: 1,
      platform: { os: 'linux', architecture: 'amd64' },
    };
    const at = new Date('2026-11-22T10:00:00Z');
    await cache.putMetadata(DIGEST, 'linux/amd64', first, at);
    await cache.putMetadata(DIGEST, 'linux/amd64', { ...first, size: 2 }, at);
    expect(await cache.getMetadata(DIGEST, 'linux/amd64')).toEqual(first);
    expect(await cache.getMetadata(DIGEST, 'linux/arm64')).toBeUndefined();
  });
});
