import type { TestDatabaseId } from '@backstage/backend-test-utils';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { KnexBuildRecordStore, StoredProvenance } from './BuildRecordStore';

const databases = storeTestDatabases();

async function createStore(id: TestDatabaseId) {
  const database = await databases.database(id);
  return KnexBuildRecordStore.create({ database });
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe.each(databases.ids)('KnexBuildRecordStore on %s', id => {
  it('keeps one provenance outcome per image digest, replaced when written again', async () => {
    const store = await createStore(id);
    const found: StoredProvenance = {
      base: {
        name: 'alpine:3.20',
        digest: digest('1'),
        scratch: false,
        source: {
          kind: 'provenance',
          provenance: {
            attestation: digest('a'),
            predicateType: 'https://slsa.dev/provenance/v1',
            uri: 'pkg:docker/alpine@3.20?platform=linux%2Famd64',
            determinedBy: 'only-image',
          },
        },
      },
    };
    expect(await store.getProvenance(digest('9'))).toBeUndefined();
    await store.putProvenance(
      digest('9'),
      found,
      new Date('2026-11-22T10:00:00Z'),
    );
    await store.putProvenance(
      digest('8'),
      { none: 'its index has no attestation for it' },
      new Date('2026-11-22T10:00:00Z'),
    );
    expect(await store.getProvenance(digest('9'))).toEqual(found);
    expect(await store.getProvenance(digest('8'))).toEqual({
      none: 'its index has no attestation for it',
    });
    const error: StoredProvenance = {
      error: {
        class: 'TOO_LARGE',
        message: 'The in-toto statement is larger than allowed',
        advice: 'x',
        at: '2026-11-23T10:00:00.000Z',
      },
    };
    await store.putProvenance(
      digest('9'),
      error,
      new Date('2026-11-23T10:00:00Z'),
    );
    expect(await store.getProvenance(digest('9'))).toEqual(error);
  });

  it('keeps the last read of each Dockerfile with its ETag', async () => {
    const store = await createStore(id);
    const url = 'https://git.acme.test/shop/api/blob/main/Dockerfile';
    expect(await store.getDockerfile(url)).toBeUndefined();
    await store.putDockerfile({
      url,
      etag: '"abc"',
      content: 'FROM node:22\n',
      readAt: new Date('2026-11-22T10:00:00Z'),
    });
    await store.putDockerfile({
      url,
      etag: '"def"',
      content: 'FROM node:24\n',
      readAt: new Date('2026-11-23T10:00:00Z'),
    });
    await store.putDockerfile({
      url: `${url}.dev`,
      content: 'FROM node:24\n',
      readAt: new Date('2026-11-23T10:00:00Z'),
    });
    expect(await store.getDockerfile(url)).toEqual({
      url,
      etag: '"def"',
      content: 'FROM node:24\n',
      readAt: new Date('2026-11-23T10:00:00Z'),
    });
    expect((await store.getDockerfile(`${url}.dev`))?.etag).toBeUndefined();
  });
});
