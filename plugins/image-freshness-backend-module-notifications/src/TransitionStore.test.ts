/**
 * The transition store on SQLite and PostgreSQL: a claim succeeds once per
 * entity, kind and image (a second replica's or a restarted backend's claim
 * of the same transition fails), a release lets the next transition be
 * claimed again, and the module's migrations live beside the core's.
 */
import { storeTestDatabases } from '@internal/test/harness/testDatabases';
import { KnexTransitionStore, MIGRATIONS_TABLE } from './TransitionStore';

jest.setTimeout(60_000);

const databases = storeTestDatabases();
const AT = new Date('2026-12-07T08:00:00.000Z');

describe.each(databases.ids)('KnexTransitionStore on %s', id => {
  it('claims a transition once, for every store on the database', async () => {
    const database = await databases.database(id);
    const store = await KnexTransitionStore.create({ database });
    const transition = {
      entityRef: 'component:default/payments',
      kind: 'stale' as const,
      image: 'ghcr.io/acme/payments:1.0',
      ownerRef: 'group:default/team-a',
      notifiedAt: AT,
    };
    expect(await store.claim(transition)).toBe(true);
    expect(await store.claim(transition)).toBe(false);
    // a second replica, or the backend after a restart
    const other = await KnexTransitionStore.create({ database });
    expect(await other.claim({ ...transition, ownerRef: 'group:x/y' })).toBe(
      false,
    );
    // another kind, image or entity is another transition
    expect(await other.claim({ ...transition, kind: 'rebuild-due' })).toBe(
      true,
    );
    expect(
      await other.claim({ ...transition, image: 'ghcr.io/acme/payments:1.1' }),
    ).toBe(true);
    expect(
      await other.claim({ ...transition, entityRef: 'component:default/cart' }),
    ).toBe(true);

    expect(await store.list('component:default/payments')).toEqual([
      {
        entityRef: 'component:default/payments',
        kind: 'rebuild-due',
        image: 'ghcr.io/acme/payments:1.0',
        ownerRef: 'group:default/team-a',
        notifiedAt: AT,
      },
      { ...transition },
      { ...transition, image: 'ghcr.io/acme/payments:1.1' },
    ]);
  });

  it('lets a released transition be claimed again, and ignores unknown keys', async () => {
    const database = await databases.database(id);
    const store = await KnexTransitionStore.create({ database });
    const key = {
      entityRef: 'component:default/payments',
      kind: 'stale' as const,
      image: 'ghcr.io/acme/payments:1.0',
    };
    const transition = { ...key, ownerRef: 'user:default/ada', notifiedAt: AT };
    await store.claim(transition);
    await store.claim({ ...transition, kind: 'rebuild-due' });
    await store.release([
      key,
      { ...key, entityRef: 'component:default/unknown' },
    ]);
    expect(
      (await store.list(key.entityRef)).map(t => `${t.kind} ${t.image}`),
    ).toEqual(['rebuild-due ghcr.io/acme/payments:1.0']);
    expect(await store.claim(transition)).toBe(true);
    await store.release([]);
    expect(await store.list(key.entityRef)).toHaveLength(2);
  });

  it('lists the entities with transitions and forgets whole entities', async () => {
    const database = await databases.database(id);
    const store = await KnexTransitionStore.create({ database });
    const transition = {
      entityRef: 'component:default/a',
      kind: 'stale' as const,
      image: 'ghcr.io/acme/a:1',
      ownerRef: 'group:default/team-a',
      notifiedAt: AT,
    };
    for (const entityRef of ['component:default/b', 'component:default/a']) {
      await store.claim({ ...transition, entityRef });
      await store.claim({ ...transition, entityRef, kind: 'rebuild-due' });
    }
    expect(await store.listEntityRefs()).toEqual([
      'component:default/a',
      'component:default/b',
    ]);
    await store.releaseEntities(['component:default/a', 'component:default/x']);
    expect(await store.listEntityRefs()).toEqual(['component:default/b']);
    expect(await store.list('component:default/b')).toHaveLength(2);
  });

  it('keeps its migrations in a table of its own, beside the core plugin', async () => {
    const database = await databases.database(id);
    await KnexTransitionStore.create({ database });
    const knex = await database.getClient();
    const applied = await knex(MIGRATIONS_TABLE).select('name');
    expect(applied.map(row => row.name)).toEqual([
      '20261207000000_notification_transitions.js',
    ]);
    // the core's own migrations table is untouched
    expect(await knex.schema.hasTable('knex_migrations')).toBe(false);
  });
});
