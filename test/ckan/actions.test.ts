import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listIndex } from '../../src/actions/ckan/revise.ts';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';

const INTERNAL = { data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' };

describe('CKAN client actions', () => {
  let env: TestEnv;
  let a: string; // editor of nso
  let adminA: string; // admin of nso
  let b: string; // editor of another organisation
  let root: string; // sysadmin
  let pub: any;
  let internal: any;
  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeOrg(env, 'dlt', 'กรมการขนส่งทางบก');
    await sys(env, 'group_create', { name: 'labour', title: 'แรงงาน' });
    a = (await makeUser(env, 'ed-a', { org: 'nso', role: 'editor' })).token;
    adminA = (await makeUser(env, 'adm-a', { org: 'nso', role: 'admin' })).token;
    b = (await makeUser(env, 'ed-b', { org: 'dlt', role: 'editor' })).token;
    root = (await makeUser(env, 'root', { sysadmin: true })).token;
    pub = (await api(env, 'package_create', datasetInput('nso', { name: 'labour-open', groups: [{ name: 'labour' }], resources: [{ name: 'ตาราง CSV', url: 'https://nso.go.th/labour.csv', format: 'CSV' }] }), { token: a })).json.result;
    internal = (await api(env, 'package_create', datasetInput('nso', { name: 'labour-internal', ...INTERNAL, private: true, groups: [{ name: 'labour' }], resources: [{ name: 'ภายใน', url: 'https://nso.go.th/secret-internal.xlsx', format: 'XLSX' }] }), { token: a })).json.result;
    assert.ok(pub?.id && internal?.id);
  });
  after(() => env.close());

  const names = (list: Array<{ name: string }>) => list.map((d) => d.name).sort();

  test('current_package_list_with_resources: full dicts, only what the caller may see', async () => {
    const anon = (await api(env, 'current_package_list_with_resources')).json.result;
    assert.deepEqual(names(anon), ['labour-open']);
    assert.equal(anon[0].resources[0].name, 'ตาราง CSV');
    assert.deepEqual(names((await api(env, 'current_package_list_with_resources', undefined, { token: b })).json.result), ['labour-open']);
    assert.deepEqual(names((await api(env, 'current_package_list_with_resources', undefined, { token: a })).json.result), ['labour-internal', 'labour-open']);
    assert.equal((await api(env, 'current_package_list_with_resources', undefined, { token: a, query: { limit: '1', offset: '1' } })).json.result.length, 1);
    assert.equal((await api(env, 'current_package_list_with_resources', undefined, { query: { limit: '-1' } })).status, 409);
  });

  test('group_package_show and resource_search honour visibility', async () => {
    assert.deepEqual(names((await api(env, 'group_package_show', undefined, { query: { id: 'labour' } })).json.result), ['labour-open']);
    assert.deepEqual(names((await api(env, 'group_package_show', undefined, { query: { id: 'labour' }, token: a })).json.result), ['labour-internal', 'labour-open']);
    assert.equal((await api(env, 'group_package_show', undefined, { query: { id: 'nope' } })).status, 404);
    const anon = (await api(env, 'resource_search', undefined, { query: { query: 'url:nso.go.th' } })).json.result;
    assert.equal(anon.count, 1);
    assert.equal(anon.results[0].name, 'ตาราง CSV');
    const mine = (await api(env, 'resource_search', { query: ['url:nso.go.th', 'format:xls'] }, { token: a, method: 'POST' })).json.result;
    assert.equal(mine.count, 1);
    assert.equal(mine.results[0].name, 'ภายใน');
    assert.equal((await api(env, 'resource_search', undefined, { query: { query: 'name:ภายใน' }, token: b })).json.result.count, 0, 'another organisation sees no internal resource');
    assert.equal((await api(env, 'resource_search', undefined, { query: { query: 'no-colon' } })).status, 409);
    assert.equal((await api(env, 'resource_search', undefined, { query: { query: 'name:%' } })).json.result.count, 0, '% is a character, not a wildcard');
  });

  test('format_autocomplete, organization_autocomplete, member_roles_list, vocabulary_list', async () => {
    assert.deepEqual((await api(env, 'format_autocomplete', undefined, { query: { q: 'cs' } })).json.result, ['csv']);
    assert.deepEqual((await api(env, 'format_autocomplete', undefined, { query: { q: 'xl' } })).json.result, [], 'formats of data the caller may not see stay hidden');
    assert.deepEqual((await api(env, 'format_autocomplete', undefined, { query: { q: 'xl' }, token: a })).json.result, ['xlsx']);
    const orgs = (await api(env, 'organization_autocomplete', undefined, { query: { q: 'สถิติ' } })).json.result;
    assert.deepEqual(orgs.map((o: { name: string }) => o.name), ['nso']);
    assert.deepEqual(Object.keys(orgs[0]).sort(), ['id', 'name', 'title']);
    const roles = (await api(env, 'member_roles_list', undefined, { lang: 'en' })).json.result;
    assert.deepEqual(roles.map((r: { value: string }) => r.value), ['admin', 'editor', 'member']);
    assert.equal(roles[0].text, 'Admin');
    assert.deepEqual((await api(env, 'member_roles_list', undefined, { query: { group_type: 'group' } })).json.result.map((r: { value: string }) => r.value), ['admin', 'member']);
    assert.deepEqual((await api(env, 'vocabulary_list')).json.result, []);
  });

  test('activity lists: per-version visibility, staff identities for colleagues only', async () => {
    // A public dataset made internal later: its earlier public versions stay public, the later ones do not.
    const moved = (await api(env, 'package_create', datasetInput('nso', { name: 'reclassified' }), { token: a })).json.result;
    assert.equal((await api(env, 'package_patch', { id: moved.id, ...INTERNAL, private: true }, { token: a })).status, 200);
    const anon = (await api(env, 'organization_activity_list', undefined, { query: { id: 'nso' } })).json.result;
    const anonNames = anon.map((x: any) => x.data.package.name);
    assert.ok(anonNames.includes('labour-open'));
    assert.ok(!anonNames.includes('labour-internal'));
    assert.equal(anon.filter((x: any) => x.object_id === moved.id).length, 1, 'only the public version of the reclassified dataset');
    assert.ok(anon.every((x: any) => x.user_id === null && x.user_name === null), 'no staff identities for visitors');
    assert.ok(anon.every((x: any) => x.data.package.resources === undefined));
    const other = (await api(env, 'recently_changed_packages_activity_list', undefined, { token: b })).json.result;
    assert.deepEqual(other.map((x: any) => x.object_id).sort(), anon.map((x: any) => x.object_id).sort());
    const colleague = (await api(env, 'organization_activity_list', undefined, { query: { id: 'nso' }, token: a })).json.result;
    assert.ok(colleague.length > anon.length);
    assert.ok(colleague.some((x: any) => x.user_name === 'ed-a'));
    assert.equal((await api(env, 'dashboard_activity_list')).status, 403);
    const dashB = (await api(env, 'dashboard_activity_list', undefined, { token: b })).json.result;
    assert.deepEqual(dashB, [], 'nothing of another organisation on the dashboard');
    const dashA = (await api(env, 'dashboard_activity_list', undefined, { token: a })).json.result;
    assert.equal(dashA.length, colleague.length);
    assert.equal((await api(env, 'organization_activity_list', undefined, { query: { id: 'nso', limit: '1' } })).json.result.length, 1);
  });

  test('bulk_update_private / _public / _delete: the organisation\'s editors only, category rules kept', async () => {
    const d1 = (await api(env, 'package_create', datasetInput('nso', { name: 'bulk-1' }), { token: a })).json.result;
    const d2 = (await api(env, 'package_create', datasetInput('nso', { name: 'bulk-2', ...INTERNAL, private: true }), { token: a })).json.result;
    assert.equal((await api(env, 'bulk_update_private', { datasets: [d1.id], org_id: 'nso' }, { token: b })).status, 403);
    assert.equal((await api(env, 'bulk_update_private', { datasets: [d1.id], org_id: 'dlt' }, { token: b })).status, 409, 'datasets of another organisation are not found there');
    const r = await api(env, 'bulk_update_private', { datasets: [d1.id, 'bulk-2'], org_id: 'nso' }, { token: a });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const show = async (id: string) => (await api(env, 'package_show', undefined, { query: { id }, token: a })).json.result;
    assert.equal((await show(d1.id)).private, true);
    await api(env, 'bulk_update_public', { datasets: [d1.id, d2.id], org_id: 'nso' }, { token: a });
    assert.equal((await show(d1.id)).private, false);
    assert.equal((await show(d2.id)).private, true, 'internal data stays private');
    assert.equal((await api(env, 'bulk_update_delete', { datasets: [d1.id], org_id: 'nso' }, { token: a })).status, 200);
    assert.equal((await show(d1.id)).state, 'deleted');
    assert.equal((await api(env, 'bulk_update_delete', { datasets: [d1.id], org_id: 'nso' })).status, 403);
  });

  test('package_owner_org_update: needs edit rights here and create rights there', async () => {
    const d = (await api(env, 'package_create', datasetInput('nso', { name: 'moving' }), { token: a })).json.result;
    assert.equal((await api(env, 'package_owner_org_update', { id: d.id, organization_id: 'dlt' }, { token: a })).status, 403);
    assert.equal((await api(env, 'package_owner_org_update', { id: d.id, organization_id: 'dlt' }, { token: b })).status, 403);
    const r = await api(env, 'package_owner_org_update', { id: d.id, organization_id: 'dlt' }, { token: root });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal((await api(env, 'package_show', undefined, { query: { id: d.id } })).json.result.organization.name, 'dlt');
  });

  test('package_revise: match, filter, update, update__resources__…', async () => {
    const d = (await api(env, 'package_create', datasetInput('nso', { name: 'revise-me', resources: [{ name: 'r0', url: 'https://nso.go.th/0.csv', format: 'CSV', description: 'ลบทิ้ง' }, { name: 'r1', url: 'https://nso.go.th/1.csv', format: 'CSV' }] }), { token: a })).json.result;
    const r1 = d.resources[1];
    const mismatch = await api(env, 'package_revise', { match: { name: 'revise-me', title: 'อื่น' }, update: { notes: 'x' } }, { token: a });
    assert.equal(mismatch.status, 409);
    assert.ok(mismatch.json.error.match);
    assert.equal((await api(env, 'package_revise', { match: { name: 'revise-me' }, update: { notes: 'x' } }, { token: b })).status, 403);
    const r = await api(env, 'package_revise', {
      match: { name: 'revise-me', title: d.title },
      filter: ['-resources__0__description'],
      update: { notes: 'คำอธิบายใหม่' },
      [`update__resources__${r1.id.slice(0, 8)}__name`]: 'ชื่อใหม่',
      update__resources__extend: [{ name: 'r2', url: 'https://nso.go.th/2.csv', format: 'CSV' }],
    }, { token: a });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const pkg = r.json.result.package;
    assert.equal(pkg.notes, 'คำอธิบายใหม่');
    assert.deepEqual(pkg.resources.map((x: any) => x.name), ['r0', 'ชื่อใหม่', 'r2']);
    assert.equal(pkg.resources[0].description, '');
    assert.equal(pkg.resources[1].id, r1.id, 'the resource keeps its id');
    const drop = await api(env, 'package_revise', { match: { id: d.id }, filter: ['-resources__-1'] }, { token: a });
    assert.equal(drop.json.result.package.resources.length, 2);
  });

  test('package_revise: a list entry by index, negative index, or an id prefix that may be all digits', () => {
    const list = [{ id: '54723887-aaaa' }, { id: '1a2b3c4d-bbbb' }, { id: '54799999-cccc' }];
    assert.deepEqual(listIndex(list, '1', 'k'), [1]);
    assert.deepEqual(listIndex(list, '-1', 'k'), [2]);
    assert.deepEqual(listIndex(list, '54723887', 'k'), [0], 'an all-digit id prefix out of range as an index');
    assert.deepEqual(listIndex(list, '1a2b', 'k'), [1]);
    const refusal = (seg: string) => { try { listIndex(list, seg, 'k'); } catch (e: any) { return JSON.stringify(e.errors.k); } return 'accepted'; };
    assert.match(refusal('547'), /exactly one/, 'a prefix of two entries');
    assert.match(refusal('-4'), /No list entry/);
    assert.match(refusal('3'), /No list entry/);
  });

  test('dataset_purge: sysadmins only; rows gone', async () => {
    const d = (await api(env, 'package_create', datasetInput('nso', { name: 'purge-me', resources: [{ name: 'x', url: 'https://nso.go.th/x.csv', format: 'CSV' }] }), { token: a })).json.result;
    assert.equal((await api(env, 'dataset_purge', { id: d.id }, { token: a })).status, 403);
    assert.equal((await api(env, 'dataset_purge', { id: d.id }, { token: root })).status, 200);
    assert.equal((await api(env, 'package_show', undefined, { query: { id: d.id }, token: root })).status, 404);
    const db = env.services.store.db;
    for (const t of ['resources', 'dataset_search', 'dataset_groups'] as const) assert.equal((await db.selectFrom(t).select('dataset_id').where('dataset_id', '=', d.id).execute()).length, 0, t);
    assert.equal((await db.selectFrom('activity').select('id').where('object_id', '=', d.id).execute()).length, 0);
    assert.equal((await api(env, 'dataset_purge', { id: d.id }, { token: root })).status, 404);
  });

  test('dataset_purge removes the stored files after commit', async () => {
    const d = (await api(env, 'package_create', datasetInput('nso', { name: 'purge-files' }), { token: a })).json.result;
    const body = ['--B', 'Content-Disposition: form-data; name="package_id"', '', d.id, '--B', 'Content-Disposition: form-data; name="name"', '', 'ไฟล์', '--B', 'Content-Disposition: form-data; name="upload"; filename="data.csv"', 'Content-Type: text/csv', '', 'a,b\n1,2', '--B--', ''].join('\r\n');
    const up = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: { authorization: a, 'content-type': 'multipart/form-data; boundary=B' }, payload: body });
    assert.equal(up.statusCode, 200, up.body);
    const key = (await env.services.store.db.selectFrom('resources').select('storage_key').where('id', '=', up.json().result.id).executeTakeFirstOrThrow()).storage_key!;
    assert.ok(await env.services.files.exists(key));
    assert.equal((await api(env, 'dataset_purge', { id: 'purge-files' }, { token: root })).status, 200);
    assert.equal(await env.services.files.exists(key), false);
  });

  test('package_collaborator_*: an organisation admin names a collaborator, who then sees the dataset', async () => {
    const show = (token?: string) => api(env, 'package_show', undefined, { query: { id: internal.id }, token });
    assert.equal((await show(b)).status, 403);
    assert.equal((await api(env, 'package_collaborator_create', { id: internal.id, user_id: 'ed-b', capacity: 'member' }, { token: a })).status, 403, 'editors do not name collaborators');
    assert.equal((await api(env, 'package_collaborator_create', { id: internal.id, user_id: 'ed-b', capacity: 'owner' }, { token: adminA })).status, 409);
    const c = await api(env, 'package_collaborator_create', { id: internal.id, user_id: 'ed-b', capacity: 'member' }, { token: adminA });
    assert.equal(c.status, 200, JSON.stringify(c.json));
    assert.equal((await show(b)).status, 200);
    assert.ok((await api(env, 'current_package_list_with_resources', undefined, { token: b })).json.result.some((x: any) => x.id === internal.id));
    const list = (await api(env, 'package_collaborator_list', undefined, { query: { id: internal.id }, token: adminA })).json.result;
    assert.deepEqual(list.map((x: any) => [x.package_id, x.capacity]), [[internal.id, 'member']]);
    assert.equal((await api(env, 'package_collaborator_list', undefined, { query: { id: internal.id }, token: b })).status, 403);
    assert.equal((await api(env, 'package_update', { ...internal, notes: 'แก้' }, { token: b })).status, 403, 'a member collaborator cannot edit');
    // An editor collaborator may change the dataset (not delete it, not name collaborators).
    assert.equal((await api(env, 'package_collaborator_create', { id: internal.id, user_id: 'ed-b', capacity: 'editor' }, { token: adminA })).status, 200);
    const shownB = (await show(b)).json.result;
    const edit = await api(env, 'package_patch', { id: internal.id, notes: 'แก้โดยผู้ร่วมงาน' }, { token: b });
    assert.equal(edit.status, 200, JSON.stringify(edit.json));
    assert.equal(shownB.id, internal.id);
    assert.equal((await api(env, 'package_delete', { id: internal.id }, { token: b })).status, 403);
    assert.equal((await api(env, 'package_collaborator_create', { id: internal.id, user_id: 'ed-a', capacity: 'editor' }, { token: b })).status, 403);
    assert.equal((await api(env, 'package_collaborator_delete', { id: internal.id, user_id: 'ed-b' }, { token: adminA })).status, 200);
    assert.equal((await api(env, 'package_patch', { id: internal.id, notes: 'อีกครั้ง' }, { token: b })).status, 403);
    assert.equal((await show(b)).status, 403);
    assert.equal((await show()).status, 403);
  });
});
