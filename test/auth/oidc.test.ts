import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { AuthorizationError } from '../../src/actions/errors.ts';
import { startOidcLogin } from '../../src/actions/auth/actions.ts';
import { makeOrg, makeUser, testEnv, type TestEnv } from '../helpers.ts';
import { authorizeAs, startProvider, type TestProvider } from './oidc-fixture.ts';

const CITIZEN_ID = '1103700012345';

describe('OpenID Connect sign-in against a real provider', () => {
  let env: TestEnv;
  let op: TestProvider;
  const anon = (action: string, input: Record<string, unknown>) => runAction<any>(env.services, action, input, { actor: ANONYMOUS });
  const users = () => env.services.store.db.selectFrom('users').selectAll().execute();
  const row = (name: string) => env.services.store.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirstOrThrow();

  /** The whole round trip: authorization URL, the provider's pages, then the callback through the action. */
  async function signIn(subject: string) {
    const { url, pending } = await startOidcLogin(env.config, op.redirectUri);
    const query = await authorizeAs(url, subject, op.redirectUri);
    return { result: await anon('user_login_oidc', { ...pending, query }), pending, query };
  }

  before(async () => {
    op = await startProvider({
      'dga-somying': { email: 'somying@mail.example.th', email_verified: true, given_name: 'สมหญิง', family_name: 'ใจดี', citizen_id: CITIZEN_ID },
      'dga-somchai': { email: 'SOMCHAI@example.go.th', email_verified: true, name: 'สมชาย รักชาติ', preferred_username: 'somchai' },
      'dga-impostor': { email: 'editor9@example.go.th', email_verified: false, preferred_username: 'editor9', name: 'ผู้ใช้ไม่ยืนยันอีเมล' },
      'dga-thai-only': { preferred_username: 'สมศักดิ์', name: 'สมศักดิ์ มั่นคง' },
    });
    env = await testEnv({ oidc: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret } });
    await makeOrg(env, 'moi', 'กระทรวงมหาดไทย');
    await makeUser(env, 'somchai', { org: 'moi', role: 'admin' });
    await makeUser(env, 'editor9', { org: 'moi', role: 'editor' });
  });
  after(async () => {
    await env.close();
    await op.close();
  });

  it('builds an authorization URL with state, nonce and an S256 PKCE challenge', async () => {
    const { url, pending } = await startOidcLogin(env.config, op.redirectUri);
    const u = new URL(url);
    assert.equal(u.origin, op.issuer);
    assert.equal(u.searchParams.get('client_id'), op.clientId);
    assert.equal(u.searchParams.get('redirect_uri'), op.redirectUri);
    assert.equal(u.searchParams.get('state'), pending.state);
    assert.equal(u.searchParams.get('nonce'), pending.nonce);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(u.searchParams.get('code_challenge') && u.searchParams.get('code_challenge') !== pending.code_verifier);
    assert.equal(u.searchParams.get('scope'), 'openid profile email');
  });

  it('creates an account for a new person, keeps the full name, and stores no citizen ID', async () => {
    const before = (await users()).length;
    const { result } = await signIn('dga-somying');
    assert.equal(result.next, 'done');
    assert.equal(result.user.name, 'somying');
    assert.equal(result.user.fullname, 'สมหญิง ใจดี');
    assert.equal((await users()).length, before + 1);
    const u = await row('somying');
    assert.equal(u.email, 'somying@mail.example.th');
    assert.equal(u.password_hash, null);
    assert.equal(u.oidc_subject, `${op.issuer}|dga-somying`);
    assert.equal(u.sysadmin, false);
    const memberships = await env.services.store.db.selectFrom('memberships').select('group_id').where('user_id', '=', u.id).execute();
    assert.deepEqual(memberships, [], 'a new account gets no roles');
    const everything = JSON.stringify([await users(), await env.services.store.db.selectFrom('audit_log').selectAll().execute()]);
    assert.ok(op.released.some((r) => r.use === 'userinfo' && r.scope.includes('profile')), 'the provider released the profile (with citizen_id) to banchi');
    assert.ok(!everything.includes(CITIZEN_ID), 'the citizen ID is in no table');
  });

  it('finds the same account again by its provider subject', async () => {
    const before = (await users()).length;
    const { result } = await signIn('dga-somying');
    assert.equal(result.user.name, 'somying');
    assert.equal((await users()).length, before);
    const audit = await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_login_oidc').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    assert.equal(audit.detail.account, 'subject');
  });

  it('links an existing account with the same verified e-mail; an organisation admin still needs 2FA', async () => {
    const before = (await users()).length;
    const { result } = await signIn('dga-somchai');
    assert.equal(result.user.name, 'somchai');
    assert.equal(result.next, 'totp_setup');
    assert.ok(result.ticket);
    assert.equal((await users()).length, before);
    assert.equal((await row('somchai')).oidc_subject, `${op.issuer}|dga-somchai`);
    const link = await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_oidc_link').executeTakeFirstOrThrow();
    assert.equal(link.detail.by, 'verified_email');
    // The ticket opens 2FA set-up for that account, as after a password sign-in.
    const setup = await anon('user_totp_setup', { ticket: result.ticket });
    assert.match(setup.otpauth_url, /somchai/);
  });

  it('does not link on an unverified e-mail: a separate account without that e-mail', async () => {
    const { result } = await signIn('dga-impostor');
    assert.notEqual(result.user.name, 'editor9');
    assert.equal(result.user.name, 'editor9-2');
    assert.equal((await row('editor9-2')).email, '');
    assert.equal((await row('editor9')).oidc_subject, null);
  });

  it('derives a safe login name when the provider offers only Thai', async () => {
    const { result } = await signIn('dga-thai-only');
    assert.match(result.user.name, /^user(-\d+)?$/);
    assert.equal(result.user.fullname, 'สมศักดิ์ มั่นคง');
  });

  it('refuses a callback with the wrong nonce, a wrong state, a replayed code or a provider error, and audits why', async () => {
    const lastFailure = async () =>
      (await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_login_oidc_failed').orderBy('seq', 'desc').executeTakeFirstOrThrow()).detail.reason as string;
    const fresh = async () => {
      const start = await startOidcLogin(env.config, op.redirectUri);
      return { pending: start.pending, query: await authorizeAs(start.url, 'dga-somying', op.redirectUri) };
    };
    const failed = (e: any) => e instanceof AuthorizationError && /failed/.test(e.msg.en);

    const a = await fresh();
    await assert.rejects(anon('user_login_oidc', { ...a.pending, nonce: 'not-the-nonce', query: a.query }), failed);
    assert.match(await lastFailure(), /CLAIM_COMPARISON|nonce/i);

    const b = await fresh();
    await assert.rejects(anon('user_login_oidc', { ...b.pending, state: 'not-the-state', query: b.query }), failed);
    assert.match(await lastFailure(), /state/i);

    const c = await fresh();
    await assert.rejects(anon('user_login_oidc', { ...c.pending, code_verifier: 'x'.repeat(43), query: c.query }), failed, 'PKCE: the code needs its verifier');
    assert.match(await lastFailure(), /ResponseBodyError|invalid_grant/);

    const d = await fresh();
    assert.equal((await anon('user_login_oidc', { ...d.pending, query: d.query })).user.name, 'somying');
    await assert.rejects(anon('user_login_oidc', { ...d.pending, query: d.query }), failed, 'a code works once');

    const denied = new URLSearchParams({ error: 'access_denied', state: d.pending.state, iss: op.issuer });
    await assert.rejects(anon('user_login_oidc', { ...d.pending, query: denied.toString() }), (e: any) => e instanceof AuthorizationError && /cancelled or refused/.test(e.msg.en));
    assert.equal(await lastFailure(), 'provider: access_denied');
  });

  it('refuses a disabled account', async () => {
    await env.services.store.db.updateTable('users').set({ state: 'deleted' }).where('name', '=', 'somying').execute();
    await assert.rejects(signIn('dga-somying'), (e: any) => e instanceof AuthorizationError && /disabled/.test(e.msg.en));
    await env.services.store.db.updateTable('users').set({ state: 'active' }).where('name', '=', 'somying').execute();
  });

  it('answers clearly when OpenID Connect is off or the issuer would be plain HTTP on the network', async () => {
    const saved = env.services.config.oidc;
    try {
      env.services.config.oidc = null;
      await assert.rejects(anon('user_login_oidc', { state: 's', nonce: 'n', code_verifier: 'v', redirect_uri: op.redirectUri, query: 'code=x' }), (e: any) => e instanceof AuthorizationError && /not configured/.test(e.msg.en));
      await assert.rejects(startOidcLogin(env.config, op.redirectUri), AuthorizationError);
      env.services.config.oidc = { issuer: 'http://connect.example.go.th', clientId: 'x', clientSecret: 'y' };
      await assert.rejects(startOidcLogin(env.config, op.redirectUri), AuthorizationError);
    } finally {
      env.services.config.oidc = saved;
    }
    await assert.rejects(anon('user_login_oidc', { state: 's' }), (e: any) => 'nonce' in e.errors && 'query' in e.errors);
  });
});
