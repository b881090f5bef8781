import { Client } from 'pg';
import { startPostgres, TestPostgres } from './postgres';

jest.setTimeout(60_000);

async function query(pg: TestPostgres, sql: string) {
  const client = new Client({ connectionString: pg.connectionString });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  it('keeps its data and port across a restart, and refuses connections while stopped', async () => {
    const pg = await startPostgres();
    try {
      await query(pg, 'create table kept (n int); insert into kept values (7)');
      await pg.stop();
      await expect(query(pg, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
      await pg.start();
      expect(await query(pg, 'select n from kept')).toEqual([{ n: 7 }]);
    } finally {
      await pg.destroy();
    }
  });
});
