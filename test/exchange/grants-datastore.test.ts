import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { as, api, STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, ROWS, type Provider } from './fixture.ts';

let p: Provider;
const K = `[${STORE_KIND}]`;
before(async () => { p = await provider(); });
after(() => p.env.close());

const noCode = (token: string, qs = '') => p.env.app.inject({ method: 'GET', url: `/api/datastore/${p.resource}${qs}`, headers: { authorization: token } });

test(`${K} grant holder: agreed fields and rows only, through datastore_search and the no-code API; personal data only when listed`, async () => {
  // before any agreement the partner reads nothing (a 404 as for a missing table)
  assert.equal((await api(p.env, 'datastore_search', { resource_id: p.resource }, { token: p.tokens.partner })).status, 404);
  const a = await activeAgreement(p);
  const r = await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 1000 }, { token: p.tokens.partner });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const recs = r.json.result.records as Record<string, unknown>[];
  assert.deepEqual(r.json.result.fields.map((f: { id: string }) => f.id), ['_id', 'name', 'province', 'age']);
  // เชียงใหม่ rows are i % 3 == 0; age = 10 + 2i >= 18 ⇒ i >= 4: i = 6, 9, … 27
  const expected = [...Array(ROWS).keys()].filter((i) => i % 3 === 0 && 10 + 2 * i >= 18);
  assert.deepEqual(recs.map((x) => x.name), expected.map((i) => `ผู้เช่า ${i}`));
  assert.equal(r.json.result.total, expected.length);
  assert.ok(recs.every((x) => !('citizen_id' in x) && !('status' in x)));
  // a field not agreed cannot be asked for, filtered or sorted on, nor found through full-text q
  for (const input of [{ fields: ['citizen_id'] }, { filters: { status: 'active' } }, { sort: 'status' }, { q: 'active' }]) {
    const bad = await api(p.env, 'datastore_search', { resource_id: p.resource, ...input }, { token: p.tokens.partner });
    assert.equal(bad.status, 409, JSON.stringify(input));
  }
  // filters cannot widen the rows
  const wide = await api(p.env, 'datastore_search', { resource_id: p.resource, filters: { province: 'น่าน' } }, { token: p.tokens.partner });
  assert.equal(wide.json.result.total, 0);
  // free SQL cannot apply the limits: refused
  const sqlr = await api(p.env, 'datastore_search_sql', { sql: `SELECT * FROM "${p.resource}"` }, { token: p.tokens.partner });
  assert.equal(sqlr.status, 409);
  // the no-code API gives the same
  const nc = await noCode(p.tokens.partner, '?limit=1000');
  assert.equal(nc.statusCode, 200, nc.body);
  assert.deepEqual(nc.json().result.records.map((x: Record<string, unknown>) => x.name), expected.map((i) => `ผู้เช่า ${i}`));
  const ncBad = await noCode(p.tokens.partner, '?status=active');
  assert.equal(ncBad.statusCode, 409);
  // the owner's editor still reads everything; an outsider nothing
  const own = await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 1000 }, { token: p.tokens.editor });
  assert.equal(own.json.result.total, ROWS);
  assert.equal((await api(p.env, 'datastore_search', { resource_id: p.resource }, { token: p.tokens.outsider })).status, 404);
  // terminated: access stops at once
  await as(p.env, p.people.owner, 'agreement_terminate', { id: a.id, ground: 'no_longer_needed', reason: 'จบโครงการ' });
  assert.equal((await api(p.env, 'datastore_search', { resource_id: p.resource }, { token: p.tokens.partner })).status, 404);
  assert.equal((await noCode(p.tokens.partner)).statusCode, 404);
});

test(`${K} personal-data field: only to a grant that lists it; a grant outside its window gives nothing`, async () => {
  await activeAgreement(p, { items: [{ dataset: 'tenants', fields: ['citizen_id', 'province'], row_condition: "status in ('active') OR age < 0" }] });
  const r = await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 1000 }, { token: p.tokens.partner });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.fields.map((f: { id: string }) => f.id), ['_id', 'citizen_id', 'province']);
  assert.equal(r.json.result.total, ROWS / 2);
  assert.ok(r.json.result.records.every((x: Record<string, unknown>) => typeof x.citizen_id === 'string'));
  // a hand-made grant (no field list) never carries personal data
  await p.env.services.store.db.updateTable('dataset_grants').set({ revoked_at: new Date() }).where('dataset_id', '=', p.dataset).execute();
  await p.env.services.store.db.insertInto('dataset_grants').values({
    id: crypto.randomUUID(), dataset_id: p.dataset, grantee_user_id: null, grantee_org_id: (await p.env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'dopa').executeTakeFirstOrThrow()).id, scope: 'files',
    granted_by: null, reason: 'by hand', created: new Date(), starts_at: null, expires_at: null,
  } as never).execute();
  const h = await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 1000 }, { token: p.tokens.partner });
  assert.equal(h.status, 200, JSON.stringify(h.json));
  assert.equal(h.json.result.total, ROWS);
  assert.ok(!h.json.result.fields.some((f: { id: string }) => f.id === 'citizen_id'));
  // the same grant, its window passed
  await p.env.services.store.db.updateTable('dataset_grants').set({ expires_at: new Date(Date.now() - 1000) }).where('reason', '=', 'by hand').execute();
  assert.equal((await api(p.env, 'datastore_search', { resource_id: p.resource }, { token: p.tokens.partner })).status, 404);
});

test(`${K} row conditions compiled to SQL select exactly the rows matchRow selects`, async () => {
  const { parseRowCondition, matchRow } = await import('../../src/access/row-condition.ts');
  const all = (await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 1000 }, { token: p.tokens.editor })).json.result.records as Record<string, unknown>[];
  const conditions = [
    'age >= 30', "age < 20 OR province = 'น่าน'", "status != 'active'", "province in ('ลำพูน', 'น่าน') AND age <= 40", "name = 'ผู้เช่า 3'",
    "age = 'abc'", "province > 'ลำพูน'", "name <= 'ผู้เช่า 2'", 'citizen_id > 1100000000020', "(age > 20 AND age < 40) OR (status = 'pending' AND province != 'เชียงใหม่')",
    'age in (10, 12, 14)', "province = 'x'' OR 1=1 --'", 'status = true', 'nosuchfield = 1 OR age = 12',
  ];
  await p.env.services.store.db.updateTable('dataset_grants').set({ revoked_at: new Date() }).where('dataset_id', '=', p.dataset).execute();
  const partnerOrg = (await p.env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'dopa').executeTakeFirstOrThrow()).id;
  const fields = ['citizen_id', 'name', 'province', 'age', 'status'];
  for (const text of conditions) {
    const cond = parseRowCondition(text);
    await p.env.services.store.db.updateTable('dataset_grants').set({ revoked_at: new Date() }).where('dataset_id', '=', p.dataset).where('revoked_at', 'is', null).execute();
    await p.env.services.store.db.insertInto('dataset_grants').values({
      id: crypto.randomUUID(), dataset_id: p.dataset, grantee_user_id: null, grantee_org_id: partnerOrg, scope: 'metadata', granted_by: null, reason: 'prop', created: new Date(),
      starts_at: null, expires_at: null, fields: JSON.stringify(fields), row_condition: JSON.stringify(cond),
    } as never).execute();
    const r = await api(p.env, 'datastore_search', { resource_id: p.resource, limit: 1000 }, { token: p.tokens.partner });
    assert.equal(r.status, 200, `${text}: ${JSON.stringify(r.json)}`);
    const got = (r.json.result.records as Record<string, unknown>[]).map((x) => x._id);
    const want = all.filter((row) => matchRow(cond, row)).map((x) => x._id);
    assert.deepEqual(got, want, text);
  }
});
