import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, actorFor, STORE_KIND } from '../helpers.ts';
import { fixture, type Fixture } from '../governance/agreements-fixture.ts';
import type { Actor } from '../../src/access/actor.ts';

/**
 * Names that must be unique (exchange data items, look-up sources, integration pulls) asked for by
 * several requests at once: one is made, the others get the field error a later request would get,
 * never the database's unique-violation as a 500. (Only PostgreSQL runs them at once.)
 */
let f: Fixture;
let steward: Actor;
let resource = '';
before(async () => {
  f = await fixture();
  const db = f.env.services.store.db;
  const u = await db.selectFrom('users').select('id').where('name', '=', 'editor').executeTakeFirstOrThrow();
  await db.insertInto('duties').values({ group_id: f.org, user_id: u.id, role: 'data_steward', created_by: null }).execute();
  steward = await actorFor(f.env, 'editor');
  resource = (await as(f.env, f.people.editor, 'resource_create', { package_id: 'tenants', name: 'ดึงข้อมูล', url: 'https://example.go.th/x.csv', format: 'CSV' })).id;
});
after(() => f.env.close());

async function race(make: () => Promise<unknown>): Promise<string[]> {
  return Promise.all(Array.from({ length: 6 }, () => make().then(() => 'ok', (e: Error & { errors?: Record<string, unknown> }) => (e.name === 'ValidationError' && e.errors?.name ? 'name taken' : `${e.name}: ${e.message}`))));
}

const cases: Array<[string, () => [Actor, string, Record<string, unknown>]]> = [
  ['exchange_item_create', () => [steward, 'exchange_item_create', { name: 'race_item', label_th: 'ทดสอบ', label_en: 'Test', definition_th: 'ทดสอบ', definition_en: 'Test', data_type: 'text', item_group: 'person' }]],
  ['lookup_source_create', () => [f.people.it, 'lookup_source_create', { name: 'race-source', title_th: 'ทดสอบ', title_en: 'Test', organization: 'nha', dataset: 'tenants', connector: { preset: 'rest', url: 'http://127.0.0.1:9/{citizen_id}', status_field: 'status', statuses: { Y: 'received' } } }]],
  ['integration_source_create', () => [f.people.editor, 'integration_source_create', { name: 'race-pull', resource_id: resource, kind: 'csv_url', url: 'http://127.0.0.1:9/x.csv', frequency: 'daily' }]],
];

for (const [name, args] of cases) {
  test(`[${STORE_KIND}] ${name}: the same name asked for at once is made once; the others are told the name is taken`, async () => {
    const outcomes = await race(() => { const [actor, action, input] = args(); return as(f.env, actor, action, input); });
    assert.deepEqual(outcomes.sort(), ['name taken', 'name taken', 'name taken', 'name taken', 'name taken', 'ok'], outcomes.join(' | '));
  });
}
