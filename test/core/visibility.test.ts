import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ANONYMOUS, type Actor } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';

let env: TestEnv;
const users: Record<string, { actor: Actor; token: string }> = {};
const ids: Record<string, string> = {};
let csvUrl = '';

const PERSONAL = { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' };
const INTERNAL = { data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' };

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'ministry', 'กระทรวงตัวอย่าง');
  await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ', 'ministry');
  await makeOrg(env, 'dga', 'สำนักงานพัฒนารัฐบาลดิจิทัล');
  users.ministryAdmin = await makeUser(env, 'ministry_admin', { org: 'ministry', role: 'admin' });
  users.editor = await makeUser(env, 'nso_editor', { org: 'nso', role: 'editor' });
  users.member = await makeUser(env, 'nso_member', { org: 'nso', role: 'member' });
  users.other = await makeUser(env, 'dga_editor', { org: 'dga', role: 'editor' });
  users.grantee = await makeUser(env, 'grantee', {});
  users.sysadmin = await makeUser(env, 'root', { sysadmin: true });
  const mk = async (key: string, extra: Record<string, unknown>) => {
    const d = await as<Record<string, string>>(env, users.editor!.actor, 'package_create', datasetInput('nso', { name: key, title: `ชุดข้อมูล ${key} ความลับ-${key}`, tags: [`tag-${key}`], ...extra }));
    ids[key] = d.id!;
  };
  await mk('open-data', {});
  await mk('internal-data', INTERNAL);
  await mk('personal-data', PERSONAL);
  await mk('draft-data', { state: 'draft' });
  await mk('private-public', { private: true });
  const upload = await env.app.inject({
    method: 'POST',
    url: '/api/3/action/resource_create',
    headers: { authorization: users.editor!.token, 'content-type': 'multipart/form-data; boundary=XX' },
    payload: ['--XX', 'Content-Disposition: form-data; name="package_id"', '', 'internal-data', '--XX', 'Content-Disposition: form-data; name="name"', '', 'รายชื่อ', '--XX', 'Content-Disposition: form-data; name="upload"; filename="list.csv"', 'Content-Type: text/csv', '', 'a,b\n1,2', '--XX--', ''].join('\r\n'),
  });
  assert.equal(upload.statusCode, 200, upload.body);
  csvUrl = new URL(upload.json().result.url).pathname;
});
after(() => env.close());

async function canSee(actor: Actor, name: string): Promise<number> {
  try {
    await runAction(env.services, 'package_show', { id: name }, { actor });
    return 200;
  } catch (e) {
    return (e as Error).constructor.name === 'NotFoundError' ? 404 : (e as Error).constructor.name === 'AuthorizationError' ? 403 : 500;
  }
}

async function searchNames(actor: Actor, opts: Record<string, unknown> = {}): Promise<{ names: string[]; count: number; orgCount: number; tags: string[] }> {
  const r = await runAction<{ count: number; results: Array<{ name: string }> }>(env.services, 'package_search', { q: 'ความลับ', rows: 100, include_private: true, include_drafts: true, ...opts }, { actor });
  const org = await runAction<{ package_count: number }>(env.services, 'organization_show', { id: 'nso' }, { actor });
  const tags = await runAction<string[]>(env.services, 'tag_list', { query: 'tag-' }, { actor });
  return { names: r.results.map((x) => x.name).sort(), count: r.count, orgCount: org.package_count, tags };
}

test(`[${STORE_KIND}] anonymous sees only active public data; sensitive entries answer 404, others 403`, async () => {
  assert.equal(await canSee(ANONYMOUS, 'open-data'), 200);
  assert.equal(await canSee(ANONYMOUS, 'internal-data'), 403);
  assert.equal(await canSee(ANONYMOUS, 'private-public'), 403);
  assert.equal(await canSee(ANONYMOUS, 'draft-data'), 403);
  assert.equal(await canSee(ANONYMOUS, 'personal-data'), 404, 'the name of personal data is not disclosed');
  assert.equal(await canSee(ANONYMOUS, 'no-such-dataset'), 404);
  const s = await searchNames(ANONYMOUS);
  assert.deepEqual(s.names, ['open-data']);
  assert.equal(s.count, 1);
  assert.equal(s.orgCount, 1, 'organisation counts only what the caller may see');
  assert.deepEqual(s.tags, ['tag-open-data']);
  const list = await api(env, 'package_list');
  assert.deepEqual(list.json.result, ['open-data']);
});

test(`[${STORE_KIND}] a member sees internal data but not personal data, and no files of shared data`, async () => {
  const m = users.member!.actor;
  assert.equal(await canSee(m, 'internal-data'), 200);
  assert.equal(await canSee(m, 'personal-data'), 404);
  assert.equal(await canSee(m, 'draft-data'), 403, 'drafts are working copies of editors');
  const s = await searchNames(m);
  assert.deepEqual(s.names, ['internal-data', 'open-data', 'private-public']);
  assert.equal(s.orgCount, 3);
  const pkg = await runAction<{ resources: Array<{ url: string; url_restricted?: boolean }> }>(env.services, 'package_show', { id: 'internal-data' }, { actor: m });
  assert.equal(pkg.resources[0]!.url, '');
  assert.equal(pkg.resources[0]!.url_restricted, true);
  const dl = await env.app.inject({ url: csvUrl, headers: { authorization: users.member!.token } });
  assert.equal(dl.statusCode, 403);
});

test(`[${STORE_KIND}] editors and admins of the organisation (and of its parent) see everything of it`, async () => {
  for (const who of [users.editor!, users.ministryAdmin!, users.sysadmin!]) {
    for (const name of ['open-data', 'internal-data', 'personal-data', 'draft-data', 'private-public']) assert.equal(await canSee(who.actor, name), 200, name);
    const s = await searchNames(who.actor);
    assert.equal(s.count, 5);
    const dl = await env.app.inject({ url: csvUrl, headers: { authorization: who.token } });
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.body, 'a,b\n1,2');
  }
});

test(`[${STORE_KIND}] another agency sees nothing more than anonymous until it holds a grant`, async () => {
  const o = users.other!.actor;
  assert.equal(await canSee(o, 'personal-data'), 404);
  assert.deepEqual((await searchNames(o)).names, ['open-data']);
  const g = await as<{ id: string }>(env, users.editor!.actor.kind === 'user' ? users.ministryAdmin!.actor : users.sysadmin!.actor, 'dataset_grant_create', { id: 'personal-data', organization: 'dga', scope: 'metadata' });
  assert.equal(await canSee(o, 'personal-data'), 200);
  const s = await searchNames(o);
  assert.deepEqual(s.names, ['open-data', 'personal-data']);
  assert.equal(s.orgCount, 2);
  await as(env, users.sysadmin!.actor, 'dataset_grant_revoke', { id: g.id });
  assert.equal(await canSee(o, 'personal-data'), 404);
});

test(`[${STORE_KIND}] a file grant serves files of shared data; an expired grant serves nothing`, async () => {
  const dl = () => env.app.inject({ url: csvUrl, headers: { authorization: users.grantee!.token } });
  // Without a grant the entry is not visible to the grantee: its files answer as if they did not exist (issue 7, finding 9).
  assert.equal((await dl()).statusCode, 404);
  const g = await as<{ id: string }>(env, users.sysadmin!.actor, 'dataset_grant_create', { id: 'internal-data', user: 'grantee', scope: 'files', expires_at: new Date(Date.now() + 3600_000).toISOString() });
  const ok = await dl();
  assert.equal(ok.statusCode, 200);
  assert.match(String(ok.headers['content-type']), /^text\/csv/);
  assert.equal(ok.headers['x-content-type-options'], 'nosniff');
  await env.services.store.db.updateTable('dataset_grants').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', g.id).execute();
  assert.equal((await dl()).statusCode, 404);
});

test(`[${STORE_KIND}] only those who manage the organisation may grant access`, async () => {
  await assert.rejects(() => as(env, users.editor!.actor, 'dataset_grant_create', { id: 'personal-data', user: 'grantee' }), { name: 'AuthorizationError' });
  await assert.rejects(() => as(env, users.other!.actor, 'dataset_grant_create', { id: 'personal-data', user: 'grantee' }), { name: 'NotFoundError' });
});

test(`[${STORE_KIND}] anonymous API calls cannot learn that a personal dataset exists by any read`, async () => {
  const show = await api(env, 'package_show', undefined, { query: { id: ids['personal-data']! } });
  assert.equal(show.status, 404);
  const act = await api(env, 'package_activity_list', undefined, { query: { id: 'personal-data' } });
  assert.equal(act.status, 404);
  const members = await api(env, 'member_list', undefined, { query: { id: 'nso', object_type: 'package' } });
  assert.ok(members.status === 403 || !JSON.stringify(members.json).includes(ids['personal-data']!));
  const org = await api(env, 'organization_show', undefined, { query: { id: 'nso', include_datasets: 'true' } });
  assert.ok(!JSON.stringify(org.json).includes('personal-data'));
  const tags = await api(env, 'tag_list');
  assert.ok(!tags.json.result.includes('tag-personal-data'));
});
