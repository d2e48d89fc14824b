import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { SERVER_URL } from '../helpers.ts';
import { createScratchDatabase } from '../../src/store/scratch.ts';
import { keepsPrepared, usePreparedStatements } from '../../src/store/prepared.ts';

/** The recent-statement cache of src/store/prepared.ts on a real PostgreSQL connection. */
describe('prepared statements kept per connection', { skip: !SERVER_URL && 'needs PostgreSQL' }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let pool: pg.Pool;
  before(async () => {
    scratch = await createScratchDatabase(SERVER_URL, 'banchi_prepared');
    pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
    usePreparedStatements(pool);
  });
  after(async () => {
    await pool?.end();
    await scratch?.drop();
  });

  const prepared = async (c: pg.PoolClient) => Number((await c.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n);

  test('a parameterised statement is prepared once and answers on every call; parameterless ones are not prepared', async () => {
    const c = await pool.connect();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await c.query('SELECT $1::int + 1 AS n', [i])).rows[0].n, i + 1);
      assert.equal(await prepared(c), 1);
      await c.query('SELECT 1');
      assert.equal(await prepared(c), 1);
    } finally {
      c.release();
    }
  });

  test('at most 128 are kept: the least recent is deallocated, and a statement evicted then sent again still answers', async () => {
    const c = await pool.connect();
    try {
      for (let i = 0; i < 300; i++) assert.equal((await c.query(`SELECT $1::int * ${i} AS n`, [2])).rows[0].n, 2 * i);
      // DEALLOCATE runs queued after the statements: by this query, all have.
      const n = await prepared(c);
      assert.ok(n <= 128 && n >= 100, `${n} prepared`);
      assert.equal((await c.query('SELECT $1::int * 0 AS n', [5])).rows[0].n, 0, 'the first statement, long evicted, is prepared again');
      assert.equal((await c.query('SELECT $1::int + 1 AS n', [41])).rows[0].n, 42);
    } finally {
      c.release();
    }
  });

  test('DataStore tables and full-text matches are always planned anew', async () => {
    assert.equal(keepsPrepared('SELECT "a" FROM datastore."0b1c" WHERE a = $1'), false);
    assert.equal(keepsPrepared('SELECT "a" FROM "datastore"."0b1c" WHERE a = $1'), false);
    assert.equal(keepsPrepared('SELECT 1 FROM dataset_search s WHERE s.document @@ $1::tsquery'), false);
    assert.equal(keepsPrepared('select * from "datasets" where "id" = $1'), true);
    const c = await pool.connect();
    try {
      await c.query('CREATE SCHEMA IF NOT EXISTS datastore');
      await c.query('CREATE TABLE datastore.t (a int)');
      await c.query('INSERT INTO datastore.t VALUES (1)');
      const before = await prepared(c);
      assert.equal((await c.query('SELECT a FROM datastore.t WHERE a = $1', [1])).rows.length, 1);
      // A reload replaces the table with other column types: an unprepared statement follows.
      await c.query('DROP TABLE datastore.t');
      await c.query("CREATE TABLE datastore.t (a text)");
      await c.query("INSERT INTO datastore.t VALUES ('1')");
      assert.equal((await c.query('SELECT a FROM datastore.t WHERE a = $1', ['1'])).rows[0].a, '1');
      assert.equal(await prepared(c), before);
    } finally {
      c.release();
    }
  });
});
