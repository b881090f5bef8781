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

/** Runs the plugin's migrations up to the latest on `knex`, every time it is called. */
export async function migrateToLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: resolvePackagePath(
      'backstage-plugin-image-freshness-backend',
      'migrations',
    ),
  });
}

/**
 * Per Knex client, its migration run: every store of the plugin is created
 * on the same client, and one run serves them all. A failed run is not kept,
 * so the next store tries again. Weak, so a client that is dropped takes its
 * entry along.
 */
const migrations = new WeakMap<Knex, Promise<void>>();

/**
 * The plugin's Knex client, its migrations applied (once per client) unless
 * the database service says to skip them. A caller that rolls migrations
 * back on a client calls {@link forgetMigrations} (or
 * {@link migrateToLatest}) to have them applied again.
 */
export async function migratedClient(database: DatabaseService): Promise<Knex> {
  const knex = await database.getClient();
  if (!database.migrations?.skip) {
    let run = migrations.get(knex);
    if (!run) {
      run = migrateToLatest(knex);
      migrations.set(knex, run);
      run.catch(() => migrations.delete(knex));
    }
    await run;
  }
  return knex;
}

/** Forgets that `knex` was migrated (after a rollback): the next {@link migratedClient} runs the migrations again. */
export function forgetMigrations(knex: Knex): void {
  migrations.delete(knex);
}

/** Entity refs per `whereIn`: well under SQLite's 999 bound parameters. */
const ENTITY_CHUNK = 500;

/**
 * The rows of a per-entity table for these entities, by entity ref and then
 * by `keyColumn` (the row's key within its entity), a query per 500 refs.
 * Inside a transaction pass the transaction, so the rows are the ones it
 * will overwrite.
 */
export async function rowsByEntity<R extends { entity_ref: string }>(
  db: Knex | Knex.Transaction,
  options: {
    table: string;
    entityRefs: readonly string[];
    keyColumn: keyof R & string;
    /** The columns to read (`entity_ref` and the key among them); default all. */
    columns?: Array<keyof R & string>;
  },
): Promise<Map<string, Map<string, R>>> {
  const { table, entityRefs, keyColumn, columns } = options;
  const byEntity = new Map<string, Map<string, R>>();
  for (let i = 0; i < entityRefs.length; i += ENTITY_CHUNK) {
    const rows = (await db(table)
      .whereIn('entity_ref', entityRefs.slice(i, i + ENTITY_CHUNK))
      .select(columns ?? '*')) as R[];
    for (const row of rows) {
      const byKey = byEntity.get(row.entity_ref) ?? new Map<string, R>();
      byKey.set(String(row[keyColumn]), row);
      byEntity.set(row.entity_ref, byKey);
    }
  }
  return byEntity;
}
