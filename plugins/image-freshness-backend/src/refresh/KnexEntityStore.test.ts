import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { TestDatabaseId } from '@backstage/backend-test-utils';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { EntityRefreshResult } from './EntityStore';
import { KnexEntityStore } from './KnexEntityStore';
import { KnexRegistryCache } from '../registry/KnexRegistryCache';
import type { FoundContainer } from 'backstage-plugin-image-freshness-node';

const databases = storeTestDatabases();

async function createStores(id: TestDatabaseId) {
  const database = await databases.database(id);
  return {
    store: await KnexEntityStore.create({ database }),
    cache: await KnexRegistryCache.create({ database }),
  };
}

const metadata: ImageMetadata = {
  digest: `sha256:${'1'.repeat(64)}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  created: '2026-11-01T10:00:00.000Z',
  labels: { 'org.opencontainers.image.source': 'https://example.com/api' },
  annotations: {},
  size: 1234,
  platform: { os: 'linux', architecture: 'amd64' },
};

/** The stores, with `metadata` cached for linux/amd64. */
async function storesWithMetadata(id: TestDatabaseId) {
  const stores = await createStores(id);
  await stores.cache.putMetadata(
    metadata.digest,
    'linux/amd64',
    metadata,
    new Date(),
  );
  return stores;
}

const entity = (
  entityRef: string,
  containers: EntityRefreshResult['containers'],
  sourceErrors: EntityRefreshResult['sourceErrors'],
  refreshedAt: Date,
): EntityRefreshResult => ({
  entityRef,
  info: { owner: 'group:default/team-a', lifecycle: 'production' },
  containers,
  sourceErrors,
  refreshedAt,
});

const container = (image: string): FoundContainer => ({
  key: `annotation/${image}`,
  container: 'annotation',
  workload: { kind: 'Annotation', name: 'api' },
  image,
  platform: 'linux/amd64',
});

describe.each(databases.ids)('KnexEntityStore on %s', id => {
  it('stores containers with their metadata, and keeps the last good digest beside a new error', async () => {
    const { store } = await storesWithMetadata(id);
    const api = container('r/api:1');
    const worker = container('r/worker:1');
    await store.saveEntity(
      entity(
        'component:default/api',
        [
          {
            ...api,
            outcome: {
              digest: metadata.digest,
              resolvedAt: new Date('2026-11-22T10:00:00Z'),
            },
          },
          {
            ...worker,
            outcome: {
              error: {
                class: 'NOT_FOUND',
                message: 'r/worker:1 not found',
                advice: 'push it',
                at: '2026-11-22T10:00:00Z',
              },
            },
          },
        ],
        [],
        new Date('2026-11-22T10:00:00Z'),
      ),
    );
    await store.saveEntity(
      entity(
        'component:default/api',
        [
          {
            ...api,
            outcome: {
              error: {
                class: 'TIMEOUT',
                message: 'slow',
                advice: 'wait',
                at: '2026-11-22T11:00:00Z',
              },
            },
          },
        ],
        [
          {
            class: 'UNKNOWN',
            message: 'cluster down',
            advice: 'see logs',
            at: '2026-11-22T11:00:00Z',
            source: 'kubernetes',
          },
        ],
        new Date('2026-11-22T11:00:00Z'),
      ),
    );
    const stored = await store.getEntity('component:default/api');
    expect(stored?.refreshedAt.toISOString()).toBe('2026-11-22T11:00:00.000Z');
    expect(stored?.errors.map(e => e.source)).toEqual(['kubernetes']);
    expect(stored?.containers).toHaveLength(1); // the worker is gone
    const [row] = stored!.containers;
    expect(row.digest).toBe(metadata.digest);
    expect(row.resolvedAt?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(row.error?.class).toBe('TIMEOUT');
    expect(row.metadata).toEqual(metadata);
  });

  it('keeps the containers of a source that could not be read, and removes the others no longer found', async () => {
    const { store } = await storesWithMetadata(id);
    const onCluster = (clusterName: string, name: string): FoundContainer => ({
      key: `${clusterName}/shop/Deployment/${name}/{.spec.template.spec.containers[0]}`,
      container: name,
      workload: {
        cluster: clusterName,
        namespace: 'shop',
        kind: 'Deployment',
        name,
        jsonpath: '{.spec.template.spec.containers[0]}',
      },
      image: `r/${name}:1`,
      platform: 'linux/amd64',
      runningDigest: metadata.digest,
    });
    const resolved = (c: FoundContainer, at: string) => ({
      ...c,
      outcome: { digest: metadata.digest, resolvedAt: new Date(at) },
    });
    const t0 = '2026-11-22T10:00:00Z';
    const t1 = '2026-11-22T11:00:00Z';
    const euApi = onCluster('eu-west', 'api');
    const usApi = onCluster('us-east', 'api');
    const euOld = onCluster('eu-west', 'old');
    const docs = container('r/docs:1');
    await store.saveEntity(
      entity(
        'component:default/api',
        [euApi, usApi, euOld, docs].map(c => resolved(c, t0)),
        [],
        new Date(t0),
      ),
    );
    // us-east failed: its container stays; eu-west answered without `old`,
    // and the annotation no longer declares docs: both are removed.
    await store.saveEntity({
      ...entity(
        'component:default/api',
        [resolved(euApi, t1)],
        [
          {
            class: 'AUTHENTICATION',
            message: 'Kubernetes cluster "us-east" answered 401',
            advice: 'renew',
            at: t1,
            source: 'kubernetes:us-east',
          },
        ],
        new Date(t1),
      ),
      unread: c => c.workload.cluster === 'us-east',
    });
    const stored = await store.getEntity('component:default/api');
    expect(stored?.containers.map(c => c.key).sort()).toEqual(
      [euApi.key, usApi.key].sort(),
    );
    const kept = stored!.containers.find(c => c.key === usApi.key)!;
    expect(kept).toMatchObject({
      ...usApi,
      digest: metadata.digest,
      metadata,
    });
    expect(kept.resolvedAt?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(stored?.errors.map(e => e.source)).toEqual(['kubernetes:us-east']);
  });

  it('keeps when an error class was first seen while it repeats', async () => {
    const { store } = await createStores(id);
    const api = container('r/api:1');
    const fail = (errorClass: 'TIMEOUT' | 'NOT_FOUND', at: string) => ({
      ...api,
      outcome: {
        error: { class: errorClass, message: 'm', advice: 'a', at },
      },
    });
    const times = [
      '2026-11-22T10:00:00Z',
      '2026-11-22T11:00:00Z',
      '2026-11-22T12:00:00Z',
    ];
    await store.saveEntity(
      entity(
        'component:default/api',
        [fail('TIMEOUT', times[0])],
        [],
        new Date(times[0]),
      ),
    );
    await store.saveEntity(
      entity(
        'component:default/api',
        [fail('TIMEOUT', times[1])],
        [],
        new Date(times[1]),
      ),
    );
    let [row] = (await store.getEntity('component:default/api'))!.containers;
    expect(row.error?.firstSeen).toBe('2026-11-22T10:00:00.000Z');
    expect(row.error?.at).toBe(times[1]);
    await store.saveEntity(
      entity(
        'component:default/api',
        [fail('NOT_FOUND', times[2])],
        [],
        new Date(times[2]),
      ),
    );
    [row] = (await store.getEntity('component:default/api'))!.containers;
    expect(row.error?.class).toBe('NOT_FOUND');
    expect(row.error?.firstSeen).toBe('2026-11-22T12:00:00.000Z');
  });

  it('rate-limits manual refreshes per entity', async () => {
    const { store } = await createStores(id);
    const t0 = new Date('2026-11-22T10:00:00Z');
    const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
    expect(
      await store.claimManualRefresh('component:default/a', t0, 60_000),
    ).toEqual({ claimed: true });
    expect(
      await store.claimManualRefresh('component:default/a', later(20), 60_000),
    ).toEqual({
      claimed: false,
      retryAfterMs: 40_000,
    });
    expect(
      await store.claimManualRefresh('component:default/b', later(20), 60_000),
    ).toEqual({ claimed: true });
    expect(
      await store.claimManualRefresh('component:default/a', later(60), 60_000),
    ).toEqual({ claimed: true });
  });

  it('lists and deletes entities', async () => {
    const { store } = await createStores(id);
    for (const ref of ['component:default/a', 'component:default/b']) {
      await store.saveEntity(entity(ref, [], [], new Date()));
    }
    expect((await store.listEntityRefs()).sort()).toEqual([
      'component:default/a',
      'component:default/b',
    ]);
    const all = await store.getAllEntities();
    expect(all.map(e => [e.entityRef, e.info.owner])).toEqual([
      ['component:default/a', 'group:default/team-a'],
      ['component:default/b', 'group:default/team-a'],
    ]);
    await store.deleteEntities(['component:default/a']);
    expect(await store.listEntityRefs()).toEqual(['component:default/b']);
    expect(await store.getEntity('component:default/a')).toBeUndefined();
  });

  it('reads every entity a page at a time, each as a read of it alone gives it', async () => {
    const { store } = await storesWithMetadata(id);
    // 450 entities (three pages), mixed case: see listAllBaseImages' test
    const entityRefs = Array.from(
      { length: 450 },
      (_, i) => `component:default/${i % 2 ? 'Api' : 'api'}-${i}`,
    );
    const resolvedAt = new Date('2026-11-22T10:00:00Z');
    await Promise.all(
      entityRefs.map((ref, i) =>
        store.saveEntity(
          entity(
            ref,
            [`r/a-${i}:1`, `r/b-${i}:1`].map(image => ({
              ...container(image),
              outcome: { digest: metadata.digest, resolvedAt },
            })),
            [],
            resolvedAt,
          ),
        ),
      ),
    );
    const all = await store.getAllEntities();
    expect(all.map(e => e.entityRef).sort()).toEqual([...entityRefs].sort());
    for (const ref of entityRefs) {
      const alone = await store.getEntity(ref);
      expect(alone?.containers).toHaveLength(2);
      expect(all.find(e => e.entityRef === ref)).toEqual(alone);
    }
  });

  it('finds the entities whose containers point at or run a digest', async () => {
    const { store } = await createStores(id);
    const [d1, d2, d3] = ['1', '2', '3'].map(c => `sha256:${c.repeat(64)}`);
    const resolved = (image: string, digest: string, running?: string) => ({
      ...container(image),
      runningDigest: running,
      outcome: { digest, resolvedAt: new Date() },
    });
    await store.saveEntity(
      entity('component:default/a', [resolved('r/a:1', d1)], [], new Date()),
    );
    await store.saveEntity(
      entity(
        'component:default/b',
        [resolved('r/a:1', d1), resolved('r/b:1', d2, d3)],
        [],
        new Date(),
      ),
    );
    expect(await store.entityRefsWithDigest(d1)).toEqual([
      'component:default/a',
      'component:default/b',
    ]);
    expect(await store.entityRefsWithDigest(d3)).toEqual([
      'component:default/b',
    ]);
    expect(
      await store.entityRefsWithDigest(`sha256:${'9'.repeat(64)}`),
    ).toEqual([]);
  });

  it('keeps the refresh work list: new entities first, then the longest since processed, a refresh counting as processed', async () => {
    const { store } = await createStores(id);
    const at = (iso: string) => new Date(`2026-11-24T${iso}Z`);
    const due = (iso: string, limit = 10) =>
      store.listDueEntities({ dueBefore: at(iso), limit });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(
      n => `component:default/${n}`,
    );
    await store.markEntityProcessed(a, at('09:00:00'));
    await store.saveEntity(entity(b, [], [], at('08:00:00')));
    await store.queueEntities([d, c, a, b]);
    // queueing again keeps the processed times; c and d are new
    expect(await due('10:00:00')).toEqual([c, d, b, a]);
    expect(await due('10:00:00', 3)).toEqual([c, d, b]);
    expect(await due('08:59:59')).toEqual([c, d, b]);
    expect(await due('07:59:59')).toEqual([c, d]);
    // processed at the boundary is due; processing moves an entity back in line
    await store.markEntityProcessed(c, at('09:30:00'));
    expect(await due('09:30:00')).toEqual([d, b, a, c]);
    await store.saveEntity(entity(d, [], [], at('09:45:00')));
    expect(await due('09:40:00')).toEqual([b, a, c]);
    expect(await store.listEntityRefs()).toEqual([a, b, c, d]);
    // deleted entities leave the work list too
    await store.deleteEntities([a, c]);
    expect(await due('10:00:00')).toEqual([b, d]);
    expect(await store.listEntityRefs()).toEqual([b, d]);
    // more than one insert's worth at once
    const many = Array.from(
      { length: 1000 },
      (_, i) => `component:default/m${String(i).padStart(4, '0')}`,
    );
    await store.queueEntities(many);
    expect(await due('10:00:00', 2000)).toEqual([...many, b, d]);
  });

  it('migrates: entities refreshed before the work list keep their last refresh, and down removes it', async () => {
    const database = await databases.database(id);
    const knex = await database.getClient();
    const directory = resolvePackagePath(
      'backstage-plugin-image-freshness-backend',
      'migrations',
    );
    const name = '20261124000000_entity_refresh_queue.js';
    await KnexEntityStore.create({ database });
    await knex.migrate.down({ directory, name });
    expect(await knex.schema.hasTable('entity_refresh_queue')).toBe(false);
    const refreshedAt = new Date('2026-11-23T12:00:00Z');
    await knex('entity_refreshes').insert({
      entity_ref: 'component:default/old',
      refreshed_at: refreshedAt,
      errors: '[]',
    });
    await knex.migrate.up({ directory, name });
    const store = await KnexEntityStore.create({ database });
    await store.queueEntities([
      'component:default/new',
      'component:default/old',
    ]);
    const due = (iso: string) =>
      store.listDueEntities({ dueBefore: new Date(iso), limit: 10 });
    expect(await due('2026-11-23T11:59:59Z')).toEqual([
      'component:default/new',
    ]);
    expect(await due('2026-11-23T12:00:00Z')).toEqual([
      'component:default/new',
      'component:default/old',
    ]);
  });
});

describe.each(databases.ids)('KnexEntityStore saves on %s', id => {
  /** 40 entities × 3 containers, the first one's last container failing. */
  const results = (at: Date, errorClass: 'NOT_FOUND' | 'TIMEOUT') =>
    Array.from({ length: 40 }, (_, e) =>
      entity(
        `component:default/svc-${e}`,
        [0, 1, 2].map(c => ({
          ...container(`r/svc-${e}-${c}:1`),
          outcome:
            e === 0 && c === 2
              ? {
                  error: {
                    class: errorClass,
                    message: `r/svc-0-2:1 failed`,
                    advice: 'retry',
                    at: at.toISOString(),
                  },
                }
              : { digest: metadata.digest, resolvedAt: at },
        })),
        [],
        at,
      ),
    );

  it('stores concurrent saves as saved one by one, in a handful of statements', async () => {
    const database = await databases.database(id);
    const knex = await database.getClient();
    const grouped = await KnexEntityStore.create({ database });
    const t1 = new Date('2026-11-22T10:00:00Z');
    const t2 = new Date('2026-11-22T10:30:00Z');
    await Promise.all(results(t1, 'NOT_FOUND').map(r => grouped.saveEntity(r)));
    let statements = 0;
    const count = () => statements++;
    knex.on('query', count);
    // the second run: the same error class again (first seen kept), one
    // container gone from svc-1, svc-2 saved twice in the same group
    const second = results(t2, 'NOT_FOUND');
    second[1] = { ...second[1], containers: second[1].containers.slice(0, 2) };
    const again = { ...second[2], containers: second[2].containers.slice(1) };
    await Promise.all([...second, again].map(r => grouped.saveEntity(r)));
    knex.removeListener('query', count);

    const other = await createStores(id);
    for (const r of results(t1, 'NOT_FOUND')) await other.store.saveEntity(r);
    for (const r of [...second, again]) await other.store.saveEntity(r);

    const stored = await grouped.getAllEntities();
    expect(stored).toEqual(await other.store.getAllEntities());
    expect(stored).toHaveLength(40);
    const failing = stored[0].containers.find(c => c.error);
    expect(failing?.error).toMatchObject({
      class: 'NOT_FOUND',
      firstSeen: t1.toISOString(),
    });
    expect(
      stored.find(s => s.entityRef === 'component:default/svc-1')?.containers,
    ).toHaveLength(2);
    expect(
      stored
        .find(s => s.entityRef === 'component:default/svc-2')
        ?.containers.map(c => c.image),
    ).toEqual(['r/svc-2-1:1', 'r/svc-2-2:1']);
    // 41 saves: a few statements per group, not five per entity
    expect(statements).toBeLessThan(41);
  });

  it('moves only the times of containers found as stored: no upsert, and the data a whole write gives', async () => {
    const database = await databases.database(id);
    const knex = await database.getClient();
    const store = await KnexEntityStore.create({ database });
    const t1 = new Date('2026-11-22T10:00:00Z');
    const t2 = new Date('2026-11-22T10:30:00Z');
    await Promise.all(results(t1, 'NOT_FOUND').map(r => store.saveEntity(r)));
    const before = await store.getAllEntities();
    const sql: string[] = [];
    const record = (query: { sql: string }) => sql.push(query.sql);
    knex.on('query', record);
    // the same containers, digests and error class half an hour later
    await Promise.all(results(t2, 'NOT_FOUND').map(r => store.saveEntity(r)));
    knex.removeListener('query', record);

    // confirmed at the second run; the failing one's new error, its first
    // sighting and last good digest kept
    expect(await store.getAllEntities()).toEqual(
      before.map(e => ({
        ...e,
        refreshedAt: t2,
        containers: e.containers.map(c =>
          c.error
            ? { ...c, error: { ...c.error, at: t2.toISOString() } }
            : { ...c, resolvedAt: t2 },
        ),
      })),
    );
    // the failing container's error names its time, so it is written again;
    // the 119 others only have their times moved, in one statement
    const upserts = sql.filter(q => /^insert into .entity_containers/.test(q));
    const touches = sql.filter(q => /^update .entity_containers/.test(q));
    expect(upserts).toHaveLength(1);
    expect(touches).toHaveLength(1);
  });
});
