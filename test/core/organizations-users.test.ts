import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { hashToken } from '../../src/access/tokens.ts';

let env: TestEnv;
let adminToken: string;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'moi', 'กระทรวงมหาดไทย');
  await makeOrg(env, 'dopa', 'กรมการปกครอง', 'moi');
  await makeOrg(env, 'dopa-reg', 'สำนักบริหารการทะเบียน', 'dopa');
  adminToken = (await makeUser(env, 'moi_admin', { org: 'moi', role: 'admin' })).token;
  await sys(env, 'group_create', { name: 'population', title: 'ประชากร' });
});
after(() => env.close());

test(`[${STORE_KIND}] the organisation hierarchy: parent and children, no cycles`, async () => {
  const r = await api(env, 'organization_show', undefined, { query: { id: 'dopa' } });
  assert.equal(r.json.result.parent.name, 'moi');
  assert.deepEqual(r.json.result.children.map((c: { name: string }) => c.name), ['dopa-reg']);
  await assert.rejects(() => sys(env, 'organization_patch', { id: 'moi', parent: 'dopa-reg' }), { name: 'ValidationError' });
});

test(`[${STORE_KIND}] an admin of the ministry manages its departments (cascading admin)`, async () => {
  const r = await api(env, 'package_create', datasetInput('dopa-reg'), { token: adminToken });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const m = await api(env, 'organization_member_create', { id: 'dopa', username: 'moi_admin', role: 'editor' }, { token: adminToken });
  assert.equal(m.status, 200);
});

test(`[${STORE_KIND}] members and roles: only admins manage; unknown roles refused`, async () => {
  const editor = await makeUser(env, 'dopa_editor', { org: 'dopa', role: 'editor' });
  await assert.rejects(() => as(env, editor.actor, 'organization_member_create', { id: 'dopa', username: 'dopa_editor', role: 'admin' }), { name: 'AuthorizationError' });
  await assert.rejects(() => sys(env, 'organization_member_create', { id: 'dopa', username: 'dopa_editor', role: 'overlord' }), { name: 'ValidationError' });
  const list = await as<Array<[string, string, string]>>(env, editor.actor, 'member_list', { id: 'dopa' });
  assert.ok(list.some(([, type, role]) => type === 'user' && role === 'editor'));
  await sys(env, 'organization_member_delete', { id: 'dopa', username: 'dopa_editor' });
  const after = await sys<Array<[string, string, string]>>(env, 'member_list', { id: 'dopa' });
  assert.ok(!after.some(([id]) => id === (editor.actor.kind === 'user' ? editor.actor.user.id : '')));
});

test(`[${STORE_KIND}] organization_list and group_list: names by title, all_fields with counts`, async () => {
  const names = await api(env, 'organization_list');
  assert.deepEqual([...names.json.result].sort(), ['dopa', 'dopa-reg', 'moi']);
  const full = await api(env, 'organization_list', undefined, { query: { all_fields: 'true', sort: 'package_count desc' } });
  assert.equal(full.json.result[0].name, 'dopa-reg');
  assert.equal(full.json.result[0].package_count, 1);
  const groups = await api(env, 'group_list');
  assert.deepEqual(groups.json.result, ['population']);
  assert.equal((await api(env, 'organization_list', undefined, { query: { sort: 'colour' } })).status, 409);
});

test(`[${STORE_KIND}] an organisation with datasets cannot be deleted; an empty one can`, async () => {
  await assert.rejects(() => sys(env, 'organization_delete', { id: 'dopa-reg' }), { name: 'ValidationError' });
  await makeOrg(env, 'empty-org');
  await sys(env, 'organization_delete', { id: 'empty-org' });
  assert.ok(!(await sys<string[]>(env, 'organization_list', {})).includes('empty-org'));
});

test(`[${STORE_KIND}] API tokens: shown once, stored as a hash, revocable; a revoked token is anonymous`, async () => {
  const u = await makeUser(env, 'tokenuser', { org: 'dopa', role: 'editor' });
  const row = await env.services.store.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(u.token)).executeTakeFirstOrThrow();
  assert.notEqual(row.token_hash, u.token);
  const all = JSON.stringify(await env.services.store.db.selectFrom('api_tokens').selectAll().execute());
  assert.ok(!all.includes(u.token), 'the raw token is nowhere in the database');
  assert.equal((await api(env, 'package_create', datasetInput('dopa'), { token: u.token })).status, 200);
  assert.equal((await api(env, 'api_token_revoke', { jti: row.id }, { token: u.token })).status, 200);
  assert.equal((await api(env, 'package_create', datasetInput('dopa'), { token: u.token })).status, 403);
  assert.equal((await api(env, 'package_create', datasetInput('dopa'), { token: 'made-up' })).status, 403);
});

test(`[${STORE_KIND}] user_show hides e-mail from other users and never shows the password hash`, async () => {
  await makeOrg(env, 'alice-org');
  const a = await makeUser(env, 'alice', { org: 'alice-org', role: 'member' });
  const b = await makeUser(env, 'bob', { org: 'alice-org', role: 'member' });
  const other = await api(env, 'user_show', undefined, { query: { id: 'alice' }, token: b.token });
  assert.equal(other.status, 200, 'a colleague sees the user');
  assert.equal(other.json.result.email, undefined);
  const stranger = await makeUser(env, 'carol');
  const hidden = await api(env, 'user_show', undefined, { query: { id: 'alice' }, token: stranger.token });
  const missing = await api(env, 'user_show', undefined, { query: { id: 'no-such-user' }, token: stranger.token });
  assert.equal(hidden.status, 404, 'staff of another organisation are not disclosed');
  assert.deepEqual(hidden.json, missing.json, 'and answer exactly as an unknown user');
  const self = await api(env, 'user_show', undefined, { token: a.token });
  assert.equal(self.json.result.email, 'alice@example.go.th');
  assert.ok(!JSON.stringify(self.json).includes('argon2'));
  assert.equal((await api(env, 'user_show', undefined, { query: { id: 'alice' } })).status, 403, 'anonymous callers see no user details');
  assert.equal((await api(env, 'user_create', { name: 'mallory', email: 'm@example.go.th', password: 'long enough password' }, { token: a.token })).status, 403);
});

test(`[${STORE_KIND}] user_create validates name, e-mail, password length and duplicates`, async () => {
  const r = await api(env, 'user_create', { name: 'X Y', email: 'bad', password: 'short' }, { token: (await makeUser(env, 'root2', { sysadmin: true })).token, lang: 'en' });
  assert.equal(r.status, 409);
  assert.ok(r.json.error.name && r.json.error.email && r.json.error.password);
});

test(`[${STORE_KIND}] tag_list finds Thai tags by substring`, async () => {
  await api(env, 'package_create', datasetInput('dopa', { tags: ['ทะเบียนราษฎร', 'ประชากร'] }), { token: adminToken });
  const r = await api(env, 'tag_list', undefined, { query: { query: 'ทะเบียน' } });
  assert.deepEqual(r.json.result, ['ทะเบียนราษฎร']);
});

test(`[${STORE_KIND}] CKAN's generic member_create / member_delete for users and for datasets in groups`, async () => {
  const r = await api(env, 'member_create', { id: 'dopa', object: 'alice', object_type: 'user', capacity: 'member' }, { token: adminToken });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const d = await api(env, 'package_create', datasetInput('dopa', { name: 'in-a-group' }), { token: adminToken });
  assert.equal(d.status, 200);
  const g = await api(env, 'member_create', { id: 'population', object: 'in-a-group', object_type: 'package' }, { token: adminToken });
  assert.equal(g.status, 200, JSON.stringify(g.json));
  const shown = await api(env, 'package_show', undefined, { query: { id: 'in-a-group' } });
  assert.deepEqual(shown.json.result.groups.map((x: { name: string }) => x.name), ['population']);
  assert.equal((await api(env, 'member_delete', { id: 'population', object: 'in-a-group', object_type: 'package' }, { token: adminToken })).status, 200);
  assert.equal((await api(env, 'member_create', { id: 'dopa', object: 'alice', object_type: 'user' })).status, 403);
});
