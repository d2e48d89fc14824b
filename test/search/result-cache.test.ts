import { test, before, after } from 'node:test';
import { sql } from 'kysely';
import assert from 'node:assert/strict';
import { testEnv, sys, as, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS, type Actor } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { writeAudit } from '../../src/actions/audit.ts';
import { indexDatasets } from '../../src/search/indexer.ts';

let env: TestEnv;
let member: Actor;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
  member = (await makeUser(env, 'member1', { org: 'nso', role: 'member' })).actor;
  await sys(env, 'package_create', datasetInput('nso', { name: 'tourism-a', title: 'สถิตินักท่องเที่ยวรายจังหวัด' }));
});
after(() => env.close());

const search = (actor: Actor, extra: Record<string, unknown> = {}) =>
  runAction<{ count: number; results: Array<{ name: string; organization: { title: string } }>; search_facets: Record<string, { items: Array<{ name: string; count: number }> }> }>(
    env.services, 'package_search', { q: 'นักท่องเที่ยว', 'facet.field': '["organization","data_category"]', ...extra }, { actor },
  );

test(`[${STORE_KIND}] a repeated anonymous search answers the same, and every committed write shows in the next one`, async () => {
  const first = await search(ANONYMOUS);
  assert.equal(first.count, 1);
  first.results[0]!.name = 'changed-by-a-caller';
  assert.equal((await search(ANONYMOUS)).results[0]!.name, 'tourism-a', 'a caller shaping its answer does not change the next one');

  await sys(env, 'package_create', datasetInput('nso', { name: 'tourism-b', title: 'จำนวนนักท่องเที่ยวชาวต่างชาติ' }));
  assert.equal((await search(ANONYMOUS)).count, 2, 'a create');

  await sys(env, 'package_patch', { id: 'tourism-b', private: true });
  assert.equal((await search(ANONYMOUS)).count, 1, 'a privacy change');

  await sys(env, 'package_patch', { id: 'tourism-b', private: false });
  await sys(env, 'package_delete', { id: 'tourism-a' });
  const afterDelete = await search(ANONYMOUS);
  assert.deepEqual(afterDelete.results.map((r) => r.name), ['tourism-b'], 'a delete');

  await sys(env, 'organization_patch', { id: 'nso', title: 'สำนักงานสถิติแห่งชาติ (สสช.)' });
  const renamed = await search(ANONYMOUS);
  assert.equal(renamed.results[0]!.organization.title, 'สำนักงานสถิติแห่งชาติ (สสช.)', 'an organisation rename');
  assert.equal(renamed.search_facets.organization!.items[0]!.count, 1);
});

test(`[${STORE_KIND}] an anonymous answer is never given to a signed-in caller, nor the reverse`, async () => {
  await sys(env, 'package_create', datasetInput('nso', { name: 'tourism-internal', title: 'ข้อมูลนักท่องเที่ยวภายในหน่วยงาน', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
  const anon = await search(ANONYMOUS, { include_private: 'true' });
  const mem = await search(member, { include_private: 'true' });
  assert.ok(!anon.results.some((r) => r.name === 'tourism-internal'));
  assert.ok(mem.results.some((r) => r.name === 'tourism-internal'));
  assert.ok(!(await search(ANONYMOUS, { include_private: 'true' })).results.some((r) => r.name === 'tourism-internal'));
  assert.equal((await as<{ count: number }>(env, member, 'package_search', { q: 'นักท่องเที่ยว', include_private: 'true' })).count, mem.count);
});

test(`[${STORE_KIND}] a write with a lower audit seq that commits after a higher one still shows in the next search`, { skip: STORE_KIND === 'pglite' && 'PGlite runs one transaction at a time, so commits follow seq order there' }, async () => {
  // The rename above left its re-index job queued (no worker runs here), and nothing is cached while one is.
  await sql`UPDATE jobs SET state = 'done' WHERE queue = 'search_index'`.execute(env.services.store.db);
  await sys(env, 'package_create', datasetInput('nso', { name: 'tourism-late', title: 'สถิตินักท่องเที่ยวมาช้า' }));
  await sys(env, 'package_create', datasetInput('nso', { name: 'tourism-early', title: 'สถิตินักท่องเที่ยวมาก่อน' }));
  const titles = async () => (await search(ANONYMOUS, { rows: 100 })).results.map((r) => r.name);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let appended!: () => void;
  const hasSeq = new Promise<void>((r) => (appended = r));
  // Writer A appends its audit row first (the lower seq), then waits before committing.
  const writerA = env.services.store.db.transaction().execute(async (tx) => {
    await writeAudit(tx, SYSTEM, '', new Date(), { action: 'package_update', object_type: 'dataset', object_id: null });
    const { id } = await tx.updateTable('datasets').set({ title: 'ข้อมูลแรงงานนอกระบบ' }).where('name', '=', 'tourism-late').returning('id').executeTakeFirstOrThrow();
    await indexDatasets(tx, [id]);
    appended();
    await gate;
  });
  await hasSeq;
  // Writer B commits a later seq first; the cache then stores an answer that does not have A yet.
  await sys(env, 'package_patch', { id: 'tourism-early', notes: 'ปรับปรุง' });
  assert.ok((await titles()).includes('tourism-late'));
  assert.ok((await titles()).includes('tourism-late'), 'answered from the cache');
  release();
  await writerA;
  assert.ok(!(await titles()).includes('tourism-late'), 'A committed: its change shows although the newest audit row is B\'s');
});
