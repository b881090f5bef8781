import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import { startPluginBackend } from '../__testUtils__/pluginBackend';
import { forgetMigrations, migratedClient } from './dbValues';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/**
 * Counts the runs of `migrate.latest` on `knex` as the database sees them:
 * each run takes the migration lock once (knex updates its lock table), so
 * the count is of runs, not of calls that a cache answered.
 */
function countMigrationRuns(knex: Knex) {
  let runs = 0;
  knex.on('query', (query: { sql: string }) => {
    if (/^update [`"]?knex_migrations_lock[`"]? set/i.test(query.sql)) {
      // one update takes the lock, one frees it
      runs += 0.5;
    }
  });
  return () => runs;
}

describe('migrations', () => {
  it('run once per start on one client, for all five stores (the one run applies every migration)', async () => {
    const knex = await databases.init('SQLITE_3');
    const runs = countMigrationRuns(knex);
    const { backend } = await startPluginBackend({
      config: { imageFreshness: {} },
      features: [
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({ entities: [] }),
      ],
    });
    try {
      expect(runs()).toBe(1);
      // the tables of the first and the last migration are there
      expect(await knex.schema.hasTable('entity_refresh_queue')).toBe(true);
      expect(await knex.schema.hasTable('vulnerability_summaries')).toBe(true);
    } finally {
      await backend.stop();
    }
  });

  it('run again on a client after a rollback once the rollback is told (forgetMigrations)', async () => {
    const knex = await databases.init('SQLITE_3');
    const runs = countMigrationRuns(knex);
    const database = { getClient: async () => knex };
    await migratedClient(database);
    await migratedClient(database);
    expect(runs()).toBe(1);
    await knex.migrate.down({
      directory: resolvePackagePath(
        'backstage-plugin-image-freshness-backend',
        'migrations',
      ),
    });
    expect(await knex.schema.hasTable('entity_refresh_queue')).toBe(false);
    // the memo still answers until it is told
    await migratedClient(database);
    expect(await knex.schema.hasTable('entity_refresh_queue')).toBe(false);
    forgetMigrations(knex);
    await migratedClient(database);
    expect(await knex.schema.hasTable('entity_refresh_queue')).toBe(true);
    // the down took the lock once too: the second up is the third run
    expect(runs()).toBe(3);
  });
});
