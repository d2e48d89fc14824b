import crypto from 'node:crypto';
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { sql } from 'kysely';
import { testEnv, sys, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient, textNear } from './client.ts';

const PASSWORD = 'correct horse battery';
const codeAt = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
async function wrongCode(secret: string): Promise<string> {
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((s) => codeAt(secret, s))));
  for (let n = 0; ; n++) if (!valid.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
}

function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  return Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
}

/** Sessions, CSRF, sign-in with two factors and the login rate limit, over app.inject. */
describe('portal sessions and sign-in', () => {
  let env: TestEnv;
  const sessions = async () => (await sql<{ id_hash: string; state: string; step: string; user_id: string }>`SELECT id_hash, state, step, user_id FROM web_sessions`.execute(env.services.store.db)).rows;

  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeUser(env, 'editor1', { org: 'nso', role: 'editor' });
    await makeUser(env, 'orgadmin', { org: 'nso', role: 'admin' });
    await makeUser(env, 'root', { sysadmin: true });
    await sys(env, 'package_create', datasetInput('nso', { name: 'internal-plan', title: 'แผนภายในของสำนักงาน', private: true }));
  });
  after(async () => env.close());

  it('sets an HttpOnly, SameSite=Lax cookie and stores only a hash of the session id', async () => {
    const c = new PageClient(env.app);
    const res = await c.signIn('editor1', PASSWORD);
    assert.equal(res.statusCode, 303);
    const cookie = setCookies(res).find((s) => s.startsWith('banchi_session='))!;
    assert.ok(cookie, 'a session cookie');
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.doesNotMatch(cookie, /Secure/i, 'not Secure on an http:// site');
    const raw = c.cookies.get('banchi_session')!;
    const rows = await sessions();
    assert.ok(!rows.some((r) => r.id_hash === raw), 'the raw id is not stored');
    assert.ok(rows.some((r) => r.id_hash === crypto.createHash('sha256').update(raw).digest('hex') && r.state === 'active'));
  });

  it('gives a new session id at sign-in, so a planted id is worthless (fixation)', async () => {
    const victim = new PageClient(env.app);
    const planted = 'planted-by-an-attacker-0123456789abcdef';
    victim.cookies.set('banchi_session', planted);
    await victim.signIn('editor1', PASSWORD);
    const first = victim.cookies.get('banchi_session')!;
    assert.notEqual(first, planted);
    const attacker = new PageClient(env.app);
    attacker.cookies.set('banchi_session', planted);
    assert.match(String((await attacker.get('/dashboard')).headers.location), /^\/user\/login/, 'the planted id signs no one in');
    // Signing in again (from a signed-in browser) also replaces the id and ends the old session.
    await victim.get('/');
    await victim.post('/user/login', { login: 'editor1', password: PASSWORD });
    const second = victim.cookies.get('banchi_session')!;
    assert.notEqual(second, first);
    attacker.cookies.set('banchi_session', first);
    assert.match(String((await attacker.get('/dashboard')).headers.location), /^\/user\/login/, 'the old id is gone');
  });

  it('the API reads as the signed-in browser, but never writes with the cookie alone', async () => {
    const c = new PageClient(env.app);
    const anon = await c.get('/api/3/action/package_show?id=internal-plan');
    assert.equal(anon.statusCode, 403);
    await c.signIn('editor1', PASSWORD);
    const read = await c.get('/api/3/action/package_show?id=internal-plan');
    assert.equal(read.statusCode, 200);
    const write = await env.app.inject({ method: 'POST', url: '/api/3/action/package_patch', headers: { cookie: c.cookieHeader(), 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'internal-plan', title: 'changed' }) });
    assert.equal(write.statusCode, 403);
  });

  it('refuses a POST form without the session\'s CSRF token, before any action runs', async () => {
    const c = new PageClient(env.app);
    await c.signIn('editor1', PASSWORD);
    await c.get('/dataset/new?data_type=' + encodeURIComponent('ข้อมูลสถิติ'));
    const fields = { data_type: 'ข้อมูลสถิติ', name: 'csrf-probe', title: 'ชุดข้อมูลทดสอบ CSRF', owner_org: 'nso', save: 'draft' };
    const missing = await c.post('/dataset/new', fields, { csrf: null });
    assert.equal(missing.statusCode, 403);
    assert.match(missing.body, /แบบฟอร์มหมดอายุหรือไม่ถูกต้อง/);
    const foreign = await c.post('/dataset/new', fields, { csrf: 'x'.repeat(32) });
    assert.equal(foreign.statusCode, 403);
    const ds = await env.services.store.db.selectFrom('datasets').select('id').where('name', '=', 'csrf-probe').executeTakeFirst();
    assert.equal(ds, undefined, 'no dataset was created');
    await c.get('/dataset/new?data_type=' + encodeURIComponent('ข้อมูลสถิติ'));
    const ok = await c.post('/dataset/new', fields);
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 400));
  });

  it('signs out only by POST', async () => {
    const c = new PageClient(env.app);
    await c.signIn('editor1', PASSWORD);
    const page = await c.get('/user/logout');
    assert.equal(page.statusCode, 200);
    assert.equal((await c.get('/dashboard')).statusCode, 200, 'still signed in after a GET (the dashboard, not the sign-in redirect)');
    await c.get('/');
    const out = await c.post('/user/logout', {});
    assert.equal(out.statusCode, 303);
    assert.match(String((await c.get('/dashboard')).headers.location), /^\/user\/login/);
  });

  it('a wrong password shows the message beside the field; the form keeps the login', async () => {
    const c = new PageClient(env.app);
    await c.get('/user/login');
    const res = await c.post('/user/login', { login: 'editor1', password: 'wrong password here' });
    assert.equal(res.statusCode, 400);
    assert.match(textNear(res.body, 'id="err-login"'), /\S/);
    assert.match(res.body, /value="editor1"/);
    assert.equal(c.cookies.get('banchi_session'), undefined, 'no session');
  });

  it('an admin must set up 2FA: the pending session is not signed in; setup, recovery codes, then verify next time', async () => {
    const c = new PageClient(env.app);
    const first = await c.signIn('orgadmin', PASSWORD);
    assert.equal(first.headers.location, '/user/2fa/setup');
    const adminId = (await env.services.store.db.selectFrom('users').select('id').where('name', '=', 'orgadmin').executeTakeFirstOrThrow()).id;
    const pending = (await sessions()).filter((s) => s.user_id === adminId);
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.state, 'pending');
    assert.equal(pending[0]!.step, 'totp_setup');
    const api = await c.get('/api/3/action/package_show?id=internal-plan');
    assert.equal(api.statusCode, 403, 'a pending session reads as anonymous');
    assert.match(String((await c.get('/dashboard')).headers.location), /^\/user\/login/);

    const setup = await c.get('/user/2fa/setup');
    assert.equal(setup.statusCode, 200);
    assert.match(setup.body, /<img class="qr" src="data:image\/svg\+xml;base64,/);
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    const again = await c.get('/user/2fa/setup');
    assert.match(again.body, new RegExp(secret.slice(0, 4)), 'a reload shows the same secret');
    const wrong = await c.post('/user/2fa/setup', { code: await wrongCode(secret) });
    assert.equal(wrong.statusCode, 400);
    assert.match(textNear(wrong.body, 'id="err-code"'), /\S/);
    const beforeCookie = c.cookies.get('banchi_session');
    const done = await c.post('/user/2fa/setup', { code: await codeAt(secret) });
    assert.equal(done.statusCode, 200);
    assert.equal((done.body.match(/<li>[a-z0-9]{5}-[a-z0-9]{5}<\/li>/g) ?? []).length, 10, 'ten recovery codes shown once');
    assert.notEqual(c.cookies.get('banchi_session'), beforeCookie, 'new session id when signed in');
    assert.equal((await c.get('/api/3/action/package_show?id=internal-plan')).statusCode, 200);

    await c.get('/');
    await c.post('/user/logout', {});
    await c.signIn('orgadmin', PASSWORD);
    assert.equal(c.last!.headers.location, '/user/2fa/verify');
    await c.get('/user/2fa/verify');
    const bad = await c.post('/user/2fa/verify', { code: await wrongCode(secret) });
    assert.equal(bad.statusCode, 400);
    const good = await c.post('/user/2fa/verify', { code: await codeAt(secret, 1) });
    assert.equal(good.statusCode, 303);
    assert.match((await c.get('/dashboard')).body, /href="\/user\/orgadmin"/);
  });

  it('five wrong codes lock the second step for 15 minutes, kept in the database', async () => {
    const c = new PageClient(env.app);
    await c.signIn('orgadmin', PASSWORD);
    assert.equal(c.last!.headers.location, '/user/2fa/verify');
    await c.get('/user/2fa/verify');
    for (let i = 0; i < 5; i++) await c.post('/user/2fa/verify', { code: String(100000 + i) });
    const row = await env.services.store.db.selectFrom('users').select('totp_locked_until').where('name', '=', 'orgadmin').executeTakeFirstOrThrow();
    assert.ok(row.totp_locked_until && row.totp_locked_until.getTime() > Date.now() + 14 * 60_000);
    const locked = c.last!;
    assert.equal(locked.statusCode, 400);
    await env.services.store.db.updateTable('users').set({ totp_locked_until: null, totp_failures: 0 }).where('name', '=', 'orgadmin').execute();
  });

  it('a sysadmin resets another user\'s 2FA from the users page', async () => {
    const root = new PageClient(env.app);
    await root.signIn('root', PASSWORD);
    assert.equal(root.last!.headers.location, '/user/2fa/setup');
    const setup = await root.get('/user/2fa/setup');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    await root.post('/user/2fa/setup', { code: await codeAt(secret) });
    const users = await root.get('/ckan-admin/users');
    assert.equal(users.statusCode, 200);
    assert.match(users.body, /action="\/ckan-admin\/users\/orgadmin\/2fa-reset"/);
    const reset = await root.post('/ckan-admin/users/orgadmin/2fa-reset', {});
    assert.equal(reset.statusCode, 303);
    const row = await env.services.store.db.selectFrom('users').select('totp_enabled').where('name', '=', 'orgadmin').executeTakeFirstOrThrow();
    assert.equal(row.totp_enabled, false);
  });

  it('limits sign-in attempts per address (429 with a page)', async () => {
    const c = new PageClient(env.app);
    await c.get('/user/login');
    const token = c.csrf();
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await c.post('/user/login', { login: 'nobody', password: 'wrong password' }, { csrf: token })).statusCode;
    assert.equal(last, 429);
    assert.match(c.last!.body, /มีการพยายามมากเกินไป/);
  });
});

describe('portal sessions on an https site', () => {
  let env: TestEnv;
  before(async () => {
    env = await testEnv({ siteUrl: 'https://catalog.example.go.th' }, { web: true });
    await makeUser(env, 'editor2');
  });
  after(async () => env.close());

  it('marks the cookie Secure with the __Host- prefix and sends HSTS', async () => {
    const c = new PageClient(env.app);
    const res = await c.signIn('editor2', PASSWORD);
    const cookie = setCookies(res).find((s) => s.startsWith('__Host-banchi_session='));
    assert.ok(cookie);
    assert.match(cookie!, /Secure/);
    assert.match(cookie!, /Path=\//);
    const page = await c.get('/');
    assert.match(String(page.headers['strict-transport-security']), /max-age=31536000/);
    assert.match(page.body, /href="\/user\/editor2"/, 'signed in');
  });
});
