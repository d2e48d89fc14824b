import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, api, STORE_KIND } from '../helpers.ts';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { fixture, fails, type Fixture } from '../governance/agreements-fixture.ts';
import { runLoads, search } from '../datastore/helpers.ts';
import seed from '../../src/exchange/items/seed-items.json' with { type: 'json' };

let f: Fixture;
let steward: Awaited<ReturnType<typeof fixture>>['people']['owner'];
let resourceId: string;
before(async () => {
  f = await fixture();
  const db = f.env.services.store.db;
  const u = await db.selectFrom('users').select('id').where('name', '=', 'editor').executeTakeFirstOrThrow();
  await db.insertInto('duties').values({ group_id: f.org, user_id: u.id, role: 'data_steward', created_by: null }).execute();
  steward = (await import('../helpers.ts')).actorFor(f.env, 'editor') as never;
  steward = await steward;
  resourceId = (await db.selectFrom('resources').select('id').where('dataset_id', '=', f.dataset).executeTakeFirstOrThrow()).id;
});
after(() => f.env.close());

test(`[${STORE_KIND}] the seed items are version 1 of the registry, readable by anyone`, async () => {
  const all = await as(f.env, ANONYMOUS, 'exchange_item_list', {});
  assert.equal(all.length, seed.items.length);
  const cid = all.find((i: any) => i.name === 'citizen_id');
  assert.deepEqual([cid.version, cid.data_type, cid.item_group, cid.personal_data], [1, 'code', 'person', true]);
  assert.match(cid.definition_th, /13 หลัก/);
  const addr = await as(f.env, ANONYMOUS, 'exchange_item_list', { group: 'address' });
  assert.ok(addr.length >= 5 && addr.every((i: any) => i.item_group === 'address'));
  assert.ok((await as(f.env, ANONYMOUS, 'exchange_item_list', { q: 'พุทธศักราช' })).some((i: any) => i.name === 'date_be'));
  assert.equal((await as(f.env, ANONYMOUS, 'exchange_item_list', { q: "%' OR 1=1 --" })).length, 0);
  const shown = await as(f.env, ANONYMOUS, 'exchange_item_show', { id: 'citizen_id' });
  assert.equal(shown.versions.length, 1);
  assert.equal(shown.versions[0].changed_by, 'seed');
});

test(`[${STORE_KIND}] stewards add and version items; others are refused; bad input is field errors`, async () => {
  assert.equal((await fails(as(f.env, f.people.partner, 'exchange_item_create', { name: 'x_item' }))).name, 'AuthorizationError');
  assert.equal((await fails(as(f.env, ANONYMOUS, 'exchange_item_update', { id: 'citizen_id', label_en: 'x' }))).name, 'AuthorizationError');
  const bad = await fails(as(f.env, steward, 'exchange_item_create', { name: 'Bad Name', label_th: '', data_type: 'blob', item_group: 'person', pattern: '(a+)+$' }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['data_type', 'definition_en', 'definition_th', 'label_en', 'label_th', 'name', 'pattern']);
  assert.ok((await fails(as(f.env, steward, 'exchange_item_create', { name: 'citizen_id' }))).errors.name);
  const made = await as(f.env, steward, 'exchange_item_create', { name: 'welfare_card_no', label_th: 'เลขบัตรสวัสดิการแห่งรัฐ', label_en: 'State welfare card number', definition_th: 'เลขบัตร', definition_en: 'Card number', data_type: 'code', item_group: 'entitlement', standard: 'กระทรวงการคลัง', pattern: '^[0-9]{16}$', personal_data: 'true' });
  assert.deepEqual([made.version, made.personal_data], [1, true]);
  const up = await as(f.env, steward, 'exchange_item_update', { id: 'welfare_card_no', version: 1, definition_en: 'The 16-digit card number', note: 'clarified' });
  assert.equal(up.version, 2);
  const stale = await fails(as(f.env, steward, 'exchange_item_update', { id: 'welfare_card_no', version: 1, definition_en: 'again' }));
  assert.ok(stale.errors.version);
  assert.ok((await fails(as(f.env, steward, 'exchange_item_update', { id: 'welfare_card_no', name: 'renamed' }))).errors.name);
  const retired = await as(f.env, steward, 'exchange_item_update', { id: 'welfare_card_no', state: 'retired' });
  assert.deepEqual([retired.version, retired.state], [3, 'retired']);
  const shown = await as(f.env, ANONYMOUS, 'exchange_item_show', { id: 'welfare_card_no' });
  assert.deepEqual(shown.versions.map((v: any) => v.version), [3, 2, 1]);
  assert.equal(shown.versions[1].snapshot.definition_en, 'The 16-digit card number');
  assert.equal(shown.versions[2].snapshot.definition_en, 'Card number');
  assert.ok(!(await as(f.env, ANONYMOUS, 'exchange_item_list', {})).some((i: any) => i.name === 'welfare_card_no'), 'retired items leave the active list');
  const audit = await f.env.services.store.db.selectFrom('audit_log').select('action').where('object_id', '=', made.id).execute();
  assert.deepEqual(audit.map((a) => a.action).sort(), ['exchange_item_create', 'exchange_item_update', 'exchange_item_update']);
});

test(`[${STORE_KIND}] a resource's dictionary fields map to items; the DataStore answers in item names`, async () => {
  const bad = await fails(as(f.env, steward, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: { nope: 'citizen_id', name: 'welfare_card_no', province: 'no_such_item' } }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['mappings.name', 'mappings.nope', 'mappings.province']);
  const twice = await fails(as(f.env, steward, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: { citizen_id: 'citizen_id', name: 'citizen_id' } }));
  assert.ok(twice.errors['mappings.name']);
  assert.equal((await fails(as(f.env, f.people.partner, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: { name: 'first_name_th' } }))).name, 'NotFoundError', 'an internal dataset is not shown to outsiders');
  const set = await as(f.env, steward, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: { citizen_id: 'citizen_id', name: 'first_name_th', province: 'province_code' } });
  assert.deepEqual(set.fields.filter((x: any) => x.item).map((x: any) => [x.field, x.item.name]), [['citizen_id', 'citizen_id'], ['name', 'first_name_th'], ['province', 'province_code']]);
  await as(f.env, steward, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: { province: '' } });
  const shown = await as(f.env, f.people.editor, 'exchange_item_mapping_show', { resource_id: resourceId });
  assert.equal(shown.fields.find((x: any) => x.field === 'province').item, null);
  assert.equal(shown.fields.find((x: any) => x.field === 'name').item.version, 1);
  assert.equal((await fails(as(f.env, f.people.outsider, 'exchange_item_mapping_show', { resource_id: resourceId }))).name, 'NotFoundError');

  await runLoads(f.env);
  const plain = await search(f.env, { resource_id: resourceId }, f.tokens.editor);
  assert.equal(plain.status, 200, JSON.stringify(plain.json));
  assert.deepEqual(plain.json.result.fields.map((x: any) => x.id), ['_id', 'citizen_id', 'name']);
  const named = await search(f.env, { resource_id: resourceId, item_names: true, filters: { first_name_th: '2' }, fields: ['citizen_id', 'first_name_th'] }, f.tokens.editor);
  assert.equal(named.status, 200, JSON.stringify(named.json));
  assert.deepEqual(named.json.result.fields.map((x: any) => x.id), ['citizen_id', 'first_name_th']);
  assert.equal(named.json.result.fields[1].info.field_id, 'name');
  assert.deepEqual(named.json.result.records, [{ citizen_id: '1', first_name_th: '2' }]);
  // The no-code API takes the same switch.
  const r = await f.env.app.inject({ method: 'GET', url: `/api/datastore/${resourceId}?item_names=true`, headers: { authorization: f.tokens.editor! } });
  assert.equal(r.statusCode, 200, r.body);
  assert.ok(JSON.stringify(r.json()).includes('first_name_th'));
  void api;
});

test(`[${STORE_KIND}] concurrent mapping changes of one resource: each a clear answer, never a database error, and still one field per item`, async () => {
  await as(f.env, steward, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: { citizen_id: '', name: '' } });
  const tries = Array.from({ length: 8 }, (_, i) => as(f.env, steward, 'exchange_item_mapping_set', { resource_id: resourceId, mappings: i % 2 ? { name: 'first_name_th' } : { citizen_id: 'first_name_th' } }).then(() => 'ok', (e: Error) => e.name));
  const outcomes = await Promise.all(tries);
  assert.ok(outcomes.every((o) => o === 'ok' || o === 'ValidationError'), outcomes.join(', '));
  assert.ok(outcomes.includes('ok'));
  const rows = await f.env.services.store.db.selectFrom('exchange_item_mappings as m').innerJoin('exchange_items as i', 'i.id', 'm.item_id').select('m.field').where('m.resource_id', '=', resourceId).where('i.name', '=', 'first_name_th').execute();
  assert.equal(rows.length, 1, `first_name_th is mapped to ${rows.map((r) => r.field).join(' and ')}`);
});
