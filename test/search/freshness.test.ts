import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { api, datasetInput, makeOrg, sys, testEnv, type TestEnv } from '../helpers.ts';
import { indexDatasets } from '../../src/search/indexer.ts';
import { reindexAll } from '../../src/search/reindex.ts';
import { claim, complete } from '../../src/jobs/queue.ts';
import { handlers } from '../../src/jobs/worker.ts';

/** The index follows every write in the same transaction; renames go through a durable job. */
let env: TestEnv;
before(async () => {
  env = await testEnv();
  await makeOrg(env, 'dol', 'กรมการจัดหางาน');
  await sys(env, 'group_create', { name: 'economy', title: 'เศรษฐกิจ' });
});
after(() => env.close());

async function anon(params: Record<string, unknown>) {
  const r = await api(env, 'package_search', { rows: 100, ...params });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.result;
}
const names = async (q: string, fq?: string) => (await anon({ q, ...(fq ? { fq } : {}) })).results.map((x: any) => x.name).sort();

test('create, update, resource change, group change, privacy change and delete show in the next search', async () => {
  await sys(env, 'package_create', datasetInput('dol', { name: 'vacancies', title: 'ตำแหน่งงานว่าง รายเดือน', tags: ['ตลาดแรงงาน'] }));
  assert.deepEqual(await names('ตำแหน่งงานว่าง'), ['vacancies']);

  await sys(env, 'package_patch', { id: 'vacancies', title: 'ผู้สมัครงาน รายเดือน' });
  assert.deepEqual(await names('ตำแหน่งงานว่าง'), []);
  assert.deepEqual(await names('ผู้สมัครงาน'), ['vacancies']);

  await sys(env, 'resource_create', { package_id: 'vacancies', name: 'แผนที่', url: 'https://example.go.th/x.geojson', format: 'GeoJSON' });
  assert.deepEqual(await names('*:*', 'res_format:GEOJSON'), ['vacancies']);
  const facets = await anon({ q: 'ผู้สมัครงาน', 'facet.field': ['res_format'] });
  assert.equal(facets.facets.res_format.GEOJSON, 1);

  await sys(env, 'package_patch', { id: 'vacancies', groups: [{ name: 'economy' }] });
  assert.deepEqual(await names('*:*', 'groups:economy'), ['vacancies']);

  await sys(env, 'package_patch', { id: 'vacancies', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: true });
  assert.deepEqual(await names('ผู้สมัครงาน'), []);
  assert.equal((await sys(env, 'package_search', { q: 'ผู้สมัครงาน', include_private: true })).count, 1);
  await sys(env, 'package_patch', { id: 'vacancies', data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย', private: false });
  assert.deepEqual(await names('ผู้สมัครงาน'), ['vacancies']);

  await sys(env, 'package_delete', { id: 'vacancies' });
  assert.deepEqual(await names('ผู้สมัครงาน'), []);
  assert.equal((await anon({ 'facet.field': ['tags'] })).facets.tags['ตลาดแรงงาน'], undefined);
});

test('title and name sorts read the search row, which follows a rename by an action and by any other path (the trigger)', async () => {
  await makeOrg(env, 'sorting-office', 'สำนักงานทดสอบการเรียง');
  for (const [name, title] of [['sort-b', 'ขข ทะเบียนเรียงลำดับ'], ['sort-a', 'กก ทะเบียนเรียงลำดับ'], ['sort-c', 'คค ทะเบียนเรียงลำดับ']]) await sys(env, 'package_create', datasetInput('sorting-office', { name, title }));
  const order = async (sort: string) => (await anon({ q: 'ทะเบียนเรียงลำดับ', sort })).results.map((x: any) => x.name);
  assert.deepEqual(await order('title_string asc'), ['sort-a', 'sort-b', 'sort-c']);
  assert.deepEqual(await order('name desc'), ['sort-c', 'sort-b', 'sort-a']);
  await sys(env, 'package_patch', { id: 'sort-a', title: 'งง ทะเบียนเรียงลำดับ' });
  assert.deepEqual(await order('title_string asc'), ['sort-b', 'sort-c', 'sort-a']);
  // A path that writes datasets without the indexer: the row's facts follow in the same statement.
  await sql`UPDATE datasets SET title = 'กข ทะเบียนเรียงลำดับ', name = 'sort-z' WHERE name = 'sort-c'`.execute(env.services.store.db);
  const row = await env.services.store.db.selectFrom('dataset_search').select(['title', 'name']).where('dataset_id', '=', sql<string>`(SELECT id FROM datasets WHERE name = 'sort-z')`).executeTakeFirstOrThrow();
  assert.deepEqual(row, { title: 'กข ทะเบียนเรียงลำดับ', name: 'sort-z' });
  assert.deepEqual(await order('title_string asc'), ['sort-z', 'sort-b', 'sort-a']);
  assert.deepEqual(await order('name asc'), ['sort-a', 'sort-b', 'sort-z']);
});

test('pathological text is indexed without failing the write', async () => {
  const words = Array.from({ length: 300 }, (_, i) => `w${i}x${'y'.repeat(40)}`).join(' ');
  const description = Array.from({ length: 190 }, (_, i) => `r${i}-${'z'.repeat(95)}`).join(' ');
  await sys(env, 'package_create', datasetInput('dol', {
    name: 'huge-notes',
    title: 'ข้อความยาวมาก',
    notes: `${'a'.repeat(3000)}-b ${'ก'.repeat(3000)} ${words}`,
    resources: Array.from({ length: 5 }, (_, i) => ({ name: `ไฟล์ ${i}`, url: `https://example.go.th/${i}.csv`, format: 'CSV', description })),
  }));
  assert.deepEqual(await names('ข้อความยาวมาก'), ['huge-notes']);
  await sys(env, 'package_delete', { id: 'huge-notes' });
});

test('a write that rolls back leaves the index as it was', async () => {
  const { id } = await sys(env, 'package_create', datasetInput('dol', { name: 'wages', title: 'ค่าจ้างเฉลี่ย' }));
  await assert.rejects(
    env.services.store.db.transaction().execute(async (tx) => {
      await tx.updateTable('datasets').set({ title: 'ชั่วโมงทำงาน' }).where('id', '=', id).execute();
      await indexDatasets(tx, [id]);
      throw new Error('crash before commit');
    }),
    /crash before commit/,
  );
  assert.deepEqual(await names('ชั่วโมงทำงาน'), []);
  assert.deepEqual(await names('ค่าจ้างเฉลี่ย'), ['wages']);
  await assert.rejects(sys(env, 'package_patch', { id: 'wages', title: 'ชั่วโมงทำงาน', data_type: 'no such type' }), /Validation Error/);
  assert.deepEqual(await names('ชั่วโมงทำงาน'), []);
});

test('renaming an organisation queues a durable job that re-indexes its datasets; facets use the new title at once', async () => {
  await sys(env, 'package_create', datasetInput('dol', { name: 'placements', title: 'การบรรจุงาน' }));
  assert.deepEqual(await names('จัดหางาน'), ['placements', 'wages']);
  await sys(env, 'organization_patch', { id: 'dol', title: 'กรมส่งเสริมการมีงานทำ' });
  const shown = await anon({ q: 'การบรรจุงาน', 'facet.field': ['organization'] });
  assert.equal(shown.search_facets.organization.items[0].display_name, 'กรมส่งเสริมการมีงานทำ');

  const job = await claim(env.services.store.db, ['search_index']);
  assert.ok(job, 'the rename committed a job with it');
  await handlers.search_index!(env.services, job.payload);
  await complete(env.services.store.db, job.id);
  assert.deepEqual(await names('ส่งเสริมการมีงานทำ'), ['placements', 'wages']);
  assert.deepEqual(await names('จัดหางาน'), []);
  assert.equal(await claim(env.services.store.db, ['search_index']), null, 'one job per rename');
});

test('a deleted group leaves facets and filters at once, and its job cleans the search rows', async () => {
  await sys(env, 'group_create', { name: 'labour-market', title: 'ตลาดแรงงาน' });
  await sys(env, 'package_patch', { id: 'placements', groups: [{ name: 'labour-market' }] });
  assert.deepEqual(await names('*:*', 'groups:labour-market'), ['placements']);
  assert.equal((await anon({ q: 'การบรรจุงาน', 'facet.field': ['groups'] })).facets.groups['labour-market'], 1);
  await sys(env, 'group_delete', { id: 'labour-market' });
  assert.deepEqual(await names('*:*', 'groups:labour-market'), []);
  assert.deepEqual((await anon({ q: 'การบรรจุงาน', 'facet.field': ['groups'] })).facets.groups, {});
  const job = await claim(env.services.store.db, ['search_index']);
  assert.deepEqual(job?.payload, { group_id: (await env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'labour-market').executeTakeFirstOrThrow()).id });
  await handlers.search_index!(env.services, job!.payload);
  await complete(env.services.store.db, job!.id);
  const row = await sql<{ n: number }>`SELECT cardinality(group_ids) AS n FROM dataset_search s JOIN datasets d ON d.id = s.dataset_id WHERE d.name = 'placements'`.execute(env.services.store.db);
  assert.equal(row.rows[0]!.n, 0);
});

test('reindexAll rebuilds the whole index and reports progress', async () => {
  const before = await anon({ 'facet.field': ['tags', 'organization'] });
  await sql`DELETE FROM dataset_search`.execute(env.services.store.db);
  assert.equal((await anon({})).count, 0);
  const progress: Array<[number, number]> = [];
  const total = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM datasets`.execute(env.services.store.db)).rows[0]!.n);
  const n = await reindexAll(env.services, (done, all) => progress.push([done, all]));
  assert.equal(n, total);
  assert.deepEqual(progress[0], [0, total]);
  assert.deepEqual(progress[progress.length - 1], [total, total]);
  const afterRebuild = await anon({ 'facet.field': ['tags', 'organization'] });
  assert.deepEqual(afterRebuild, before);
});
