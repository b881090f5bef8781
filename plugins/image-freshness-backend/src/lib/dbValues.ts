import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { yieldToEventLoop } from './eventLoop';

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

/** Entities per page of a whole-table read (see {@link entityPages}). */
const ENTITY_PAGE = 200;

/**
 * A read of every entity's rows, a page of whole entities at a time:
 * `read` gets the first and last ref of each run of `pageSize` consecutive
 * refs of `entityRefs` (sorted as the database sorts them) and answers their
 * rows, and the event loop runs what waits between pages. On SQLite every
 * query runs on the event loop's thread: one read of a whole table (10,000
 * containers) held every request behind it for a tenth of a second. An
 * entity's rows always come from one query, so each entity is read as one
 * write left it.
 */
export async function* entityPages<R>(
  entityRefs: readonly string[],
  read: (range: { first: string; last: string }) => Promise<R[]>,
  pageSize = ENTITY_PAGE,
): AsyncGenerator<R[]> {
  for (let i = 0; i < entityRefs.length; i += pageSize) {
    if (i > 0) await yieldToEventLoop();
    const page = entityRefs.slice(i, i + pageSize);
    yield await read({ first: page[0], last: page[page.length - 1] });
  }
}

/** A column's value as both drivers give it back: dates as milliseconds, booleans as 0 or 1, none as null. */
function comparable(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/**
 * Whether the row about to be written holds what the stored one does, in
 * every column of `next` but `except`: a date written as a Date and read back
 * as a number (SQLite) or a Date (PostgreSQL) compares by its time.
 */
export function sameRow(
  stored: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  except: readonly string[] = [],
): boolean {
  if (!stored) return false;
  return Object.keys(next).every(
    column =>
      except.includes(column) ||
      comparable(stored[column]) === comparable(next[column]),
  );
}

/** Rows per touch statement: (2 keys + 2 times) values each, under SQLite's 999 bound parameters. */
const TOUCH_CHUNK = 240;

/**
 * Sets two timestamp columns of stored rows, each row its own times, in one
 * statement per 240 rows (`UPDATE ... FROM (VALUES ...)`, joined on the two
 * key columns; SQLite 3.33 and PostgreSQL). A refresh that finds a row as it
 * was moves its times this way instead of writing it whole.
 */
async function touchRows(
  db: Knex | Knex.Transaction,
  options: {
    table: string;
    keys: [string, string];
    times: [string, string];
    rows: ReadonlyArray<Record<string, unknown>>;
  },
): Promise<void> {
  const { table, keys, times, rows } = options;
  for (let i = 0; i < rows.length; i += TOUCH_CHUNK) {
    const chunk = rows.slice(i, i + TOUCH_CHUNK);
    // VALUES columns are column1..4 in both databases; the times are cast
    // for PostgreSQL (untyped parameters are text), harmless in SQLite
    await db.raw(
      `update ?? set ?? = cast(v.column3 as timestamptz), ?? = cast(v.column4 as timestamptz) from (values ${chunk
        .map(() => '(?, ?, ?, ?)')
        .join(', ')}) as v where ??.?? = v.column1 and ??.?? = v.column2`,
      [
        table,
        times[0],
        times[1],
        ...chunk.flatMap(
          row =>
            [
              row[keys[0]],
              row[keys[1]],
              row[times[0]],
              row[times[1]],
            ] as Knex.Value[],
        ),
        table,
        keys[0],
        table,
        keys[1],
      ],
    );
  }
}

/** Bound parameters per upsert statement: SQLite's oldest limit, 999. */
const MAX_PARAMETERS = 999;

/**
 * Inserts rows, and on a key conflict overwrites the stored row's `merge`
 * columns (default: all the rows' columns) with the new values: one
 * `INSERT ... VALUES (...), (...) ON CONFLICT (...) DO UPDATE` per as many
 * rows as fit 999 parameters, the same statement for SQLite and PostgreSQL.
 * Every row must have the same columns; an undefined value is stored as null.
 *
 * What knex's `insert().onConflict().merge()` writes, in shorter SQL: on
 * SQLite knex writes the rows as `SELECT ... UNION ALL SELECT ...`, which
 * SQLite is slower to prepare. In a cold refresh of 2,001 entities the
 * group writes' inserts spent 312 ms in SQLite's prepare with knex's form
 * and 239 ms with this one (their SQL 3 KB instead of 17 KB per statement).
 */
export async function upsertRows(
  db: Knex | Knex.Transaction,
  options: {
    table: string;
    /** The columns of the unique key a stored row conflicts on. */
    conflict: readonly string[];
    /** The columns a conflict overwrites (default all; none: the stored row stays). */
    merge?: readonly string[];
    rows: ReadonlyArray<Record<string, unknown>>;
  },
): Promise<void> {
  const { table, conflict, rows } = options;
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const known = new Set(columns);
  for (const row of rows) {
    const keys = Object.keys(row);
    if (keys.length !== columns.length || !keys.every(key => known.has(key))) {
      throw new Error(
        `Rows upserted into ${table} must all have the columns ${columns.join(
          ', ',
        )}; one has ${keys.join(', ')}`,
      );
    }
  }
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const merge = options.merge ?? columns;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const head = `insert into ${quote(table)} (${columns
    .map(quote)
    .join(', ')}) values `;
  const tail = ` on conflict (${conflict.map(quote).join(', ')}) ${
    merge.length === 0
      ? 'do nothing'
      : `do update set ${merge
          .map(column => `${quote(column)} = excluded.${quote(column)}`)
          .join(', ')}`
  }`;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const bindings: Knex.Value[] = [];
    for (const row of chunk) {
      for (const column of columns) {
        bindings.push((row[column] ?? null) as Knex.Value);
      }
    }
    await db.raw(
      `${head}${chunk.map(() => tuple).join(', ')}${tail}`,
      bindings,
    );
  }
}

/**
 * A group write's rows for one table: `written` ones upserted whole,
 * `confirmed` ones (found as stored but for their times) only their times
 * moved (see {@link touchRows}).
 */
export async function writeRows(
  db: Knex | Knex.Transaction,
  options: {
    table: string;
    keys: [string, string];
    times: [string, string];
    written: ReadonlyArray<Record<string, unknown>>;
    confirmed: ReadonlyArray<Record<string, unknown>>;
  },
): Promise<void> {
  const { table, keys, times } = options;
  await upsertRows(db, { table, conflict: keys, rows: options.written });
  await touchRows(db, { table, keys, times, rows: options.confirmed });
}
