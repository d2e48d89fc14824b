import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';

/** Synonyms as data: the built-in list and the sysadmins' table, applied at query time. */
describe('search synonyms', () => {
  let env: TestEnv;
  let adminToken: string;
  let userToken: string;
  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nhso', 'สำนักงานหลักประกันสุขภาพแห่งชาติ');
    await makeOrg(env, 'other', 'หน่วยงานอื่น');
    const plain = (org: string, name: string, title: string) => datasetInput(org, { name, title, notes: title, tags: ['สุขภาพ'], maintainer: 'กลุ่มข้อมูล', data_source: 'ทะเบียน' });
    await sys(env, 'package_create', plain('nhso', 'uc-members', 'ผู้มีสิทธิหลักประกันสุขภาพถ้วนหน้า'));
    await sys(env, 'package_create', plain('other', 'dengue', 'ผู้ป่วยไข้เลือดออก'));
    await sys(env, 'package_create', plain('other', 'hotels', 'ที่พักแรมในจังหวัด'));
    await sys(env, 'package_create', plain('other', 'nhso-report', 'รายงานผลการดำเนินงาน สปสช. ประจำปี'));
    await sys(env, 'package_create', plain('other', 'budget-be', 'งบประมาณรายจ่ายประจำปี 2566'));
    await sys(env, 'package_create', plain('other', 'budget-ce', 'Annual budget 2023'));
    await sys(env, 'package_create', plain('other', 'amount', 'วงเงิน 3000 ล้านบาท'));
    ({ token: adminToken } = await makeUser(env, 'admin1', { sysadmin: true }));
    ({ token: userToken } = await makeUser(env, 'user1'));
  });
  after(() => env.close());

  const names = async (q: string) => (await api(env, 'package_search', { q })).json.result.results.map((x: any) => x.name).sort();

  it('a built-in abbreviation finds the full name and back, with or without dots', async () => {
    assert.deepEqual(await names('สปสช'), ['nhso-report', 'uc-members']);
    assert.deepEqual(await names('สปสช.'), ['nhso-report', 'uc-members']);
    assert.deepEqual(await names('สำนักงานหลักประกันสุขภาพแห่งชาติ'), ['nhso-report', 'uc-members']);
    const r = await api(env, 'package_search', { q: 'สปสช' });
    assert.equal(r.json.result.search_loosened, undefined, 'a synonym is not a loosening');
  });

  it('a year typed alone finds it in either era (2566 = 2023); other numbers are not years', async () => {
    assert.deepEqual(await names('2566'), ['budget-be', 'budget-ce']);
    assert.deepEqual(await names('2023'), ['budget-be', 'budget-ce']);
    assert.deepEqual(await names('งบประมาณ 2023'), ['budget-be']);
    assert.deepEqual(await names('2567'), []);
    assert.deepEqual(await names('3000'), ['amount']);
    assert.deepEqual(await names('2457'), []);
  });

  it('sysadmins add and remove groups; everyone else is refused; each change is audited', async () => {
    assert.deepEqual(await names('ไข้เด็งกี่'), []);
    for (const token of [userToken, undefined]) {
      const refused = await api(env, 'search_synonym_create', { terms: ['ไข้เด็งกี่', 'ไข้เลือดออก'] }, { token });
      assert.equal(refused.status, 403);
      assert.equal((await api(env, 'search_synonym_list', undefined, { token })).status, 403);
    }
    const created = await api(env, 'search_synonym_create', { terms: ['ไข้เด็งกี่', 'ไข้เลือดออก'] }, { token: adminToken });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.deepEqual(created.json.result.terms, ['ไข้เด็งกี่', 'ไข้เลือดออก']);
    assert.deepEqual(await names('ไข้เด็งกี่'), ['dengue']);
    const list = await api(env, 'search_synonym_list', undefined, { token: adminToken });
    assert.ok(list.json.result.some((g: any) => g.source === 'builtin' && g.terms.includes('กทม')));
    assert.ok(list.json.result.some((g: any) => g.source === 'custom' && g.id === created.json.result.id));
    const del = await api(env, 'search_synonym_delete', { id: created.json.result.id }, { token: adminToken });
    assert.equal(del.status, 200);
    assert.deepEqual(await names('ไข้เด็งกี่'), []);
    assert.equal((await api(env, 'search_synonym_delete', { id: created.json.result.id }, { token: adminToken })).status, 404);
    const audit = await env.services.store.db.selectFrom('audit_log').select(['action', 'object_id']).where('action', 'like', 'search_synonym_%').orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['search_synonym_create', 'search_synonym_delete']);
  });

  it('bad input is a field error, not a 500', async () => {
    for (const terms of [undefined, 'x', ['เดียว'], ['ก', 'ก'], ['...', 'คำ'], Array.from({ length: 21 }, (_, i) => `คำ${i}`), [{ a: 1 }, 'คำ']]) {
      const r = await api(env, 'search_synonym_create', terms === undefined ? {} : { terms }, { token: adminToken });
      assert.equal(r.status, 409, `${JSON.stringify(terms)}: ${JSON.stringify(r.json)}`);
      assert.ok(r.json.error.terms, JSON.stringify(r.json.error));
    }
    const extra = await api(env, 'search_synonym_create', { terms: ['ก', 'ข'], other: 1 }, { token: adminToken });
    assert.equal(extra.status, 409);
    assert.equal((await api(env, 'search_synonym_delete', { id: 'not-a-uuid' }, { token: adminToken })).status, 404);
    assert.equal((await api(env, 'search_synonym_delete', {}, { token: adminToken })).status, 409);
  });
});
