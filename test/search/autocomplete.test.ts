import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, sys, testEnv, type TestEnv } from '../helpers.ts';

/** tag_autocomplete, package_autocomplete (Thai prefixes) and similar datasets. */
let env: TestEnv;
before(async () => {
  env = await testEnv();
  await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
  const make = (name: string, title: string, tags: string[], extra: Record<string, unknown> = {}) => sys(env, 'package_create', datasetInput('nso', { name, title, tags, ...extra }));
  await make('labour-force', 'จำนวนกำลังแรงงานรวม จำแนกตามเพศ', ['แรงงาน', 'กำลังแรงงาน', 'สถิติแรงงาน']);
  await make('migrant-workers', 'แรงงานต่างด้าวที่ได้รับอนุญาตทำงาน', ['แรงงาน', 'แรงงานต่างด้าว']);
  await make('unemployment', 'อัตราการว่างงาน รายไตรมาส', ['การว่างงาน', 'สถิติแรงงาน']);
  await make('tourists', 'จำนวนนักท่องเที่ยวชาวต่างประเทศ', ['ท่องเที่ยว']);
  await make('school-locations', 'ที่ตั้งโรงเรียน', ['โรงเรียน']);
  await make('secret-labour', 'ข้อมูลแรงงานลับเฉพาะ', ['แรงงานลับ'], { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ', private: true });
});
after(() => env.close());

const call = async (action: string, body: Record<string, unknown>) => {
  const r = await api(env, action, body);
  return r;
};

test('tag_autocomplete: Thai prefixes first, then tags containing the text; never a tag only private data has', async () => {
  const r = await call('tag_autocomplete', { query: 'แรงงาน' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.result, ['แรงงาน', 'แรงงานต่างด้าว', 'กำลังแรงงาน', 'สถิติแรงงาน']);
  assert.deepEqual((await call('tag_autocomplete', { query: 'แรง', limit: 2 })).json.result, ['แรงงาน', 'แรงงานต่างด้าว']);
  assert.deepEqual((await call('tag_autocomplete', { query: 'ว่าง' })).json.result, ['การว่างงาน']);
  assert.deepEqual((await call('tag_autocomplete', { query: '' })).json.result, []);
  assert.deepEqual((await call('tag_autocomplete', { query: 'ลับ' })).json.result, []);
  const root = await sys(env, 'tag_autocomplete', { query: 'ลับ' });
  assert.deepEqual(root, ['แรงงานลับ']);
  // The GET form CKAN's web client uses.
  const get = await api(env, 'tag_autocomplete', undefined, { query: { query: 'ท่อง' } });
  assert.deepEqual(get.json.result, ['ท่องเที่ยว']);
});

test('package_autocomplete: a Thai word being typed inside a title, or a name prefix, in CKAN shape', async () => {
  const r = await call('package_autocomplete', { q: 'แรงง' });
  assert.equal(r.status, 200);
  const got = r.json.result as Array<{ name: string; title: string; match_field: string; match_displayed: string }>;
  assert.deepEqual(got.map((x) => x.name).sort(), ['labour-force', 'migrant-workers']);
  const first = got.find((x) => x.name === 'migrant-workers')!;
  assert.deepEqual(first, { name: 'migrant-workers', title: 'แรงงานต่างด้าวที่ได้รับอนุญาตทำงาน', match_field: 'title', match_displayed: 'แรงงานต่างด้าวที่ได้รับอนุญาตทำงาน (migrant-workers)' });
  assert.equal(got[0]!.name, 'migrant-workers', 'a title that starts with the text comes first');
  const byName = (await call('package_autocomplete', { q: 'unemp' })).json.result;
  assert.deepEqual(byName, [{ name: 'unemployment', title: 'อัตราการว่างงาน รายไตรมาส', match_field: 'name', match_displayed: 'unemployment' }]);
  const inside = (await call('package_autocomplete', { q: 'นักท่องเที่' })).json.result;
  assert.deepEqual(inside.map((x: any) => x.name), ['tourists']);
  assert.deepEqual((await call('package_autocomplete', { q: 'ลับเฉพาะ' })).json.result, [], 'private datasets are not suggested to outsiders');
  assert.equal((await call('package_autocomplete', { q: 'แรง', limit: 1 })).json.result.length, 1);
  const missing = await call('package_autocomplete', {});
  assert.equal(missing.status, 409);
});

test('package_similar: visible datasets sharing tags and title words, best first, never itself', async () => {
  const r = await call('package_similar', { id: 'labour-force' });
  assert.equal(r.status, 200);
  const got = r.json.result.map((x: any) => x.name);
  assert.deepEqual(got.slice(0, 2).sort(), ['migrant-workers', 'unemployment']);
  assert.ok(!got.includes('labour-force'));
  assert.ok(!got.includes('secret-labour'), 'private neighbours stay hidden');
  assert.ok(!got.includes('school-locations'));
  assert.ok(r.json.result[0].resources !== undefined, 'full package dicts');
  const asRoot = (await sys(env, 'package_similar', { id: 'labour-force', rows: 10 })).map((x: any) => x.name);
  assert.ok(asRoot.includes('secret-labour'));
  assert.equal((await call('package_similar', { id: 'labour-force', rows: 1 })).json.result.length, 1);
  assert.equal((await call('package_similar', { id: 'no-such-dataset' })).status, 404);
  assert.equal((await call('package_similar', { id: 'secret-labour' })).status, 404, 'a sensitive dataset is not even named');
});
