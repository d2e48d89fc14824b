import crypto from 'node:crypto';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, makeUser, makeOrg, api, STORE_KIND, type TestEnv } from '../helpers.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import { runAction } from '../../src/actions/registry.ts';
import { PageClient } from '../web/client.ts';

/** Account management edges found from outside: reactivation, private orderings, reset links, accounts without e-mail, reserved names. */
let env: TestEnv;
const PASSWORD = 'correct horse battery';
before(async () => {
  env = await testEnv({}, { web: true });
});
after(async () => env.close());

const noEmailUser = (name: string) =>
  env.services.store.db.insertInto('users').values({ id: crypto.randomUUID(), name, email: '', fullname: '', password_hash: null, oidc_subject: `https://id.example|${name}`, created: new Date(), recovery_codes: '[]' }).execute();

test(`[${STORE_KIND}] reactivating an account whose e-mail another account now has is a field error, not a 500`, async () => {
  const root = await makeUser(env, 'reroot', { sysadmin: true });
  await makeUser(env, 'gone1');
  await sys(env, 'user_delete', { id: 'gone1' });
  await sys(env, 'user_create', { name: 'taker1', email: 'gone1@example.go.th', password: PASSWORD });
  const res = await api(env, 'user_update', { id: 'gone1', state: 'active' }, { token: root.token });
  assert.equal(res.status, 409);
  assert.ok(res.json.error.email, 'the e-mail field says why');
  assert.match(String((await api(env, 'user_update', { id: 'gone1', state: 'active' }, { token: root.token, lang: 'th' })).json.error.email), /อีเมล/);
  // With a new address in the same call it works.
  const back = await sys(env, 'user_update', { id: 'gone1', state: 'active', email: 'gone1-new@example.go.th' });
  assert.equal(back.state, 'active');
});

test(`[${STORE_KIND}] non-sysadmins cannot order colleagues by e-mail or last activity (fields they may not see)`, async () => {
  await makeOrg(env, 'order-org');
  const a = await makeUser(env, 'ordera', { org: 'order-org' });
  await makeUser(env, 'orderb', { org: 'order-org' });
  for (const order_by of ['email', 'last_active']) {
    const res = await api(env, 'user_list', undefined, { token: a.token, query: { order_by } });
    assert.equal(res.status, 409, order_by);
    assert.ok(res.json.error.order_by, order_by);
  }
  assert.equal((await api(env, 'user_list', undefined, { token: a.token, query: { order_by: 'created' } })).status, 200);
  const root = await makeUser(env, 'orderroot', { sysadmin: true });
  assert.equal((await api(env, 'user_list', undefined, { token: root.token, query: { order_by: 'email' } })).status, 200);
});

test(`[${STORE_KIND}] a password change or an e-mail change voids the account's unused reset links`, async () => {
  const u = await makeUser(env, 'linked1');
  const first = await sys<{ url: string }>(env, 'user_password_reset_issue', { id: 'linked1' });
  const token1 = first.url.split('/').pop()!;
  await as(env, u.actor, 'user_password_change', { old_password: PASSWORD, new_password: 'a brand new passphrase 42' });
  await assert.rejects(sys(env, 'user_password_reset_check', { token: token1 }), (e: unknown) => e instanceof ValidationError && 'token' in e.errors);
  const second = await sys<{ url: string }>(env, 'user_password_reset_issue', { id: 'linked1' });
  const token2 = second.url.split('/').pop()!;
  await as(env, u.actor, 'user_update', { id: 'linked1', email: 'linked1-new@example.go.th', password: 'a brand new passphrase 42' });
  await assert.rejects(sys(env, 'user_password_reset_check', { token: token2 }), (e: unknown) => e instanceof ValidationError && 'token' in e.errors);
});

test(`[${STORE_KIND}] an account without e-mail (Digital ID) can be edited without inventing one; an e-mail is still needed where there was one`, async () => {
  await noEmailUser('dga-noemail');
  const updated = await sys(env, 'user_update', { id: 'dga-noemail', fullname: 'สมชาย ใจดี', email: '' });
  assert.equal(updated.fullname, 'สมชาย ใจดี');
  await makeUser(env, 'hasmail');
  await assert.rejects(sys(env, 'user_update', { id: 'hasmail', email: '' }), (e: unknown) => e instanceof ValidationError && 'email' in e.errors);
});

test(`[${STORE_KIND}] admin pages: editing an account without e-mail saves; a sysadmin changes their own e-mail with the current password; reactivation with a taken e-mail says why`, async () => {
  await makeUser(env, 'pageroot', { sysadmin: true });
  await noEmailUser('dga-page');
  const c = new PageClient(env.app);
  await c.signInWith2fa('pageroot', PASSWORD, new Map());
  await c.get('/ckan-admin/users/dga-page');
  assert.equal((await c.post('/ckan-admin/users/dga-page', { fullname: 'สมหญิง', email: '', about: '' })).statusCode, 303);
  const own = await c.get('/ckan-admin/users/pageroot');
  assert.match(own.body, /name="password" type="password"/, 'the own account asks the current password');
  assert.equal((await c.post('/ckan-admin/users/pageroot', { fullname: '', email: 'pageroot-new@example.go.th', about: '', password: PASSWORD })).statusCode, 303);
  const row = await env.services.store.db.selectFrom('users').select('email').where('name', '=', 'pageroot').executeTakeFirstOrThrow();
  assert.equal(row.email, 'pageroot-new@example.go.th');
  await makeUser(env, 'gone2');
  await sys(env, 'user_delete', { id: 'gone2' });
  await sys(env, 'user_create', { name: 'taker2', email: 'gone2@example.go.th', password: PASSWORD });
  await c.get('/ckan-admin/users/gone2');
  const res = await c.post('/ckan-admin/users/gone2/reactivate', {});
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /role="alert"[\s\S]*อีเมล/);
});

test(`[${STORE_KIND}] user names that are portal paths (/user/login, /user/reset …) are refused, and Digital ID never makes one`, async () => {
  for (const name of ['login', 'logout', 'password', 'reset', '2fa']) {
    await assert.rejects(sys(env, 'user_create', { name, email: `${name}@example.go.th`, password: PASSWORD }), (e: unknown) => e instanceof ValidationError && 'name' in e.errors, name);
  }
  const { freeUserName } = await import('../../src/actions/auth/oidc-actions.ts');
  const ctx = { db: env.services.store.db } as unknown as Parameters<typeof freeUserName>[0];
  assert.equal(await freeUserName(ctx, 'reset'), 'reset-2');
  assert.equal(await freeUserName(ctx, '2fa'), '2fa-2');
});

test(`[${STORE_KIND}] CKAN's user_patch changes only the fields given, under user_update's rules`, async () => {
  const me = await makeUser(env, 'patcher');
  const res = await api(env, 'user_patch', { id: 'patcher', fullname: 'สมปอง แก้ไข' }, { token: me.token });
  assert.equal(res.status, 200);
  assert.equal(res.json.result.fullname, 'สมปอง แก้ไข');
  assert.equal(res.json.result.email, 'patcher@example.go.th', 'the e-mail is kept');
  const up = await api(env, 'user_patch', { id: 'patcher', sysadmin: true }, { token: me.token });
  assert.equal(up.status, 409);
  assert.ok(up.json.error.sysadmin);
  await makeUser(env, 'patched-other');
  assert.equal((await api(env, 'user_patch', { id: 'patched-other', fullname: 'x' }, { token: me.token })).status, 403);
});

test(`[${STORE_KIND}] an e-mail change while sign-in is locked says it is locked, not that the right password is wrong`, async () => {
  const me = await makeUser(env, 'locked-mail');
  const change = (password: string) => runAction(env.services, 'user_update', { id: 'locked-mail', email: 'locked-mail-2@example.go.th', password }, { actor: me.actor, ip: '198.51.100.77', lang: 'en' });
  for (let i = 0; i < 5; i++) await assert.rejects(change(`wrong password ${i}`), (e: unknown) => e instanceof ValidationError && /wrong/.test(e.errors.password![0]!.en));
  await assert.rejects(change(PASSWORD), (e: unknown) => e instanceof ValidationError && /locked/.test(e.errors.password![0]!.en) && /ล็อก/.test(e.errors.password![0]!.th));
});
