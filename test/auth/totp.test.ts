import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../../src/actions/errors.ts';
import { issueTicket } from '../../src/actions/auth/ticket.ts';
import { actorFor, as, makeOrg, makeUser, testEnv, type TestEnv } from '../helpers.ts';

const PASSWORD = 'correct horse battery';
/** A code of the authenticator app, `steps` periods from now. */
const codeAt = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
/** A well-formed code that is valid in no step of the window. */
async function wrongCode(secret: string): Promise<string> {
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((s) => codeAt(secret, s))));
  for (let n = 0; ; n++) if (!valid.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
}

describe('TOTP two-factor sign-in', () => {
  let env: TestEnv;
  const anon = (action: string, input: Record<string, unknown>) => runAction<any>(env.services, action, input, { actor: ANONYMOUS });
  const row = (name: string) => env.services.store.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
  const setLock = (name: string, until: Date | null) => env.services.store.db.updateTable('users').set({ totp_locked_until: until }).where('name', '=', name).execute();

  /** Signs in with the password and enables 2FA with the ticket, as the web pages will. */
  async function enroll(name: string): Promise<{ secret: string; recovery: string[] }> {
    const first = await anon('user_login', { login: name, password: PASSWORD });
    assert.equal(first.next, 'totp_setup');
    const setup = await anon('user_totp_setup', { ticket: first.ticket });
    const enabled = await anon('user_totp_enable', { ticket: first.ticket, code: await codeAt(setup.secret) });
    assert.equal(enabled.next, 'done');
    return { secret: setup.secret, recovery: enabled.recovery_codes };
  }

  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'dga', 'สำนักงานพัฒนารัฐบาลดิจิทัล');
    for (const n of ['alice', 'bob', 'carol']) await makeUser(env, n, { org: 'dga', role: 'admin' });
    await makeUser(env, 'member1', { org: 'dga', role: 'member' });
    await makeUser(env, 'root', { sysadmin: true });
  });
  after(() => env.close());

  it('sets up with a secret, an otpauth URL and a QR code; enabling needs a right code and yields 10 recovery codes', async () => {
    const actor = await actorFor(env, 'alice');
    const setup = await as(env, actor, 'user_totp_setup', {});
    assert.match(setup.secret, /^[A-Z2-7]{32}$/);
    const url = new URL(setup.otpauth_url);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.host, 'totp');
    assert.equal(decodeURIComponent(url.pathname), '/banchi (127.0.0.1):alice');
    assert.equal(url.searchParams.get('secret'), setup.secret);
    assert.equal(url.searchParams.get('issuer'), 'banchi (127.0.0.1)');
    assert.match(setup.qr_svg, /<svg[\s\S]*<\/svg>/);
    let stored = await row('alice');
    assert.equal(stored.totp_secret, setup.secret);
    assert.equal(stored.totp_enabled, false, 'the secret is pending until a code proves the app has it');

    await assert.rejects(as(env, actor, 'user_totp_enable', { code: await codeAt(setup.secret, 5) }), (e: any) => e instanceof ValidationError && 'code' in e.errors);
    await assert.rejects(as(env, actor, 'user_totp_enable', { code: 'abc' }), ValidationError);
    const enabled = await as(env, actor, 'user_totp_enable', { code: await codeAt(setup.secret) });
    assert.equal(enabled.recovery_codes.length, 10);
    assert.equal(new Set(enabled.recovery_codes).size, 10);
    for (const c of enabled.recovery_codes) assert.match(c, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
    stored = await row('alice');
    assert.equal(stored.totp_enabled, true);
    assert.equal(stored.recovery_codes.length, 10);
    const kept = JSON.stringify(stored.recovery_codes);
    for (const c of enabled.recovery_codes) assert.ok(!kept.includes(c) && !kept.includes(c.replace('-', '')), 'only hashes are stored');
    await assert.rejects(as(env, actor, 'user_totp_setup', {}), (e: any) => /already on/.test(e.errors.code[0].en));
  });

  it('asks for the code at sign-in and accepts each code only once', async () => {
    const { totp_secret: secret } = await row('alice');
    const first = await anon('user_login', { login: 'alice', password: PASSWORD });
    assert.equal(first.next, 'totp');
    // The code that enabled 2FA has been used.
    await assert.rejects(anon('user_totp_verify', { ticket: first.ticket, code: await codeAt(secret!) }), (e: any) => /already been used/.test(e.errors.code[0].en));
    const code = await codeAt(secret!, 1);
    const done = await anon('user_totp_verify', { ticket: first.ticket, code });
    assert.equal(done.next, 'done');
    assert.equal(done.user.name, 'alice');
    assert.equal(done.used_recovery_code, false);
    await assert.rejects(anon('user_totp_verify', { ticket: first.ticket, code }), ValidationError, 'a replayed code is refused');
    assert.equal((await row('alice')).totp_failures, 1, 'the success cleared the first failure; the replay counts');
  });

  it('opens the second step only with the ticket of the first', async () => {
    const alice = await row('alice');
    const code = await codeAt(alice.totp_secret!, 1);
    await assert.rejects(anon('user_totp_verify', { code }), AuthorizationError);
    await assert.rejects(as(env, await actorFor(env, 'alice'), 'user_totp_verify', { code }), AuthorizationError, 'a session is not a ticket');
    const first = await anon('user_login', { login: 'alice', password: PASSWORD });
    const [body, mac] = first.ticket.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), u: (await row('bob')).id })).toString('base64url');
    await assert.rejects(anon('user_totp_verify', { ticket: `${forged}.${mac}`, code }), AuthorizationError);
    const stale = issueTicket(env.config, alice, { userId: alice.id, stage: 'totp', method: 'password', totpDone: false }, new Date(Date.now() - 11 * 60_000));
    await assert.rejects(anon('user_totp_verify', { ticket: stale.ticket, code }), (e: any) => e instanceof AuthorizationError && /expired/.test(e.msg.en));
    const setupTicket = issueTicket(env.config, alice, { userId: alice.id, stage: 'totp_setup', method: 'password', totpDone: false }, new Date());
    await assert.rejects(anon('user_totp_verify', { ticket: setupTicket.ticket, code }), AuthorizationError, 'a ticket is for one step');
  });

  it('accepts a recovery code once', async () => {
    const { recovery } = await enroll('bob');
    const first = await anon('user_login', { login: 'bob', password: PASSWORD });
    const used = await anon('user_totp_verify', { ticket: first.ticket, code: recovery[3].toUpperCase().replace('-', ' ') });
    assert.equal(used.next, 'done');
    assert.equal(used.used_recovery_code, true);
    assert.equal(used.recovery_codes_left, 9);
    await assert.rejects(anon('user_totp_verify', { ticket: first.ticket, code: recovery[3] }), ValidationError);
    assert.equal((await row('bob')).recovery_codes.length, 9);
    const again = await anon('user_totp_verify', { ticket: first.ticket, code: recovery[4] });
    assert.equal(again.recovery_codes_left, 8);
    const audit = await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_totp_recovery_code_used').execute();
    assert.equal(audit.length, 2);
  });

  it('locks 2FA in the database after 5 wrong codes, until the lock expires', async () => {
    const { secret, recovery } = await enroll('carol');
    const first = await anon('user_login', { login: 'carol', password: PASSWORD });
    for (let i = 1; i <= 4; i++) {
      const e = await anon('user_totp_verify', { ticket: first.ticket, code: await wrongCode(secret) }).catch((x) => x);
      assert.match(e.errors.code[0].en, /wrong/);
      assert.equal((await row('carol')).totp_failures, i);
    }
    const fifth = await anon('user_totp_verify', { ticket: first.ticket, code: 'zzzzz-zzzzz' }).catch((x) => x);
    assert.match(fifth.errors.code[0].en, /locked.*Try again at \d\d:\d\d/);
    const locked = await row('carol');
    assert.ok(locked.totp_locked_until && new Date(locked.totp_locked_until).getTime() > Date.now() + 14 * 60_000);
    // A right code and a recovery code are refused while locked, and a new password sign-in does not lift it.
    const good = await codeAt(secret, 1);
    await assert.rejects(anon('user_totp_verify', { ticket: first.ticket, code: good }), (e: any) => /locked/.test(e.errors.code[0].en));
    const second = await anon('user_login', { login: 'carol', password: PASSWORD });
    await assert.rejects(anon('user_totp_verify', { ticket: second.ticket, code: recovery[0] }), (e: any) => /locked/.test(e.errors.code[0].en));
    assert.equal((await row('carol')).recovery_codes.length, 10);

    await setLock('carol', new Date(Date.now() - 1000));
    const ok = await anon('user_totp_verify', { ticket: second.ticket, code: good });
    assert.equal(ok.next, 'done');
    const after = await row('carol');
    assert.equal(after.totp_failures, 0);
    assert.equal(after.totp_locked_until, null);
  });

  it('lets only sysadmins reset 2FA; the user then sets it up again', async () => {
    await assert.rejects(as(env, await actorFor(env, 'alice'), 'user_totp_reset', { id: 'bob' }), AuthorizationError);
    await assert.rejects(anon('user_totp_reset', { id: 'bob' }), AuthorizationError);
    const root = await actorFor(env, 'root');
    await assert.rejects(as(env, root, 'user_totp_reset', { id: 'no-such-user' }), NotFoundError);
    const out = await as(env, root, 'user_totp_reset', { id: 'bob' });
    assert.equal(out.totp_enabled, false);
    const bob = await row('bob');
    assert.equal(bob.totp_enabled, false);
    assert.equal(bob.totp_secret, null);
    assert.deepEqual(bob.recovery_codes, []);
    const audit = await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_totp_reset').executeTakeFirstOrThrow();
    assert.equal(audit.actor_name, 'root');
    assert.equal(audit.object_id, bob.id);
    assert.equal((await anon('user_login', { login: 'bob', password: PASSWORD })).next, 'totp_setup');
  });

  it('is optional for members who do not need it, and there is no way to switch it off oneself', async () => {
    assert.equal((await anon('user_login', { login: 'member1', password: PASSWORD })).next, 'done');
    const member = await actorFor(env, 'member1');
    const setup = await as(env, member, 'user_totp_setup', {});
    await as(env, member, 'user_totp_enable', { code: await codeAt(setup.secret) });
    assert.equal((await anon('user_login', { login: 'member1', password: PASSWORD })).next, 'totp');
    await assert.rejects(as(env, member, 'user_totp_reset', { id: 'member1' }), AuthorizationError);
    await assert.rejects(as(env, member, 'user_totp_disable', {}), /Unknown action/);
  });
  it('takes a code as the apps show it: "123 456", Thai or full-width digits (no failure counted)', async () => {
    await makeUser(env, 'spaced', { org: 'dga', role: 'admin' });
    const { secret } = await enroll('spaced');
    const thai = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0e50 + Number(d)));
    const wide = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    const forms = [(c: string) => `${c.slice(0, 3)} ${c.slice(3)}`, thai, wide];
    for (const [i, form] of forms.entries()) {
      // The same step again each time (the replay guard is not what this is about).
      await env.services.store.db.updateTable('users').set({ totp_last_counter: null }).where('name', '=', 'spaced').execute();
      const first = await anon('user_login', { login: 'spaced', password: PASSWORD });
      const done = await anon('user_totp_verify', { ticket: first.ticket, code: form(await codeAt(secret)) });
      assert.equal(done.next, 'done', `form ${i}`);
    }
    assert.equal((await row('spaced')).totp_failures, 0);
  });
});
