import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';

/**
 * datastore_search's statements are bounded on a server (BANCHI_DATASTORE_TIMEOUT_MS): a read that
 * runs too long answers CKAN's 409 on `query` instead of holding a connection of the pool. A read
 * made to wait on a lock another session holds stands in for a heavy one.
 */
let env: TestEnv;
let token: string;
let id: string;
const K = `[${STORE_KIND}]`;
const server = STORE_KIND === 'postgres';

before(async () => {
  env = await testEnv({ datastoreTimeoutMs: 300 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'open' }), { token })).status, 200);
  id = (await upload(env, token, { package_id: 'open', name: 'open' }, 'a.csv', 'province,amount\nน่าน,1\nแพร่,2\n')).id;
  await runLoads(env);
});
after(() => env.close());

test(`${K} datastore_search: a statement over the time limit is a 409 on query, and the pool carries on`, { skip: !server && 'the embedded store cannot interrupt a statement', timeout: 30_000 }, async () => {
  const locker = new pg.Client({ connectionString: env.config.databaseUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE datastore."${id}" IN ACCESS EXCLUSIVE MODE`);
    const t = Date.now();
    for (const input of [{ resource_id: id }, { resource_id: id, filters: { province: 'น่าน' } }]) {
      const r = await search(env, input);
      assert.equal(r.status, 409, JSON.stringify(r.json));
      assert.equal(r.json.error.__type, 'Validation Error');
      assert.match(String(r.json.error.query), /took too long/);
    }
    assert.ok(Date.now() - t < 5000, 'answered within the limit, not after the lock');
    // The limit is the transaction's own: catalog reads on the same pool are not limited by it.
    const slow = await env.services.store.db.selectNoFrom((eb) => eb.fn<string>('current_setting', [eb.val('statement_timeout')]).as('t')).executeTakeFirstOrThrow();
    assert.equal(slow.t, '0');
  } finally {
    await locker.query('ROLLBACK');
    await locker.end();
  }
  const ok = await search(env, { resource_id: id, filters: { province: 'น่าน' } });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json.result.records.map((x: { amount: number }) => x.amount), [1]);
});
