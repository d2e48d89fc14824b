import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, makeUser, STORE_KIND, sys, testEnv, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';

const INTERNAL = { data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' };
const PASSWORD = 'correct horse battery';

/**
 * CKAN's follow API and named personal lists: the caller's own, filtered by what they may see (a
 * dataset that becomes private drops out, counts included), and the dataset page's forms without JavaScript.
 */
describe(`[${STORE_KIND}] follows and personal lists`, () => {
  let env: TestEnv;
  let reader = '';
  let outsider = '';
  let editor = '';

  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'dopa', 'กรมการปกครอง');
    ({ token: editor } = await makeUser(env, 'editor-l', { org: 'dopa', role: 'editor' }));
    ({ token: reader } = await makeUser(env, 'reader-l', { org: 'dopa', role: 'member' }));
    ({ token: outsider } = await makeUser(env, 'outsider-l'));
    await sys(env, 'package_create', datasetInput('dopa', { name: 'births', title: 'จำนวนการเกิด' }));
    await sys(env, 'package_create', datasetInput('dopa', { name: 'deaths', title: 'จำนวนการตาย' }));
    await sys(env, 'package_create', datasetInput('dopa', { name: 'internal-memo', title: 'บันทึกภายใน', private: true, ...INTERNAL }));
  });
  after(async () => {
    await env?.close();
  });

  const call = async (action: string, body: Record<string, unknown>, token?: string) => api(env, action, body, { token });

  test('follow, am_following, follower and followee counts, followee lists in CKAN 2.10 shapes; anonymous callers are refused', async () => {
    const f = await call('follow_dataset', { id: 'births' }, outsider);
    assert.equal(f.status, 200);
    assert.deepEqual(Object.keys(f.json.result).sort(), ['datetime', 'follower_id', 'object_id']);
    assert.equal((await call('follow_dataset', { id: 'births' }, outsider)).status, 409, 'already following');
    assert.equal((await call('am_following_dataset', { id: 'births' }, outsider)).json.result, true);
    assert.equal((await call('am_following_dataset', { id: 'deaths' }, outsider)).json.result, false);
    assert.equal((await call('dataset_follower_count', { id: 'births' })).json.result, 1);
    const list = (await call('dataset_followee_list', {}, outsider)).json.result;
    assert.deepEqual(list.map((d: any) => d.name), ['births']);
    const fl = (await call('followee_list', {}, outsider)).json.result;
    assert.deepEqual(fl.map((x: any) => [x.type, x.display_name, x.dict.name]), [['dataset', 'จำนวนการเกิด', 'births']]);
    assert.equal((await call('dataset_followee_count', {}, outsider)).json.result, 1);
    // CKAN 2.10's followee_count (all kinds of objects; datasets are the only kind here).
    assert.equal((await call('followee_count', {}, outsider)).json.result, 1);
    assert.equal((await call('followee_count', { id: 'outsider-l' }, outsider)).json.result, 1);
    assert.equal((await call('followee_count', { id: 'outsider-l' }, reader)).status, 403, 'another user’s count is theirs');
    assert.equal((await call('followee_count', {})).status, 403, 'anonymous');
    assert.equal((await call('dataset_follower_list', { id: 'births' }, outsider)).status, 403, 'followers are for sysadmins');
    const { token: admin } = await makeUser(env, 'admin-f', { sysadmin: true });
    assert.deepEqual((await call('dataset_follower_list', { id: 'births' }, admin)).json.result.map((u: any) => u.name), ['outsider-l']);
    assert.equal((await call('follow_dataset', { id: 'deaths' })).status, 403);
    assert.equal((await call('dataset_followee_list', { id: 'outsider-l' }, reader)).status, 403, 'another user’s followees are theirs');
    assert.equal((await call('unfollow_dataset', { id: 'births' }, outsider)).status, 200);
    assert.equal((await call('unfollow_dataset', { id: 'births' }, outsider)).status, 404);
    assert.equal((await call('dataset_follower_count', { id: 'births' })).json.result, 0);
  });

  test('an outsider cannot follow or list a private dataset; a followed dataset made private drops out of lists and counts', async () => {
    assert.equal((await call('follow_dataset', { id: 'internal-memo' }, outsider)).status, 403);
    assert.equal((await call('dataset_follower_count', { id: 'internal-memo' }, outsider)).status, 403);
    const mine = (await call('user_list_create', { title: 'งานวิจัย' }, outsider)).json.result;
    assert.equal((await call('user_list_dataset_add', { id: mine.id, dataset: 'internal-memo' }, outsider)).status, 403);
    // The member may follow and keep it; the outsider follows a public one that then becomes private.
    assert.equal((await call('follow_dataset', { id: 'internal-memo' }, reader)).status, 200);
    assert.equal((await call('follow_dataset', { id: 'deaths' }, outsider)).status, 200);
    assert.equal((await call('user_list_dataset_add', { id: mine.id, dataset: 'deaths' }, outsider)).json.result.dataset_count, 1);
    await sys(env, 'package_patch', { id: 'deaths', private: true, ...INTERNAL });
    assert.deepEqual((await call('dataset_followee_list', {}, outsider)).json.result, []);
    assert.equal((await call('dataset_followee_count', {}, outsider)).json.result, 0);
    const lists = (await call('user_list_list', {}, outsider)).json.result;
    assert.deepEqual(lists.map((l: any) => [l.title, l.dataset_count]), [['งานวิจัย', 0]]);
    const shown = (await call('user_list_show', { id: mine.id }, outsider)).json.result;
    assert.deepEqual([shown.dataset_count, shown.datasets], [0, []]);
    // Members still see both; the counts follow their view.
    assert.equal((await call('dataset_followee_count', {}, reader)).json.result, 1);
    assert.equal((await call('dataset_follower_count', { id: 'deaths' }, reader)).json.result, 1);
    // Back to public: the entry returns to the outsider's list.
    await sys(env, 'package_patch', { id: 'deaths', private: false, data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย' });
    assert.equal((await call('user_list_show', { id: mine.id }, outsider)).json.result.dataset_count, 1);
  });

  test('named lists: create, rename, add, remove, delete; private to their owner (even a sysadmin gets 404); field errors in Thai and English', async () => {
    const l = (await call('user_list_create', { title: 'ข้อมูลประชากร' }, reader)).json.result;
    assert.equal(l.dataset_count, 0);
    const dup = await api(env, 'user_list_create', { title: 'ข้อมูลประชากร' }, { token: reader, lang: 'en' });
    assert.equal(dup.status, 409);
    assert.match(dup.json.error.title[0], /already have a list/);
    assert.match((await call('user_list_create', {}, reader)).json.error.title[0], /.+/);
    await call('user_list_dataset_add', { id: l.id, dataset: 'births' }, reader);
    await call('user_list_dataset_add', { id: l.id, dataset: 'internal-memo' }, reader);
    assert.equal((await call('user_list_update', { id: l.id, title: 'ประชากรและการเกิด' }, reader)).json.result.title, 'ประชากรและการเกิด');
    const shown = (await call('user_list_show', { id: l.id }, reader)).json.result;
    assert.deepEqual(shown.datasets.map((d: any) => d.name).sort(), ['births', 'internal-memo']);
    const { token: admin } = await makeUser(env, 'admin-l', { sysadmin: true });
    for (const [action, body] of [['user_list_show', { id: l.id }], ['user_list_update', { id: l.id, title: 'x' }], ['user_list_delete', { id: l.id }], ['user_list_dataset_add', { id: l.id, dataset: 'births' }]] as const) {
      assert.equal((await call(action, body, outsider)).status, 404, `${action} by another user`);
      assert.equal((await call(action, body, admin)).status, 404, `${action} by a sysadmin`);
    }
    assert.equal((await call('user_list_show', { id: 'not-a-uuid' }, reader)).status, 404);
    assert.equal((await call('user_list_dataset_remove', { id: l.id, dataset: 'births' }, reader)).json.result.dataset_count, 1);
    assert.equal((await call('user_list_delete', { id: l.id }, reader)).status, 200);
    assert.equal((await call('user_list_show', { id: l.id }, reader)).status, 404);
    assert.equal((await call('user_list_list', {})).status, 403);
  });

  test('pages: follow and add-to-list buttons are POST forms on the dataset page; my lists on the dashboard', async () => {
    const c = new PageClient(env.app);
    await c.signIn('editor-l', PASSWORD);
    let page = await c.get('/dataset/births');
    assert.match(page.body, /action="\/dataset\/follow\/births"/);
    await c.post('/dataset/follow/births', {}, { csrf: c.csrf(page.body) });
    assert.equal(c.last!.statusCode, 303);
    page = await c.get('/dataset/births');
    assert.match(page.body, /action="\/dataset\/unfollow\/births"/);
    assert.match(page.body, /ผู้ติดตาม 1 คน/);
    const csrf = c.csrf(page.body);
    await c.post('/dataset/list-add/births', { list_id: '', title: 'รายการจากหน้าเว็บ' }, { csrf });
    assert.equal(c.last!.statusCode, 303);
    const dash = await c.get('/dashboard/lists');
    assert.equal(dash.statusCode, 200);
    assert.match(dash.body, /จำนวนการเกิด/);
    const m = /href="\/dashboard\/lists\/([0-9a-f-]{36})">รายการจากหน้าเว็บ<\/a> <span class="muted">1 ชุดข้อมูล/.exec(dash.body);
    assert.ok(m, 'the new list with its count');
    const one = await c.get(`/dashboard/lists/${m[1]}`);
    assert.match(one.body, /href="\/dataset\/births"/);
    await c.post(`/dashboard/lists/${m[1]}/delete`, {}, { csrf: c.csrf(one.body) });
    assert.equal((await c.follow()).statusCode, 200);
    assert.doesNotMatch(c.last!.body, /รายการจากหน้าเว็บ/);
    // Anonymous visitors see the count and a sign-in link, no forms.
    const anon = await new PageClient(env.app).get('/dataset/births');
    assert.doesNotMatch(anon.body, /action="\/dataset\/follow\//);
    assert.match(anon.body, /came_from=%2Fdataset%2Fbirths/);
    assert.equal((await new PageClient(env.app).get('/dashboard/lists')).statusCode, 303);
    void editor;
  });
});
