import type { TestDatabaseId } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { KnexEntityStore } from '../refresh/KnexEntityStore';
import { StoredBaseImage } from './BaseImageStore';
import { KnexBaseImageStore } from './KnexBaseImageStore';

const databases = storeTestDatabases();

async function createStores(id: TestDatabaseId) {
  const database = await databases.database(id);
  const knex = await database.getClient();
  const freshness = await KnexEntityStore.create({ database });
  const bases = await KnexBaseImageStore.create({ database });
  return { knex, freshness, bases };
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const t = (iso: string) => new Date(iso);

const nodeRow: StoredBaseImage = {
  entityRef: 'component:default/api',
  image: 'r/api:1',
  platform: 'linux/amd64',
  imageDigest: digest('1'),
  imageCreated: t('2026-11-01T00:00:00Z'),
  managed: true,
  base: {
    name: 'node:22',
    reference: 'registry.example.com/library/node:22',
    tag: '22',
    source: {
      kind: 'dockerfile',
      dockerfile: {
        path: 'Dockerfile',
        url: 'http://127.0.0.1:1/repo/Dockerfile',
        line: 3,
        text: 'FROM node:22',
      },
      platform: 'linux/amd64',
    },
    strategy: 'SemVer',
    builtOnDigest: digest('a'),
    builtOnInferred: 'build-time',
    currentDigest: digest('b'),
    checkedAt: t('2026-11-22T10:00:00Z'),
    movedAt: t('2026-11-10T06:00:00Z'),
    newestTag: '23.0.0',
    newerTags: ['23.0.0'],
    newerTagSince: t('2026-11-12T00:00:00Z'),
  },
};

const externalRow: StoredBaseImage = {
  entityRef: 'component:default/api',
  image: 'r/redis:7',
  platform: 'linux/amd64',
  imageDigest: digest('2'),
  managed: false,
  noBaseReason: 'The image records no base',
};

describe.each(databases.ids)('KnexBaseImageStore on %s', id => {
  it('stores and replaces an entity base rows, keeping every fact', async () => {
    const { bases } = await createStores(id);
    await bases.saveEntityBases(
      'component:default/api',
      [nodeRow, externalRow],
      t('2026-11-22T10:00:00Z'),
    );
    expect(await bases.getEntityBases('component:default/api')).toEqual([
      nodeRow,
      externalRow,
    ]);
    await bases.saveEntityBases(
      'component:default/api',
      [externalRow],
      t('2026-11-22T11:00:00Z'),
    );
    expect(await bases.getEntityBases('component:default/api')).toEqual([
      externalRow,
    ]);
  });

  it('keeps when an error class was first seen while it repeats', async () => {
    const { bases } = await createStores(id);
    const failing = (errorClass: 'TIMEOUT' | 'NOT_FOUND', at: string) => ({
      ...nodeRow,
      error: { class: errorClass, message: 'm', advice: 'a', at },
    });
    const times = [
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T11:00:00.000Z',
      '2026-11-22T12:00:00.000Z',
    ];
    await bases.saveEntityBases(
      'component:default/api',
      [failing('TIMEOUT', times[0])],
      t(times[0]),
    );
    await bases.saveEntityBases(
      'component:default/api',
      [failing('TIMEOUT', times[1])],
      t(times[1]),
    );
    let [row] = await bases.getEntityBases('component:default/api');
    expect(row.error).toEqual({
      class: 'TIMEOUT',
      message: 'm',
      advice: 'a',
      at: times[1],
      firstSeen: times[0],
    });
    await bases.saveEntityBases(
      'component:default/api',
      [failing('NOT_FOUND', times[2])],
      t(times[2]),
    );
    [row] = await bases.getEntityBases('component:default/api');
    expect(row.error?.firstSeen).toBe(times[2]);
    await bases.saveEntityBases(
      'component:default/api',
      [nodeRow],
      t(times[2]),
    );
    [row] = await bases.getEntityBases('component:default/api');
    expect(row.error).toBeUndefined();
  });

  it('records the digest history: first sighting kept, last sighting moved', async () => {
    const { bases } = await createStores(id);
    const ref = 'registry.example.com/library/node:22';
    const see = (d: string, at: string, manifestDigest?: string) =>
      bases.recordBaseDigest({
        reference: ref,
        platform: 'linux/amd64',
        digest: d,
        manifestDigest,
        seenAt: t(at),
      });
    await see(digest('a'), '2026-11-01T00:00:00Z', digest('1'));
    await see(digest('a'), '2026-11-05T00:00:00Z', digest('1'));
    await see(digest('b'), '2026-11-10T06:00:00Z');
    await see(digest('b'), '2026-11-11T06:00:00Z');
    await bases.recordBaseDigest({
      reference: ref,
      platform: 'linux/arm64',
      digest: digest('a'),
      seenAt: t('2026-11-20T00:00:00Z'),
    });
    expect(await bases.getBaseHistory(ref, 'linux/amd64')).toEqual([
      {
        digest: digest('a'),
        manifestDigest: digest('1'),
        firstSeen: '2026-11-01T00:00:00.000Z',
        lastSeen: '2026-11-05T00:00:00.000Z',
      },
      {
        digest: digest('b'),
        manifestDigest: undefined,
        firstSeen: '2026-11-10T06:00:00.000Z',
        lastSeen: '2026-11-11T06:00:00.000Z',
      },
    ]);
    expect(await bases.getBaseHistory(ref, 'linux/arm64')).toHaveLength(1);
    expect(await bases.getBaseHistory('other:1', 'linux/amd64')).toEqual([]);
  });

  it('stores tag discoveries per repository and policy', async () => {
    const { bases } = await createStores(id);
    const record = {
      repository: 'registry.example.com/library/node',
      policyKey: 'k1',
      candidates: [
        { tag: '22.12.0', firstSeen: '2026-11-20T00:00:00.000Z' },
        {
          tag: '22.11.0',
          firstSeen: '2026-11-01T00:00:00.000Z',
          digest: digest('c'),
          created: '2026-10-30T00:00:00.000Z',
        },
      ],
      checkedAt: t('2026-11-22T10:00:00Z'),
      expiresAt: t('2026-11-22T11:00:00Z'),
    };
    await bases.putTagDiscovery(record);
    expect(
      await bases.getTagDiscovery('registry.example.com/library/node', 'k1'),
    ).toEqual(record);
    expect(
      await bases.getTagDiscovery('registry.example.com/library/node', 'k2'),
    ).toBeUndefined();
    await bases.putTagDiscovery({ ...record, candidates: [] });
    expect(
      (await bases.getTagDiscovery('registry.example.com/library/node', 'k1'))
        ?.candidates,
    ).toEqual([]);
  });

  it('lists every base row of entities that still have data, and deletes entities', async () => {
    const { bases, freshness } = await createStores(id);
    const at = t('2026-11-22T10:00:00Z');
    for (const entityRef of [
      'component:default/api',
      'component:default/gone',
    ]) {
      await bases.saveEntityBases(entityRef, [{ ...nodeRow, entityRef }], at);
    }
    await freshness.saveEntity({
      entityRef: 'component:default/api',
      info: {},
      containers: [],
      sourceErrors: [],
      refreshedAt: at,
    });
    expect(
      (await bases.listAllBaseImages()).map(r => [r.entityRef, r.base?.name]),
    ).toEqual([['component:default/api', 'node:22']]);
    await bases.deleteEntities([
      'component:default/api',
      'component:default/gone',
    ]);
    expect(await bases.getEntityBases('component:default/gone')).toEqual([]);
    expect(await bases.listAllBaseImages()).toEqual([]);
  });

  it('lists every entity a page at a time, each entity whole, in the order the database sorts them', async () => {
    const { bases, freshness, knex } = await createStores(id);
    const at = t('2026-11-22T10:00:00Z');
    // 450 entities: three pages; mixed case, so a collation that is not
    // byte order (PostgreSQL's) orders them otherwise than JavaScript does
    const entityRefs = Array.from(
      { length: 450 },
      (_, i) => `component:default/${i % 2 ? 'Svc' : 'svc'}-${i}`,
    );
    const rowsOf = (entityRef: string): StoredBaseImage[] =>
      ['a/one:1', 'b/two:2'].map(image => ({ ...nodeRow, entityRef, image }));
    await Promise.all(
      entityRefs.map(async entityRef => {
        await bases.saveEntityBases(entityRef, rowsOf(entityRef), at);
        await freshness.saveEntity({
          entityRef,
          info: {},
          containers: [],
          sourceErrors: [],
          refreshedAt: at,
        });
      }),
    );
    // base rows without data (left the catalog) inside a page's range
    const gone = 'component:default/svc-2000';
    await bases.saveEntityBases(gone, rowsOf(gone), at);
    const sorted = (
      (await knex('entity_refreshes')
        .orderBy('entity_ref')
        .select('entity_ref')) as Array<{ entity_ref: string }>
    ).map(r => r.entity_ref);
    const listed = await bases.listAllBaseImages();
    expect(listed).toEqual(sorted.flatMap(rowsOf));
    expect(listed.some(r => r.entityRef === gone)).toBe(false);
  });

  it('migrates down and up again', async () => {
    const { knex } = await createStores(id);
    const directory = resolvePackagePath(
      'backstage-plugin-image-freshness-backend',
      'migrations',
    );
    await knex.migrate.down({
      directory,
      name: '20261122010000_base_images.js',
    });
    expect(await knex.schema.hasTable('entity_base_images')).toBe(false);
    expect(await knex.schema.hasTable('base_digest_history')).toBe(false);
    expect(await knex.schema.hasTable('base_tag_discoveries')).toBe(false);
    expect(await knex.schema.hasTable('entity_containers')).toBe(true);
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('entity_base_images')).toBe(true);
  });
});

describe.each(databases.ids)('KnexBaseImageStore saves on %s', id => {
  /** Base rows of 30 entities; svc-0's external image failing with `errorClass`. */
  const saves = (errorClass: 'NOT_FOUND' | 'TIMEOUT', at: Date) =>
    Array.from({ length: 30 }, (_, e) => {
      const entityRef = `component:default/svc-${e}`;
      return {
        entityRef,
        rows: [
          { ...nodeRow, entityRef },
          {
            ...externalRow,
            entityRef,
            error:
              e === 0
                ? {
                    class: errorClass,
                    message: 'r/redis:7 failed',
                    advice: 'retry',
                    at: at.toISOString(),
                  }
                : undefined,
          },
        ],
        at,
      };
    });

  it('stores concurrent saves as saved one by one, in a handful of statements', async () => {
    const { knex, bases } = await createStores(id);
    const other = await createStores(id);
    const t1 = t('2026-11-22T10:00:00Z');
    const t2 = t('2026-11-22T10:30:00Z');
    const first = saves('NOT_FOUND', t1);
    // the second pass: the same error again, svc-1 without its external
    // image, svc-2 saved twice in one group
    const second = saves('NOT_FOUND', t2);
    second[1] = { ...second[1], rows: second[1].rows.slice(0, 1) };
    const again = { ...second[2], rows: second[2].rows.slice(1) };
    await Promise.all(
      first.map(s => bases.saveEntityBases(s.entityRef, s.rows, s.at)),
    );
    let statements = 0;
    const count = () => statements++;
    knex.on('query', count);
    await Promise.all(
      [...second, again].map(s =>
        bases.saveEntityBases(s.entityRef, s.rows, s.at),
      ),
    );
    knex.removeListener('query', count);
    for (const s of [...first, ...second, again]) {
      await other.bases.saveEntityBases(s.entityRef, s.rows, s.at);
    }

    const byEntity = async (store: KnexBaseImageStore) =>
      Promise.all(first.map(s => store.getEntityBases(s.entityRef)));
    const stored = await byEntity(bases);
    expect(stored).toEqual(await byEntity(other.bases));
    expect(stored[0][1].error).toMatchObject({
      class: 'NOT_FOUND',
      firstSeen: t1.toISOString(),
    });
    expect(stored[1].map(r => r.image)).toEqual(['r/api:1']);
    expect(stored[2].map(r => r.image)).toEqual(['r/redis:7']);
    // 31 saves: a few statements per group, not three per entity
    expect(statements).toBeLessThan(31);
  });

  it('moves only the check time of base rows found as stored: no upsert, and the data a whole write gives', async () => {
    const { knex, bases } = await createStores(id);
    const t1 = t('2026-11-22T10:00:00Z');
    const t2 = t('2026-11-22T10:30:00Z');
    /** A pass at `at`: the node bases checked then, svc-0's external image failing. */
    const pass = (at: Date) =>
      saves('NOT_FOUND', at).map(s => ({
        ...s,
        rows: s.rows.map(r =>
          r.base ? { ...r, base: { ...r.base, checkedAt: at } } : r,
        ),
      }));
    const save = (s: ReturnType<typeof pass>[number]) =>
      bases.saveEntityBases(s.entityRef, s.rows, s.at);
    const byEntity = () =>
      Promise.all(pass(t1).map(s => bases.getEntityBases(s.entityRef)));
    await Promise.all(pass(t1).map(save));
    const before = await byEntity();
    const sql: string[] = [];
    const record = (query: { sql: string }) => sql.push(query.sql);
    knex.on('query', record);
    await Promise.all(pass(t2).map(save));
    knex.removeListener('query', record);

    expect(await byEntity()).toEqual(
      before.map(rows =>
        rows.map(r => {
          if (r.base) return { ...r, base: { ...r.base, checkedAt: t2 } };
          return r.error
            ? { ...r, error: { ...r.error, at: t2.toISOString() } }
            : r;
        }),
      ),
    );
    // svc-0's failing row (its error names its time) is written whole; the
    // 30 checked bases only have their times moved, in one statement; the
    // 29 rows without a base, found as stored, are not written at all
    const upserts = sql.filter(q => /^insert into .entity_base_images/.test(q));
    const touches = sql.filter(q => /^update .entity_base_images/.test(q));
    expect(upserts).toHaveLength(1);
    expect(touches).toHaveLength(1);
  });
});
