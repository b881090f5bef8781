import knexFactory, { Knex } from 'knex';

/** The connection settings knex keeps for a better-sqlite3 client. */
interface SqliteClient {
  driverName?: string;
  connectionSettings?: { filename?: unknown };
}

/** The database file of a better-sqlite3 client, or undefined (in memory, another driver). */
export function sqliteFile(knex: Knex): string | undefined {
  const client = knex.client as SqliteClient;
  const filename = client.connectionSettings?.filename;
  if (client.driverName !== 'better-sqlite3') return undefined;
  return typeof filename === 'string' &&
    filename !== ':memory:' &&
    !filename.startsWith('file::memory:')
    ? filename
    : undefined;
}

/** The reader of each plugin client, opened once (see {@link readClient}). */
const readers = new WeakMap<Knex, Promise<Knex>>();

/**
 * A client for the read paths (the entity API, base-image sections,
 * vulnerability counts, metrics snapshots) that never waits behind a write
 * transaction.
 *
 * Knex gives SQLite one connection, so a query waits for every transaction
 * queued before it. On a SQLite database file this switches the journal to
 * WAL (kept in the file; readers see the last commit while a writer holds its
 * transaction, and the writer is not held up by readers; a commit no longer
 * waits for the disk, which better-sqlite3 does on the event loop) and
 * answers a second, read-only connection to the same file. PostgreSQL's pool serves
 * readers beside writers, and a database in memory lives in its one
 * connection: for those, the client itself. On SQLite, file or memory, the
 * client's own connections keep their prepared statements from then on
 * (see keepWriterStatements).
 */
export function readClient(knex: Knex): Promise<Knex> {
  // One reader per plugin client, however many stores share it: the journal
  // is switched once and one read-only connection serves all their reads.
  let reader = readers.get(knex);
  if (!reader) {
    reader = openReader(knex);
    readers.set(knex, reader);
    // a failed attempt is not kept: the next store tries again
    reader.catch(() => readers.delete(knex));
  }
  return reader;
}

async function openReader(knex: Knex): Promise<Knex> {
  keepWriterStatements(knex);
  const filename = sqliteFile(knex);
  if (!filename) return knex;
  const [mode] = (await knex.raw('PRAGMA journal_mode = WAL')) as Array<{
    journal_mode: string;
  }>;
  if (mode?.journal_mode?.toLowerCase() !== 'wal') return knex;
  // A commit syncs the disk only at checkpoints (SQLite's advice for WAL; a
  // power cut may lose the last commits, never corrupt the file, and the next
  // refresh writes them again). Connections opened on a WAL file start so
  // (better-sqlite3's default); the one that switched the journal is told.
  await knex.raw('PRAGMA synchronous = NORMAL');
  const reader = knexFactory({
    client: 'better-sqlite3',
    connection: { filename, options: { readonly: true } },
    useNullAsDefault: true,
    pool: {
      // no connection kept once idle: nothing holds the process open at shutdown
      min: 0,
      max: 1,
      afterCreate: (
        connection: SqliteConnection,
        done: (error: Error | null, connection: SqliteConnection) => void,
      ) => {
        keepStatements(connection);
        done(null, connection);
      },
    },
  });
  // Closed with the plugin's client.
  (knex.client as { pool?: PoolEvents }).pool?.on('poolDestroyRequest', () => {
    reader.destroy().catch(() => undefined);
  });
  return reader;
}

/**
 * Makes the plugin client's own better-sqlite3 connections keep their
 * statements too ({@link keepStatements}), each as the pool first hands it
 * out. The refresh's group writes repeat the same SQL: in a cold refresh of
 * 2,001 entities, 4,220 of the 4,300 prepares of its 14 most prepared texts
 * were of a text prepared before (upserts of a full chunk of rows, the group
 * reads, BEGIN and COMMIT).
 */
function keepWriterStatements(knex: Knex): void {
  const client = knex.client as SqliteClient & { pool?: PoolEvents };
  if (client.driverName !== 'better-sqlite3') return;
  client.pool?.on('acquireSuccess', (_eventId, connection) =>
    keepStatements(connection as SqliteConnection),
  );
}

/** The part of a better-sqlite3 statement used here. */
interface SqliteStatement {
  /** True while an iterator steps through its rows. */
  readonly busy: boolean;
}

/** The part of a better-sqlite3 connection used here. */
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

/** The connections {@link keepStatements} already made keep theirs. */
const keeping = new WeakSet<SqliteConnection>();

/** Prepared statements a connection keeps (the read paths run a few dozen distinct texts, the group writes' chunks come in a few dozen sizes). */
const KEPT_STATEMENTS = 200;

/**
 * Makes a better-sqlite3 connection keep its prepared statements by SQL text,
 * the `keep` most recently used: knex prepares every query anew, and on the
 * read paths preparing was about a third of the time spent in knex and
 * SQLite (an entity report asks four short queries). A statement is handed
 * out again only when no iterator is stepping through it (and a connection
 * asked twice keeps one set). What a kept statement reads is as fresh as a new
 * one's: SQLite reads the last commit at every run, and prepares again by
 * itself after the schema changed.
 */
export function keepStatements(
  connection: SqliteConnection,
  keep = KEPT_STATEMENTS,
): void {
  if (keeping.has(connection)) return;
  keeping.add(connection);
  const prepare = connection.prepare.bind(connection);
  const kept = new Map<string, SqliteStatement>();
  connection.prepare = (sql: string) => {
    const statement = kept.get(sql);
    if (statement && !statement.busy) {
      // most recently used last
      kept.delete(sql);
      kept.set(sql, statement);
      return statement;
    }
    const prepared = prepare(sql);
    if (!statement) {
      kept.set(sql, prepared);
      if (kept.size > keep) kept.delete(kept.keys().next().value!);
    }
    return prepared;
  };
}

/** The part of the knex pool (tarn) used here. */
interface PoolEvents {
  on(event: 'poolDestroyRequest', handler: () => void): void;
  on(
    event: 'acquireSuccess',
    handler: (eventId: number, connection: unknown) => void,
  ): void;
}
