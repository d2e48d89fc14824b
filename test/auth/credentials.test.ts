import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { actorFor, api, as, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import { AuthorizationError, ValidationError } from '../../src/actions/errors.ts';
import type { Actor } from '../../src/access/actor.ts';
import { PageClient } from '../web/client.ts';

const PASSWORD = 'correct horse battery';

/** 2FA on privilege change, sessions and tokens on credential change, token lifetimes. */
describe('credentials: 2FA re-check, session ends, token lifetimes', () => {
  let env: TestEnv;
  const db = () => env.services.store.db;
  const sessionsOf = async (name: string) =>
    (await sql<{ id_hash: string; two_factor: boolean }>`SELECT s.id_hash, s.two_factor FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.name = ${name} AND s.state = 'active'`.execute(db())).rows;
  const tokensOf = async (name: string) =>
    db().selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id').select(['t.id', 't.expires_at', 't.revoked_at', 't.two_factor', 't.created']).where('u.name', '=', name).execute();
  /** A token made in the portal by this signed-in browser; answers the token shown once. */
  const portalToken = async (c: PageClient, name: string) => {
    const page = await c.get(`/user/${name}/api-tokens`);
    if (!/name="_csrf"/.test(page.body)) return { status: page.statusCode, token: undefined };
    const res = await c.post(`/user/${name}/api-tokens`, { name: 'script', expires_in: '30' });
    return { status: res.statusCode, token: /id="new-token"[^>]*value="([^"]+)"/.exec(res.body)?.[1] };
  };

  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    for (const n of ['member1', 'member2', 'member3', 'editor1', 'lifetimes']) await makeUser(env, n, { org: 'nso', role: 'member' });
    await makeUser(env, 'orgadmin', { org: 'nso', role: 'admin' });
  });
  after(() => env.close());

  it('a member promoted to admin loses the session signed in without 2FA, and cannot mint a token with it', async () => {
    const c = new PageClient(env.app);
    assert.equal((await c.signIn('member1', PASSWORD)).headers.location, '/dashboard');
    const before = await portalToken(c, 'member1');
    assert.equal(before.status, 200);
    assert.ok(before.token);
    assert.equal((await api(env, 'api_token_list', undefined, { token: before.token })).status, 200, 'the member\'s token works');

    await sys(env, 'organization_member_create', { id: 'nso', username: 'member1', role: 'admin' });
    assert.equal((await sessionsOf('member1')).length, 0, 'the session without 2FA ended with the promotion');
    const after = await portalToken(c, 'member1');
    assert.notEqual(after.status, 200);
    assert.equal(after.token, undefined);
    assert.equal((await tokensOf('member1')).filter((t) => !t.revoked_at).length, 2, 'no token was made after the promotion (the helper\'s and the portal one)');
    // The token made before, without 2FA, no longer carries the new rights (nor any).
    assert.equal((await api(env, 'api_token_list', undefined, { token: before.token })).status, 403);
    // Signing in again asks for the 2FA set-up first.
    const again = new PageClient(env.app);
    assert.equal((await again.signIn('member1', PASSWORD)).headers.location, '/user/2fa/setup');
  });

  it('member_create (CKAN\'s generic call) and a role granted by any other path end such sessions too', async () => {
    const c2 = new PageClient(env.app);
    await c2.signIn('member2', PASSWORD);
    assert.equal((await sessionsOf('member2')).length, 1);
    await sys(env, 'member_create', { id: 'nso', object: 'member2', object_type: 'user', capacity: 'admin' });
    assert.equal((await sessionsOf('member2')).length, 0);

    // A role written without any action (a later path, a restore): the next request ends the session.
    const c3 = new PageClient(env.app);
    await c3.signIn('member3', PASSWORD);
    await sql`UPDATE memberships SET role = 'admin' WHERE user_id = (SELECT id FROM users WHERE name = 'member3')`.execute(db());
    const page = await c3.get('/dashboard');
    assert.match(String(page.headers.location), /^\/user\/login/, 'signed out at the next request');
    assert.equal((await sessionsOf('member3')).length, 0);
  });

  it('api_token_create needs a caller who passed 2FA when the role requires it; the token remembers it', async () => {
    const admin = await actorFor(env, 'orgadmin');
    await assert.rejects(as(env, admin, 'api_token_create', { name: 'x' }), AuthorizationError);
    const with2fa = { ...admin, twoFactor: true } as Actor;
    const made = await as(env, with2fa, 'api_token_create', { name: 'with-2fa' });
    assert.equal((await api(env, 'api_token_list', undefined, { token: made.token })).status, 200);
    const row = (await tokensOf('orgadmin')).find((t) => t.id === made.id)!;
    assert.equal(row.two_factor, true);
    // A plain member needs none.
    const editor = await actorFor(env, 'editor1');
    assert.ok((await as(env, editor, 'api_token_create', { name: 'y' })).token);
  });

  it('tokens get a maximum lifetime (BANCHI_TOKEN_MAX_DAYS): default expiry, longer refused, expired and too old refused on use', async () => {
    const actor = await actorFor(env, 'lifetimes');
    const t = await as(env, actor, 'api_token_create', { name: 'default' });
    const row = (await tokensOf('lifetimes')).find((r) => r.id === t.id)!;
    const days = (new Date(row.expires_at!).getTime() - Date.now()) / 86400_000;
    assert.ok(days > 364.9 && days <= 365, `expires in ${days} days`);
    await assert.rejects(as(env, actor, 'api_token_create', { name: 'long', expires_in: 366 }), (e: unknown) => e instanceof ValidationError && 'expires_in' in e.errors);
    const http = await api(env, 'api_token_create', { name: 'long', expires_in: 5000 }, { token: t.token });
    assert.equal(http.status, 409);
    assert.ok(http.json.error.expires_in);
    env.services.config.tokenMaxDays = 30;
    try {
      await assert.rejects(as(env, actor, 'api_token_create', { expires_in: 31 }), ValidationError);
      // A token older than the (lowered) maximum stops working, whatever it was issued for.
      assert.equal((await api(env, 'api_token_list', undefined, { token: t.token })).status, 200);
      await db().updateTable('api_tokens').set({ created: new Date(Date.now() - 31 * 86400_000) }).where('id', '=', t.id).execute();
      assert.equal((await api(env, 'api_token_list', undefined, { token: t.token })).status, 403);
    } finally {
      env.services.config.tokenMaxDays = 365;
    }
    const short = await as(env, actor, 'api_token_create', { expires_in: 1 });
    assert.equal((await api(env, 'api_token_list', undefined, { token: short.token })).status, 200);
    await db().updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', short.id).execute();
    assert.equal((await api(env, 'api_token_list', undefined, { token: short.token })).status, 403, 'expired');
  });

  it('a password change ends the other sessions and, when asked, revokes every API token', async () => {
    const a = new PageClient(env.app);
    const b = new PageClient(env.app);
    await a.signIn('editor1', PASSWORD);
    await b.signIn('editor1', PASSWORD);
    const kept = await as(env, await actorFor(env, 'editor1'), 'api_token_create', { name: 'kept' });
    await a.get('/user/password');
    assert.match(a.last!.body, /name="revoke_tokens"/, 'the page offers to revoke the tokens');
    const changed = await a.post('/user/password', { old_password: PASSWORD, new_password: 'editor1-new-password', confirm: 'editor1-new-password', revoke_tokens: 'true' });
    assert.equal(changed.statusCode, 303);
    assert.match(String((await b.get('/dashboard')).headers.location), /^\/user\/login/, 'the other browser is signed out');
    assert.equal((await a.get('/dashboard')).statusCode, 200, 'this browser continues');
    assert.equal((await api(env, 'api_token_list', undefined, { token: kept.token })).status, 403, 'tokens revoked');
    assert.ok((await tokensOf('editor1')).every((t) => t.revoked_at));

    // Through the API (a token, no browser): sessions end as well; tokens stay unless asked.
    const c = new PageClient(env.app);
    await c.signIn('editor1', 'editor1-new-password');
    const tok = await as(env, await actorFor(env, 'editor1'), 'api_token_create', { name: 'api' });
    const viaApi = await api(env, 'user_password_change', { old_password: 'editor1-new-password', new_password: 'editor1-third-password' }, { token: tok.token });
    assert.equal(viaApi.status, 200);
    assert.equal(viaApi.json.result.tokens_revoked, 0);
    assert.equal((await sessionsOf('editor1')).length, 0);
    assert.equal((await api(env, 'api_token_list', undefined, { token: tok.token })).status, 200);
    // …and api_token_revoke with all=true revokes them all.
    const all = await api(env, 'api_token_revoke', { all: true }, { token: tok.token });
    assert.equal(all.status, 200);
    assert.ok(all.json.result.revoked >= 1);
    assert.equal((await api(env, 'api_token_list', undefined, { token: tok.token })).status, 403);
  });

  it('a 2FA reset ends the user\'s sessions', async () => {
    const secrets = new Map<string, string>();
    const c = new PageClient(env.app);
    await c.signInWith2fa('orgadmin', PASSWORD, secrets);
    const rows = await sessionsOf('orgadmin');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.two_factor, true, 'the session records the second factor');
    await sys(env, 'user_totp_reset', { id: 'orgadmin' });
    assert.equal((await sessionsOf('orgadmin')).length, 0);
    assert.match(String((await c.get('/dashboard')).headers.location), /^\/user\/login/);
  });

  it('a NUL in a user reference of the token and 2FA actions is not found (4xx), never a 500', async () => {
    const root = await makeUser(env, 'root-nul', { sysadmin: true });
    const cases: Array<[string, Record<string, unknown>]> = [
      ['api_token_create', { user: 'a\u0000' }], ['api_token_list', { user: 'a\u0000' }], ['api_token_revoke', { all: true, user: 'a\u0000' }],
      ['api_token_revoke', { token: 'a\u0000' }], ['user_totp_reset', { id: 'root\u0000' }],
    ];
    for (const [action, body] of cases) {
      const r = await api(env, action, body, { token: root.token });
      assert.ok(r.status >= 400 && r.status < 500, `${action} ${JSON.stringify(body)} → ${r.status}`);
    }
  });
});
