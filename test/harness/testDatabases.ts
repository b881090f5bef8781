/*
 * SQLite and PostgreSQL for the store tests of the plugin and its modules.
 */
import type { DatabaseService } from '@backstage/backend-plugin-api';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

/**
 * SQLite and PostgreSQL 15 for store tests (PostgreSQL when
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is set, and required
 * when IMAGE_FRESHNESS_REQUIRE_POSTGRES is). Call at a test file's top level.
 */
export function storeTestDatabases() {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  if (
    process.env.IMAGE_FRESHNESS_REQUIRE_POSTGRES &&
    !databases.supports('POSTGRES_15')
  ) {
    throw new Error(
      'PostgreSQL is required: set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (the README test command does)',
    );
  }
  return {
    ids: databases.eachSupportedId(),
    /** A fresh database of that kind, as the plugin's DatabaseService. */
    async database(id: TestDatabaseId): Promise<DatabaseService> {
      const knex = await databases.init(id);
      return { getClient: async () => knex };
    },
  };
}
