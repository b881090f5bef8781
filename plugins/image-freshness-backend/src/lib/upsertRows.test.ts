import type { TestDatabaseId } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { upsertRows } from './dbValues';

jest.setTimeout(60_000);

const databases = storeTestDatabases();

/** A table with a two-column key and the column types the stores write. */
async function createTable(knex: Knex, name: string) {
  await knex.schema.createTable(name, table => {
    table.string('entity_ref').notNullable();
    table.string('image').notNullable();
    table.text('doc');
    table.dateTime('at', { useTz: true });
    table.boolean('flag');
    table.integer('count');
    table.primary(['entity_ref', 'image']);
  });
}

const at = new Date('2026-12-07T10:00:00.000Z');
const later = new Date('2026-12-07T11:30:00.000Z');

function row(i: number, overrides: Record<string, unknown> = {}) {
  return {
    entity_ref: `component:default/e${i % 7}`,
    image: `registry.test/app-${i}:1.0`,
    doc: JSON.stringify({ i, quote: 'a "b" \\ c', none: null }),
    at,
    flag: i % 2 === 0,
    count: i,
    ...overrides,
  };
}

async function readAll(knex: Knex, table: string) {
  const rows = await knex(table).orderBy(['entity_ref', 'image']);
  return rows.map(r => ({
    ...r,
    at: r.at === null ? null : new Date(r.at).getTime(),
    flag: r.flag === null ? null : Boolean(r.flag),
  }));
}

describe.each(databases.ids)('upsertRows on %s', (id: TestDatabaseId) => {
  let knex: Knex;
  beforeEach(async () => {
    knex = await (await databases.database(id)).getClient();
  });

  it('stores what knex insert().onConflict().merge() stores, inserts and conflicts alike', async () => {
    await createTable(knex, 'by_knex');
    await createTable(knex, 'by_upsert');
    const first = Array.from({ length: 30 }, (_, i) => row(i));
    // half of them again, changed, and new ones, with nulls
    const second = Array.from({ length: 30 }, (_, i) =>
      row(i + 15, {
        at: later,
        doc: i % 3 === 0 ? null : `changed ${i}`,
        flag: null,
        count: i % 4 === 0 ? null : -i,
      }),
    );
    for (const rows of [first, second]) {
      await knex('by_knex')
        .insert(rows)
        .onConflict(['entity_ref', 'image'])
        .merge();
      await upsertRows(knex, {
        table: 'by_upsert',
        conflict: ['entity_ref', 'image'],
        rows,
      });
    }
    const expected = await readAll(knex, 'by_knex');
    expect(expected).toHaveLength(45);
    expect(await readAll(knex, 'by_upsert')).toEqual(expected);
  });

  it('overwrites only the merge columns on a conflict, and none with an empty list', async () => {
    await createTable(knex, 't');
    await upsertRows(knex, {
      table: 't',
      conflict: ['entity_ref', 'image'],
      rows: [row(1), row(2)],
    });
    await upsertRows(knex, {
      table: 't',
      conflict: ['entity_ref', 'image'],
      merge: ['count'],
      rows: [row(1, { count: 100, doc: 'ignored', at: later })],
    });
    await upsertRows(knex, {
      table: 't',
      conflict: ['entity_ref', 'image'],
      merge: [],
      rows: [row(2, { count: 200 }), row(3)],
    });
    const rows = await readAll(knex, 't');
    expect(rows.map(r => [r.image, r.count, r.doc, r.at])).toEqual([
      ['registry.test/app-1:1.0', 100, row(1).doc, at.getTime()],
      ['registry.test/app-2:1.0', 2, row(2).doc, at.getTime()],
      ['registry.test/app-3:1.0', 3, row(3).doc, at.getTime()],
    ]);
  });

  it('splits rows over statements of at most 999 parameters', async () => {
    await createTable(knex, 't');
    const statements: Array<{ sql: string; bindings: unknown[] }> = [];
    const listen = (q: { sql: string; bindings: unknown[] }) => {
      if (/^insert/i.test(q.sql)) statements.push(q);
    };
    knex.on('query', listen);
    const rows = Array.from({ length: 400 }, (_, i) => row(i));
    await upsertRows(knex, {
      table: 't',
      conflict: ['entity_ref', 'image'],
      rows,
    });
    knex.off('query', listen);
    // 6 columns: 166 rows (996 parameters) per statement
    expect(statements.map(s => s.bindings.length)).toEqual([996, 996, 408]);
    expect(Number((await knex('t').count({ n: '*' }))[0].n)).toBe(400);
  });

  it('refuses rows whose columns differ, naming the table, and writes none of them', async () => {
    await createTable(knex, 't');
    const { count, ...withoutCount } = row(2);
    await expect(
      upsertRows(knex, {
        table: 't',
        conflict: ['entity_ref', 'image'],
        rows: [row(1), withoutCount],
      }),
    ).rejects.toThrow(
      /Rows upserted into t must all have the columns entity_ref, image, doc, at, flag, count; one has entity_ref, image, doc, at, flag$/,
    );
    expect(count).toBe(2);
    expect(await knex('t')).toEqual([]);
  });

  it('does nothing for no rows', async () => {
    await createTable(knex, 't');
    await upsertRows(knex, { table: 't', conflict: ['entity_ref'], rows: [] });
    expect(await knex('t')).toEqual([]);
  });
});
