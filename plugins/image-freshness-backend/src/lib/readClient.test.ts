import knexFactory, { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keepStatements, readClient, SqliteConnection } from './readClient';

/** A plugin client on a SQLite database file, with a table of numbers. */
async function fileClient(): Promise<{
  knex: Knex;
  done: () => Promise<void>;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-read-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'plugin.sqlite') },
    useNullAsDefault: true,
  });
  await knex.schema.createTable('numbers', table => {
    table.integer('n').primary();
  });
  return {
    knex,
    done: async () => {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The reader's one connection. */
async function connectionOf(reader: Knex): Promise<SqliteConnection> {
  const connection =
    (await reader.client.acquireConnection()) as SqliteConnection;
  await reader.client.releaseConnection(connection);
  return connection;
}

describe('readClient on a SQLite database file', () => {
  it('keeps its statements: a query asked again is not prepared again, and reads the last commit', async () => {
    const { knex, done } = await fileClient();
    try {
      const reader = await readClient(knex);
      expect(reader).not.toBe(knex);
      const sql = 'select count(*) as c from `numbers` where `n` > ?';
      const count = async () => Number((await reader.raw(sql, [0]))[0].c);
      expect(await count()).toBe(0);
      const connection = await connectionOf(reader);
      const kept = connection.prepare(sql);
      // What the kept statement reads is the last commit.
      await knex('numbers').insert([{ n: 1 }, { n: 2 }]);
      expect(await count()).toBe(2);
      await knex('numbers').insert({ n: 3 });
      expect(await count()).toBe(3);
      expect(connection.prepare(sql)).toBe(kept);
      expect(connection.prepare('select 1')).not.toBe(kept);
      // A table changed after its statement was kept: SQLite prepares again.
      await knex.schema.alterTable('numbers', table => {
        table.string('name').defaultTo('x');
      });
      expect(await reader('numbers').select('*').orderBy('n')).toEqual([
        { n: 1, name: 'x' },
        { n: 2, name: 'x' },
        { n: 3, name: 'x' },
      ]);
    } finally {
      await done();
    }
  });
});

describe('readClient keeps the plugin client’s own statements', () => {
  it.each(['a file', 'memory'])(
    'on SQLite in %s: a write asked again is not prepared again, and writes what it is given',
    async where => {
      const file = where === 'a file' ? await fileClient() : undefined;
      const knex =
        file?.knex ??
        knexFactory({
          client: 'better-sqlite3',
          connection: { filename: ':memory:' },
          useNullAsDefault: true,
        });
      try {
        if (!file) {
          await knex.schema.createTable('numbers', table => {
            table.integer('n').primary();
          });
        }
        await readClient(knex);
        const insert = (n: number) =>
          knex('numbers').insert({ n }).onConflict('n').ignore();
        await insert(1);
        const sql = insert(0).toSQL().sql;
        const connection = await connectionOf(knex);
        const kept = connection.prepare(sql);
        expect(connection.prepare(sql)).toBe(kept);
        await insert(2);
        // in a transaction rolled back, then after it
        await knex
          .transaction(async tx => {
            await tx('numbers').insert({ n: 3 }).onConflict('n').ignore();
            throw new Error('rolled back');
          })
          .catch(() => undefined);
        await insert(4);
        await insert(2);
        expect(connection.prepare(sql)).toBe(kept);
        expect(await knex('numbers').pluck('n').orderBy('n')).toEqual([
          1, 2, 4,
        ]);
      } finally {
        await (file ? file.done() : knex.destroy());
      }
    },
  );
});

describe('keepStatements', () => {
  /** A connection whose statements say whether an iterator is stepping through them. */
  function fakeConnection() {
    const made: Array<{ sql: string; busy: boolean }> = [];
    const connection: SqliteConnection = {
      prepare(sql: string) {
        const statement = { sql, busy: false };
        made.push(statement);
        return statement;
      },
    };
    return { connection, made };
  }

  it('hands out a busy statement never twice: the second caller gets a new one', () => {
    const { connection, made } = fakeConnection();
    keepStatements(connection);
    const first = connection.prepare('select 1') as { busy: boolean };
    first.busy = true;
    const second = connection.prepare('select 1');
    expect(second).not.toBe(first);
    first.busy = false;
    expect(connection.prepare('select 1')).toBe(first);
    expect(made).toHaveLength(2);
  });

  it('keeps the most recently used statements only', () => {
    const { connection, made } = fakeConnection();
    keepStatements(connection, 2);
    const a = connection.prepare('a');
    connection.prepare('b');
    expect(connection.prepare('a')).toBe(a); // a is now the most recent
    connection.prepare('c'); // b goes
    expect(connection.prepare('a')).toBe(a);
    expect(made.map(s => s.sql)).toEqual(['a', 'b', 'c']);
    connection.prepare('b');
    expect(made.map(s => s.sql)).toEqual(['a', 'b', 'c', 'b']);
  });
});
