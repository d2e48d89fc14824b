import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS, type Actor } from '../../src/access/actor.ts';
import { PageClient } from '../web/client.ts';
import { PASSWORD } from '../web/seed.ts';

/** Issue 7, findings 6 and 11: each version is judged by what it was; staff identities only for colleagues. */
let env: TestEnv;
let editor: { actor: Actor; token: string };
let member: { actor: Actor; token: string };
let outsider: { actor: Actor; token: string };
const SECRET_TITLE = 'ทะเบียนผู้ให้ข้อมูลลับ';
const SECRET_NOTES = 'รายชื่อผู้ให้ข้อมูลลับ ห้ามเผยแพร่';
const PRIVATE_RESOURCE = 'แฟ้มภายในห้ามเผยแพร่';

interface Entry {
  user_id: string | null;
  user_name: string | null;
  user_display_name: string | null;
  version: number;
  changes: Array<{ field: string; old: unknown; new: unknown }>;
  changes_withheld?: boolean;
  data: { package: Record<string, unknown> };
}

before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'agency', 'สำนักงานตัวอย่าง');
  await makeOrg(env, 'elsewhere', 'หน่วยงานอื่น');
  editor = await makeUser(env, 'hist_editor', { org: 'agency', role: 'editor' });
  member = await makeUser(env, 'hist_member', { org: 'agency', role: 'member' });
  outsider = await makeUser(env, 'hist_outsider', { org: 'elsewhere', role: 'editor' });
  // Confidential first, then reclassified as open data with a new title.
  await as(env, editor.actor, 'package_create', datasetInput('agency', { name: 'reclassified', title: SECRET_TITLE, notes: SECRET_NOTES, data_category: 'ข้อมูลความลับทางราชการ', data_classification: 'ลับ' }));
  await as(env, editor.actor, 'package_patch', { id: 'reclassified', notes: `${SECRET_NOTES} ฉบับแก้` });
  await as(env, editor.actor, 'package_patch', { id: 'reclassified', title: 'สถิติผู้ให้ข้อมูล', notes: 'สรุปจำนวนโดยไม่ระบุตัวตน', data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย', private: false, allow_harvest: 'True' });
  await as(env, editor.actor, 'package_patch', { id: 'reclassified', notes: 'สรุปจำนวนโดยไม่ระบุตัวตน ปรับปรุง' });
  // Open data with a private resource that is then deleted.
  const open = await as<{ id: string }>(env, editor.actor, 'package_create', datasetInput('agency', { name: 'with-private-file' }));
  const res = await as<{ id: string }>(env, editor.actor, 'resource_create', { package_id: open.id, name: PRIVATE_RESOURCE, url: 'https://intranet.example.go.th/internal.csv', format: 'CSV', resource_private: 'True' });
  await as(env, editor.actor, 'resource_delete', { id: res.id });
});
after(() => env.close());

const history = (actor: Actor, id: string) => as<Entry[]>(env, actor, 'package_activity_list', { id });

test(`[${STORE_KIND}] a dataset reclassified from confidential to public shows no confidential-era version to those who could not see it`, async () => {
  for (const who of [ANONYMOUS, member.actor, outsider.actor]) {
    const list = await history(who, 'reclassified');
    const text = JSON.stringify(list);
    assert.ok(!text.includes(SECRET_TITLE), 'no confidential-era title');
    assert.ok(!text.includes('ห้ามเผยแพร่'), 'no confidential-era notes, neither in snapshots nor as old values');
    assert.deepEqual(list.map((a) => a.version), [4, 3], 'confidential versions are left out, so counts and pages agree');
    assert.equal(list[1]!.changes_withheld, true, 'the first public version shows no changes from the one before');
    assert.deepEqual(list[1]!.changes, []);
    assert.ok(list[0]!.changes.some((c) => c.field === 'notes'));
  }
  const full = await history(editor.actor, 'reclassified');
  assert.deepEqual(full.map((a) => a.version), [4, 3, 2, 1], 'the organisation\'s editors keep the whole record');
  assert.ok(JSON.stringify(full).includes(SECRET_TITLE));
  // Paging counts the versions the caller may see.
  const page = await as<Entry[]>(env, ANONYMOUS, 'package_activity_list', { id: 'reclassified', limit: 1, offset: 1 });
  assert.deepEqual(page.map((a) => a.version), [3]);
});

test(`[${STORE_KIND}] a private resource's name stays hidden after it is deleted`, async () => {
  for (const who of [ANONYMOUS, member.actor, outsider.actor]) {
    const text = JSON.stringify(await history(who, 'with-private-file'));
    assert.ok(!text.includes(PRIVATE_RESOURCE), 'not in the version that added it, nor in the one that removed it');
    assert.ok(!text.includes('intranet.example.go.th'));
  }
  assert.ok(JSON.stringify(await history(editor.actor, 'with-private-file')).includes(PRIVATE_RESOURCE));
});

test(`[${STORE_KIND}] the history page shows neither confidential-era values nor deleted private resources to visitors`, async () => {
  const anon = new PageClient(env.app);
  for (const name of ['reclassified', 'with-private-file']) {
    const page = await anon.get(`/dataset/activity/${name}`);
    assert.equal(page.statusCode, 200);
    assert.ok(!page.body.includes(SECRET_TITLE));
    assert.ok(!page.body.includes('ห้ามเผยแพร่'));
    assert.ok(!page.body.includes(PRIVATE_RESOURCE));
    assert.ok(!page.body.includes('hist_editor'), 'no staff names for visitors');
    assert.match(page.body, /สำนักงานตัวอย่าง/, 'the organisation is named instead');
  }
  const colleague = new PageClient(env.app);
  await colleague.signIn('hist_member', PASSWORD);
  const seen = await colleague.get('/dataset/activity/reclassified');
  assert.match(seen.body, /hist_editor/, 'colleagues see who edited');
});

test(`[${STORE_KIND}] editors' identities go to colleagues only: activity, creator_user_id, member lists, user_show`, async () => {
  const editorId = editor.actor.kind === 'user' ? editor.actor.user.id : '';
  for (const who of [ANONYMOUS, outsider.actor]) {
    const list = await history(who, 'reclassified');
    for (const a of list) {
      assert.equal(a.user_id, null);
      assert.equal(a.user_name, null);
      assert.equal(a.user_display_name, 'สำนักงานตัวอย่าง');
      assert.equal(a.data.package.creator_user_id, null);
    }
    assert.ok(!JSON.stringify(list).includes(editorId));
    const show = await as<Record<string, unknown>>(env, who, 'package_show', { id: 'reclassified' });
    assert.equal(show.creator_user_id, null);
    const search = await as<{ results: Array<Record<string, unknown>> }>(env, who, 'package_search', { q: 'name:reclassified' });
    assert.equal(search.results[0]!.creator_user_id, null);
  }
  const colleague = await history(member.actor, 'reclassified');
  assert.equal(colleague[0]!.user_name, 'hist_editor');
  assert.equal(colleague[0]!.user_id, editorId);
  assert.equal((await as<Record<string, unknown>>(env, member.actor, 'package_show', { id: 'reclassified' })).creator_user_id, editorId);

  // Member lists: an organisation's to its people, a theme group's to its members; never to anonymous callers.
  await sys(env, 'group_create', { name: 'theme', title: 'กลุ่มหัวข้อ' });
  await sys(env, 'member_create', { id: 'theme', object: 'hist_editor', object_type: 'user', capacity: 'member' });
  const anonGroup = await api(env, 'group_show', undefined, { query: { id: 'theme' } });
  assert.equal(anonGroup.status, 200);
  assert.equal(anonGroup.json.result.users, undefined);
  assert.equal((await api(env, 'member_list', undefined, { query: { id: 'theme' } })).status, 403);
  assert.equal((await api(env, 'member_list', undefined, { query: { id: 'theme', object_type: 'package' } })).status, 200, 'the datasets of a group stay public');
  assert.ok((await as<{ users?: unknown[] }>(env, editor.actor, 'group_show', { id: 'theme' })).users?.length);
  assert.equal((await api(env, 'member_list', undefined, { query: { id: 'agency' }, token: outsider.token })).status, 403);
  assert.equal((await api(env, 'organization_show', undefined, { query: { id: 'agency' }, token: outsider.token })).json.result.users, undefined);
  assert.ok((await api(env, 'organization_show', undefined, { query: { id: 'agency' }, token: member.token })).json.result.users.length >= 2);
  assert.equal((await api(env, 'user_show', undefined, { query: { id: 'hist_editor' }, token: outsider.token })).status, 404);
  assert.equal((await api(env, 'user_show', undefined, { query: { id: 'hist_editor' }, token: member.token })).status, 200);
});
