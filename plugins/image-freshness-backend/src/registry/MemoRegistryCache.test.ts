import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { KnexRegistryCache } from './KnexRegistryCache';
import { MemoRegistryCache } from './MemoRegistryCache';
import type { RegistryCache } from './RegistryCache';

const databases = storeTestDatabases();
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const T0 = new Date('2026-11-22T10:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const METADATA: ImageMetadata = {
  digest: A,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  created: '2026-11-01T10:00:00.000Z',
  labels: {},
  annotations: {},
  size: 1,
  platform: { os: 'linux', architecture: 'amd64' },
};

/** The real store, with the reads that reach it counted. */
async function countedStore() {
  const store = await KnexRegistryCache.create({
    database: await databases.database('SQLITE_3'),
  });
  const reads = { tags: 0, metadata: 0 };
  const counted: RegistryCache = {
    getTagDigest: (reference, now) => {
      reads.tags++;
      return store.getTagDigest(reference, now);
    },
    putTagDigest: (...args) => store.putTagDigest(...args),
    getMetadata: (digest, platform) => {
      reads.metadata++;
      return store.getMetadata(digest, platform);
    },
    putMetadata: (...args) => store.putMetadata(...args),
  };
  return { store, counted, reads };
}

describe('MemoRegistryCache', () => {
  it('answers a tag from memory until the stored expiry, then asks the store', async () => {
    const { counted, reads } = await countedStore();
    const memo = new MemoRegistryCache(counted);
    await memo.putTagDigest('r/a:1', A, T0, minutes(60));
    for (let i = 0; i < 100; i++) {
      expect(await memo.getTagDigest('r/a:1', minutes(59))).toEqual({
        digest: A,
        expiresAt: minutes(60),
      });
    }
    expect(reads.tags).toBe(0);
    expect(await memo.getTagDigest('r/a:1', minutes(61))).toBeUndefined();
    expect(reads.tags).toBe(1);
  });

  it("keeps a stored answer another replica wrote, with the store's expiry", async () => {
    const { store, counted, reads } = await countedStore();
    await store.putTagDigest('r/a:1', B, T0, minutes(30));
    const memo = new MemoRegistryCache(counted);
    expect(await memo.getTagDigest('r/a:1', minutes(1))).toEqual({
      digest: B,
      expiresAt: minutes(30),
    });
    expect(await memo.getTagDigest('r/a:1', minutes(29))).toMatchObject({
      digest: B,
    });
    expect(reads.tags).toBe(1);
    // expired in memory: the store is asked, and its newer answer kept
    await store.putTagDigest('r/a:1', A, minutes(31), minutes(90));
    expect(await memo.getTagDigest('r/a:1', minutes(31))).toMatchObject({
      digest: A,
    });
    expect(await memo.getTagDigest('r/a:1', minutes(89))).toMatchObject({
      digest: A,
    });
    expect(reads.tags).toBe(2);
  });

  it('reads metadata from the store once per digest and platform, the first stored winning', async () => {
    const { store, counted, reads } = await countedStore();
    await store.putMetadata(A, 'linux/amd64', METADATA, T0);
    const memo = new MemoRegistryCache(counted);
    await memo.putMetadata(A, 'linux/amd64', { ...METADATA, size: 2 }, T0);
    for (let i = 0; i < 50; i++) {
      expect(await memo.getMetadata(A, 'linux/amd64')).toEqual(METADATA);
    }
    expect(reads.metadata).toBe(1);
    expect(await memo.getMetadata(A, 'linux/arm64')).toBeUndefined();
    expect(await memo.getMetadata(A, 'linux/arm64')).toBeUndefined();
    expect(reads.metadata).toBe(3);
  });

  it('holds at most maxEntries answers, the least recently used going first', async () => {
    const { counted, reads } = await countedStore();
    const memo = new MemoRegistryCache(counted, { maxEntries: 2 });
    for (const ref of ['r/a:1', 'r/a:2', 'r/a:3']) {
      await memo.putTagDigest(ref, A, T0, minutes(60));
    }
    expect(await memo.getTagDigest('r/a:3', minutes(1))).toMatchObject({
      digest: A,
    });
    expect(reads.tags).toBe(0);
    expect(await memo.getTagDigest('r/a:1', minutes(1))).toMatchObject({
      digest: A,
    });
    expect(reads.tags).toBe(1);
  });
});
