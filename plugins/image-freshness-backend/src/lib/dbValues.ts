import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** A date column as the drivers return it: SQLite a number or string, PostgreSQL a Date. */
export type DateValue = Date | string | number;

export function toDate(value: DateValue): Date {
  return value instanceof Date ? value : new Date(value);
}

export function optionalDate(
  value: DateValue | null | undefined,
): Date | undefined {
  return value === null || value === undefined ? undefined : toDate(value);
}

/** The plugin's Knex client, its migrations applied unless the database service says to skip them. */
export async function migratedClient(database: DatabaseService): Promise<Knex> {
  const knex = await database.getClient();
  if (!database.migrations?.skip) {
    await knex.migrate.latest({
      directory: resolvePackagePath(
        'backstage-plugin-image-freshness-backend',
        'migrations',
      ),
    });
  }
  return knex;
}
