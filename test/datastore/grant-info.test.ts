import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, ROWS, type Provider } from '../exchange/fixture.ts';

let p: Provider;
const K = `[${STORE_KIND}]`;
before(async () => { p = await provider(); });
after(() => p.env.close());

test(`${K} datastore_info for a grant holder limited to some rows: the count is of those rows, not of the whole table`, async () => {
  // meta.count was the table's row_count: a partner agreed to เชียงใหม่ adults learnt how many rows
  // the whole register has, which datastore_search's total (rightly) never told it.
  await activeAgreement(p);
  const s = await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 0 }, { token: p.tokens.partner });
  assert.equal(s.status, 200, JSON.stringify(s.json));
  const mine = s.json.result.total as number;
  assert.ok(mine > 0 && mine < ROWS);
  const info = await api(p.env, 'datastore_info', { id: p.resource }, { token: p.tokens.partner });
  assert.equal(info.status, 200, JSON.stringify(info.json));
  assert.equal(info.json.result.meta.count, mine);
  assert.deepEqual(info.json.result.fields.map((f: { id: string }) => f.id), ['name', 'province', 'age']);
  const own = await api(p.env, 'datastore_info', { id: p.resource }, { token: p.tokens.editor });
  assert.equal(own.json.result.meta.count, ROWS);
});
