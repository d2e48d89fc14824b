import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';

let env: TestEnv;
before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'nso');
  await sys(env, 'package_create', datasetInput('nso', { name: 'popular' }));
  await sys(env, 'package_create', datasetInput('nso', { name: 'quiet' }));
});
after(() => env.close());

test(`[${STORE_KIND}] dataset page views are counted and sort "most viewed" first`, async () => {
  for (let i = 0; i < 3; i++) assert.equal((await env.app.inject({ url: '/dataset/popular' })).statusCode, 200);
  assert.equal((await env.app.inject({ url: '/dataset/quiet' })).statusCode, 200);
  assert.equal((await env.app.inject({ url: '/dataset/no-such' })).statusCode, 404);
  await env.services.views.flush();
  const rows = await env.services.store.db.selectFrom('datasets').select(['name', 'view_count']).orderBy('name').execute();
  assert.deepEqual(rows.map((r) => [r.name, r.view_count]), [['popular', 3], ['quiet', 1]]);
  const r = await sys<{ results: Array<{ name: string }> }>(env, 'package_search', { sort: 'views_total desc' });
  assert.deepEqual(r.results.map((x) => x.name), ['popular', 'quiet']);
});

test(`[${STORE_KIND}] a dataset page links similar datasets the visitor may see, never hidden ones`, async () => {
  await sys(env, 'package_create', datasetInput('nso', { name: 'labour-north', title: 'สถิติแรงงานภาคเหนือ', tags: ['แรงงาน', 'ภาคเหนือ'] }));
  await sys(env, 'package_create', datasetInput('nso', { name: 'labour-south', title: 'สถิติแรงงานภาคใต้', tags: ['แรงงาน', 'ภาคใต้'] }));
  await sys(env, 'package_create', datasetInput('nso', { name: 'labour-secret', title: 'ข้อมูลแรงงานรายบุคคล', tags: ['แรงงาน'], data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' }));
  const page = await env.app.inject({ url: '/dataset/labour-north' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /ชุดข้อมูลที่เกี่ยวข้อง/);
  assert.match(page.body, /href="\/dataset\/labour-south"/);
  assert.doesNotMatch(page.body, /labour-secret|ข้อมูลแรงงานรายบุคคล/);
});

test(`[${STORE_KIND}] the home page shows a new dataset at once, though its data is shared between visitors`, async () => {
  const before = await env.app.inject({ url: '/' });
  assert.equal(before.statusCode, 200);
  assert.doesNotMatch(before.body, /ชุดข้อมูลใหม่ล่าสุดทดสอบ/);
  await sys(env, 'package_create', datasetInput('nso', { name: 'brand-new', title: 'ชุดข้อมูลใหม่ล่าสุดทดสอบ' }));
  const after = await env.app.inject({ url: '/' });
  assert.match(after.body, /ชุดข้อมูลใหม่ล่าสุดทดสอบ/);
});
