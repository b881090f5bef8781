import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import knexFactory, { Knex } from 'knex';
import { BaseImageFinder } from './BaseImageFinder';
import { createTestParts, DAY, entity, testClock } from './__testUtils__/parts';
import { FileServer, startFileServer } from './__testUtils__/fileServer';

jest.setTimeout(120_000);

const REFRESHES = 10;

describe('Dockerfiles are read only when they change (real UrlReader, ETag, a local source host)', () => {
  let registry: TestRegistry;
  let files: FileServer;
  let knex: Knex;
  let database: DatabaseService;

  beforeAll(async () => {
    [registry, files] = await Promise.all([startRegistry(), startFileServer()]);
  });
  beforeEach(() => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    database = { getClient: async () => knex };
  });
  afterEach(async () => {
    await knex.destroy();
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), files?.stop()]);
  });

  const statuses = (path: string) =>
    files
      .answers()
      .filter(a => a.path === path)
      .map(a => a.status);

  it(`downloads an unchanged Dockerfile once over ${REFRESHES} refreshes and a restart, and a changed one on the next refresh`, async () => {
    const h = registry.host;
    const clock = testClock('2026-11-21T00:00:00Z');
    await pushImage(registry.url, 'df/node', '22', { files: { v: '22' } });
    await pushImage(registry.url, 'df/node', '24', { files: { v: '24' } });
    await pushImage(registry.url, 'df/api', '1', { files: { v: 'api' } });
    const path = '/acme/df/blob/main/Dockerfile';
    files.set(path, `FROM ${h}/df/node:22 AS base\nFROM base\nCOPY . /app\n`);
    const target = entity('df', [`${h}/df/api:1`], {
      'image-freshness/dockerfile': 'Dockerfile',
      'backstage.io/source-location': `url:${files.url}/acme/df/blob/main/`,
    });
    const options = {
      registryHost: h,
      readingHost: files.host,
      clock,
      database,
    };
    let parts = await createTestParts(options);
    for (let i = 0; i < REFRESHES; i++) {
      const [row] = (await parts.refresh(target)).baseImages;
      expect(row.base).toMatchObject({
        name: `${h}/df/node:22`,
        source: { kind: 'dockerfile', dockerfile: { line: 1 } },
      });
      clock.advance(DAY);
    }
    // The first read downloads it; every later one is a conditional GET answered 304.
    expect(statuses(path)).toEqual([200, ...Array(REFRESHES - 1).fill(304)]);

    // A restart keeps what was read: still no download.
    parts = await createTestParts(options);
    expect((await parts.refresh(target)).baseImages[0].base?.name).toBe(
      `${h}/df/node:22`,
    );
    expect(statuses(path).slice(REFRESHES)).toEqual([304]);

    // A change is picked up on the next refresh.
    files.set(path, `FROM ${h}/df/node:24\nCOPY . /app\n`);
    clock.advance(DAY);
    const [changed] = (await parts.refresh(target)).baseImages;
    expect(changed.base).toMatchObject({
      name: `${h}/df/node:24`,
      source: { dockerfile: { line: 1, text: `FROM ${h}/df/node:24` } },
    });
    expect(statuses(path).slice(REFRESHES + 1)).toEqual([200]);
    clock.advance(DAY);
    await parts.refresh(target);
    expect(statuses(path).slice(REFRESHES + 2)).toEqual([304]);
  });

  it('without an ETag from the source host, or without the store, every read downloads (the old behaviour, for comparison)', async () => {
    const path = '/acme/noetag/blob/main/Dockerfile';
    files.set(path, 'FROM node:22\n');
    const target = entity('noetag', ['x'], {
      'image-freshness/dockerfile': 'Dockerfile',
      'backstage.io/source-location': `url:${files.url}/acme/noetag/blob/main/`,
    });
    const config = new ConfigReader({
      backend: { reading: { allow: [{ host: files.host }] } },
    });
    const urlReader = UrlReaders.default({
      config,
      logger: mockServices.logger.mock(),
    });
    const withoutStore = new BaseImageFinder({ urlReader });
    for (let i = 0; i < REFRESHES; i++) {
      const outcome = await withoutStore.fromDockerfile(
        target,
        'linux/amd64',
        new Date('2026-11-21T00:00:00Z'),
      );
      expect('base' in outcome && outcome.base.name).toBe('node:22');
    }
    expect(statuses(path)).toEqual(Array(REFRESHES).fill(200));

    files.useEtags(false);
    try {
      const clock = testClock('2026-11-21T00:00:00Z');
      const parts = await createTestParts({
        registryHost: registry.host,
        readingHost: files.host,
        clock,
        database,
      });
      const finder = new BaseImageFinder({ urlReader, records: parts.records });
      for (let i = 0; i < 3; i++) {
        await finder.fromDockerfile(target, 'linux/amd64', clock.now);
      }
      expect(statuses(path).slice(REFRESHES)).toEqual([200, 200, 200]);
    } finally {
      files.useEtags(true);
    }
  });
});
