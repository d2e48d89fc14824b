import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, actorFor, makeUser, datasetInput, STORE_KIND } from '../helpers.ts';
import { fixture, fails, type Fixture } from '../governance/agreements-fixture.ts';
import type { Actor } from '../../src/access/actor.ts';

/**
 * A look-up source answers for its own organisation's dataset: the dataset an agreement must cover
 * is the provider's. Otherwise an IT officer of one agency could tie a connector of its own to
 * another agency's dataset, and every official whose agreements cover that dataset would send the
 * citizen IDs they look up to it; and a private dataset's name would show through the error.
 */
let f: Fixture;
let otherIt: Actor;
const connector = { preset: 'rest', url: 'http://127.0.0.1:9/benefit/{citizen_id}', status_field: 'status', statuses: { Y: 'received' } };
before(async () => {
  f = await fixture();
  await makeUser(f.env, 'dopa_it', { org: 'dopa', role: 'editor' });
  const db = f.env.services.store.db;
  const id = (await db.selectFrom('users').select('id').where('name', '=', 'dopa_it').executeTakeFirstOrThrow()).id;
  await db.insertInto('duties').values({ group_id: f.partner, user_id: id, role: 'it_officer', created_by: null }).execute();
  otherIt = await actorFor(f.env, 'dopa_it');
});
after(() => f.env.close());

test(`[${STORE_KIND}] a source cannot be tied to another organisation's dataset, by name or id, on create or update; the error is the one for no such dataset`, async () => {
  for (const dataset of ['tenants', f.dataset]) {
    const e = await fails(as(f.env, otherIt, 'lookup_source_create', { name: 'dopa-src', title_th: 'ทดสอบ', title_en: 'Test', organization: 'dopa', dataset, connector }));
    assert.ok(e.errors?.dataset, `${dataset}: ${e.message}`);
    const missing = await fails(as(f.env, otherIt, 'lookup_source_create', { name: 'dopa-src', title_th: 'ทดสอบ', title_en: 'Test', organization: 'dopa', dataset: 'no-such-dataset', connector }));
    assert.deepEqual(e.errors.dataset, missing.errors.dataset, 'another organisation\'s dataset reads as none');
  }
  // The provider's own IT officer ties its own dataset; then nobody moves it to another organisation's.
  const own = await as(f.env, f.people.it, 'lookup_source_create', { name: 'nha-src', title_th: 'ทดสอบ', title_en: 'Test', organization: 'nha', dataset: 'tenants', connector });
  assert.equal(own.dataset_id, f.dataset);
  await as(f.env, otherIt, 'package_create', datasetInput('dopa', { name: 'dopa-data', title: 'ข้อมูลกรมการปกครอง' }));
  const moved = await fails(as(f.env, f.people.it, 'lookup_source_update', { id: 'nha-src', dataset: 'dopa-data' }));
  assert.ok(moved.errors?.dataset, moved.message);
  const rows = await f.env.services.store.db.selectFrom('lookup_sources').select(['name', 'dataset_id']).execute();
  assert.deepEqual(rows.map((r) => [r.name, r.dataset_id]), [['nha-src', f.dataset]]);
});
