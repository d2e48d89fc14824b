import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, makeUser, makeOrg, api, STORE_KIND, type TestEnv } from '../helpers.ts';
import { AuthorizationError, ValidationError } from '../../src/actions/errors.ts';
import { PageClient } from '../web/client.ts';

let env: TestEnv;
before(async () => {
  env = await testEnv({}, { web: true });
});
after(async () => env.close());

test(`[${STORE_KIND}] user_list: CKAN parameters; sysadmins see all, others their colleagues, anonymous nobody`, async () => {
  const root = await makeUser(env, 'listroot', { sysadmin: true });
  await makeOrg(env, 'list-org');
  await makeOrg(env, 'other-org');
  const a = await makeUser(env, 'lista', { org: 'list-org' });
  await makeUser(env, 'listb', { org: 'list-org' });
  await makeUser(env, 'listc', { org: 'other-org' });
  const all = await as(env, root.actor, 'user_list', { q: 'list', order_by: 'name' });
  assert.deepEqual(all.map((u: any) => u.name), ['lista', 'listb', 'listc', 'listroot']);
  assert.ok(all.every((u: any) => typeof u.email === 'string'));
  const page = await as(env, root.actor, 'user_list', { q: 'list', limit: 2, offset: 1 });
  assert.deepEqual(page.map((u: any) => u.name), ['listb', 'listc']);
  assert.deepEqual(await as(env, root.actor, 'user_list', { q: 'lista', all_fields: false }), ['lista']);
  const mine = await as(env, a.actor, 'user_list', { q: 'list' });
  assert.deepEqual(mine.map((u: any) => u.name), ['lista', 'listb'], 'colleagues and self only');
  assert.equal(mine.find((u: any) => u.name === 'listb').email, undefined, 'no e-mail of others');
  assert.equal((await api(env, 'user_list')).status, 403);
  assert.equal((await api(env, 'user_list', undefined, { token: root.token, query: { order_by: 'nonsense' } })).status, 409);
});

test(`[${STORE_KIND}] user_update: self edits, e-mail change needs the password, sysadmin-only fields`, async () => {
  const me = await makeUser(env, 'upd1');
  const updated = await as(env, me.actor, 'user_update', { id: 'upd1', fullname: 'สมศรี มีสุข', about: 'นักสถิติ' });
  assert.equal(updated.fullname, 'สมศรี มีสุข');
  await assert.rejects(as(env, me.actor, 'user_update', { id: 'upd1', email: 'new@example.go.th' }), (e: unknown) => e instanceof ValidationError && 'password' in { ...e.errors });
  await assert.rejects(as(env, me.actor, 'user_update', { id: 'upd1', email: 'new@example.go.th', password: 'wrong password!' }), (e: unknown) => e instanceof ValidationError && 'password' in { ...e.errors });
  const ok = await as(env, me.actor, 'user_update', { id: 'upd1', email: 'new@example.go.th', password: 'correct horse battery' });
  assert.equal(ok.email, 'new@example.go.th');
  await assert.rejects(as(env, me.actor, 'user_update', { id: 'upd1', sysadmin: true }), (e: unknown) => e instanceof ValidationError && 'sysadmin' in { ...e.errors });
  const other = await makeUser(env, 'upd2');
  await assert.rejects(as(env, other.actor, 'user_update', { id: 'upd1', fullname: 'x' }), AuthorizationError);
  const root = await makeUser(env, 'updroot', { sysadmin: true });
  const promoted = await as(env, root.actor, 'user_update', { id: 'upd2', sysadmin: true, email: 'upd2-new@example.go.th' });
  assert.equal(promoted.sysadmin, true);
  await assert.rejects(as(env, root.actor, 'user_update', { id: 'updroot', sysadmin: false }), (e: unknown) => e instanceof ValidationError && 'sysadmin' in { ...e.errors });
  const audit = await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_update').where('actor_name', '=', 'updroot').executeTakeFirstOrThrow();
  assert.deepEqual((audit.detail as any).fields.sort(), ['email', 'sysadmin']);
});

test(`[${STORE_KIND}] user_delete deactivates: the session and the API token stop at once; reactivation needs a new sign-in`, async () => {
  const root = await makeUser(env, 'delroot', { sysadmin: true });
  const victim = await makeUser(env, 'leaver');
  const c = new PageClient(env.app);
  const signedIn = await c.signIn('leaver', 'correct horse battery');
  assert.equal(signedIn.statusCode, 303);
  assert.equal((await c.get('/user/leaver')).statusCode, 200);
  assert.equal((await api(env, 'user_show', undefined, { token: victim.token, query: { id: 'leaver' } })).status, 200);

  await assert.rejects(as(env, root.actor, 'user_delete', { id: 'delroot' }), AuthorizationError);
  await assert.rejects(as(env, victim.actor, 'user_delete', { id: 'delroot' }), AuthorizationError);
  assert.equal((await api(env, 'user_delete', { id: 'leaver' }, { token: root.token })).status, 200);

  const after = await c.get('/dashboard');
  assert.notEqual(after.statusCode, 200, 'the browser session ended');
  assert.equal((await api(env, 'user_show', undefined, { token: victim.token, query: { id: 'leaver' } })).status, 403, 'the token is anonymous now');
  assert.equal((await new PageClient(env.app).signIn('leaver', 'correct horse battery')).statusCode, 400, 'no sign-in');
  assert.equal((await sys(env, 'user_password_reset_request', { login: 'leaver' })).message_en.startsWith('If an account'), true);
  assert.equal((await env.services.store.db.withTables<{ password_resets: { user_id: string } }>().selectFrom('password_resets').select('user_id').where('user_id', '=', victim.actor.kind === 'user' ? victim.actor.user.id : '').execute()).length, 0, 'no link for a deactivated account');
  const listed = await as(env, root.actor, 'user_list', { q: 'leaver', include_deleted: true });
  assert.equal(listed[0].state, 'deleted');

  await as(env, root.actor, 'user_update', { id: 'leaver', state: 'active' });
  assert.equal((await api(env, 'user_show', undefined, { token: victim.token, query: { id: 'leaver' } })).status, 403, 'old tokens stay revoked');
  assert.equal((await new PageClient(env.app).signIn('leaver', 'correct horse battery')).statusCode, 303, 'signs in again');
  const actions = (await env.services.store.db.selectFrom('audit_log').select('action').where('action', 'in', ['user_deactivate', 'user_reactivate']).execute()).map((r) => r.action);
  assert.deepEqual(actions, ['user_deactivate', 'user_reactivate']);
});

test(`[${STORE_KIND}] the password change form shows every error at once (mismatch, weak, missing current)`, async () => {
  await makeUser(env, 'onepass');
  const c = new PageClient(env.app);
  await c.signIn('onepass', 'correct horse battery');
  await c.get('/user/password');
  const res = await c.post('/user/password', { old_password: '', new_password: 'aaaaaaaaaa', confirm: 'bbbbbbbbbb' });
  assert.equal(res.statusCode, 400);
  for (const f of ['old_password', 'new_password', 'confirm']) assert.match(res.body, new RegExp(`id="err-${f}"`), f);
});
