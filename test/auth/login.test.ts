import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { AuthorizationError, ValidationError } from '../../src/actions/errors.ts';
import { verifyAuditChain } from '../../src/actions/audit.ts';
import { actorFor, api, as, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';

const PASSWORD = 'correct horse battery';

describe('user_login and user_password_change', () => {
  let env: TestEnv;
  const login = (input: Record<string, unknown>) => runAction<any>(env.services, 'user_login', input, { actor: ANONYMOUS, ip: '203.0.113.7' });
  const row = (name: string) => env.services.store.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
  const auditOf = (action: string) => env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();

  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeUser(env, 'editor1', { org: 'nso', role: 'editor' });
    await makeUser(env, 'orgadmin', { org: 'nso', role: 'admin' });
    await makeUser(env, 'root', { sysadmin: true });
    await makeUser(env, 'locky');
  });
  after(() => env.close());

  it('signs in by name or e-mail; a plain editor is done in one step', async () => {
    const byName = await login({ login: 'editor1', password: PASSWORD });
    assert.equal(byName.next, 'done');
    assert.equal(byName.ticket, undefined);
    assert.deepEqual(Object.keys(byName.user).sort(), ['fullname', 'id', 'name', 'sysadmin']);
    assert.equal(byName.user.name, 'editor1');
    const byEmail = await login({ login: 'EDITOR1@example.go.th', password: PASSWORD });
    assert.equal(byEmail.user.id, byName.user.id);
    assert.ok((await row('editor1')).last_active, 'a completed sign-in marks the account active');
  });

  it('answers an unknown account and a wrong password with the same error', async () => {
    const unknown = await login({ login: 'nobody', password: PASSWORD }).catch((e) => e);
    const wrong = await login({ login: 'editor1', password: 'wrong password!' }).catch((e) => e);
    assert.ok(unknown instanceof ValidationError && wrong instanceof ValidationError);
    assert.deepEqual(unknown.errors, wrong.errors);
    assert.deepEqual(Object.keys(unknown.errors), ['login']);
    // Over HTTP too: same status and body, no 500.
    const a = await api(env, 'user_login', { login: 'nobody@example.go.th', password: 'x' });
    const b = await api(env, 'user_login', { login: 'editor1', password: 'x' });
    assert.equal(a.status, 409);
    assert.deepEqual(a.json.error, b.json.error);
    const failed = await auditOf('user_login_failed');
    assert.ok(failed.some((r) => r.object_id === null && r.detail.reason === 'unknown' && r.ip === '203.0.113.7'), 'failures are audited although the call fails');
    await login({ login: 'editor1', password: PASSWORD }); // success resets the counter for the next tests
  });

  it('rejects missing fields as validation errors', async () => {
    await assert.rejects(login({ login: '', password: '' }), (e: unknown) => e instanceof ValidationError && 'login' in e.errors && 'password' in e.errors);
  });

  it('locks sign-in of a login from an address for 15 minutes after 5 wrong passwords, even for the right password, until the lock expires', async () => {
    const key = `pair:${crypto.createHash('sha256').update('locky').digest('base64url')}|203.0.113.7`;
    const throttle = () => sql<{ key: string; failures: number; locked_until: Date | null }>`SELECT key, failures, locked_until FROM auth_throttle WHERE key = ${key}`.execute(env.services.store.db).then((r) => r.rows[0]);
    for (let i = 1; i <= 4; i++) {
      const e = await login({ login: 'locky', password: `wrong-${i}-password` }).catch((x) => x);
      assert.match(e.errors.login[0].en, /Wrong user name/);
      assert.equal((await throttle())!.failures, i);
    }
    const fifth = await login({ login: 'locky', password: 'wrong-5-password' }).catch((x) => x);
    assert.match(fifth.errors.login[0].en, /locked.*Try again at \d\d:\d\d/);
    assert.match(fifth.errors.login[0].th, /ลองใหม่เวลา \d\d:\d\d น\./);
    const locked = await throttle();
    assert.ok(locked!.locked_until);
    const minutes = (new Date(locked!.locked_until!).getTime() - Date.now()) / 60000;
    assert.ok(minutes > 14 && minutes <= 15, `locked for ${minutes} minutes`);

    const right = await login({ login: 'locky', password: PASSWORD }).catch((x) => x);
    assert.ok(right instanceof ValidationError);
    assert.match(right.errors.login[0].en, /locked/);
    assert.equal((await auditOf('user_login_locked')).length, 1);

    // Fifteen minutes later (moved in the database rather than waited for).
    await sql`UPDATE auth_throttle SET locked_until = now() - interval '1 second' WHERE key = ${key}`.execute(env.services.store.db);
    const ok = await login({ login: 'locky', password: PASSWORD });
    assert.equal(ok.next, 'done');
    assert.equal(await throttle(), undefined, 'a success clears the count');
  });

  it('resets the count on success, so failures must be consecutive', async () => {
    for (let i = 0; i < 4; i++) await login({ login: 'locky', password: 'nope-nope-nope' }).catch(() => undefined);
    await login({ login: 'locky', password: PASSWORD });
    for (let i = 0; i < 4; i++) await login({ login: 'locky', password: 'nope-nope-nope' }).catch(() => undefined);
    assert.equal((await login({ login: 'locky', password: PASSWORD })).next, 'done');
  });

  it('requires 2FA set-up for sysadmins and organisation admins, and for everyone with require2faForAll', async () => {
    const admin = await login({ login: 'orgadmin', password: PASSWORD });
    assert.equal(admin.next, 'totp_setup');
    assert.ok(admin.ticket && admin.ticket_expires);
    assert.equal((await login({ login: 'root', password: PASSWORD })).next, 'totp_setup');
    assert.equal((await login({ login: 'editor1', password: PASSWORD })).next, 'done');
    env.services.config.require2faForAll = true;
    try {
      assert.equal((await login({ login: 'editor1', password: PASSWORD })).next, 'totp_setup');
    } finally {
      env.services.config.require2faForAll = false;
    }
  });

  it('does not let deleted accounts or accounts without a password in', async () => {
    await makeUser(env, 'gone');
    await env.services.store.db.updateTable('users').set({ state: 'deleted' }).where('name', '=', 'gone').execute();
    await assert.rejects(login({ login: 'gone', password: PASSWORD }), (e: any) => /Wrong user name/.test(e.errors.login[0].en));
    await sys(env, 'user_create', { name: 'nopass', email: 'nopass@example.go.th' });
    await assert.rejects(login({ login: 'nopass', password: PASSWORD }), (e: any) => /Wrong user name/.test(e.errors.login[0].en));
  });

  it('walks the first sysadmin through the forced password change, then 2FA set-up', async () => {
    await sys(env, 'user_create', { name: 'firstadmin', email: 'first@example.go.th', password: 'one-time-pass-123', sysadmin: true, must_change_password: true });
    const step1 = await login({ login: 'firstadmin', password: 'one-time-pass-123' });
    assert.equal(step1.next, 'change_password');
    const anon = (action: string, input: Record<string, unknown>) => runAction<any>(env.services, action, input, { actor: ANONYMOUS });
    // Without the ticket an anonymous caller cannot change anyone's password.
    await assert.rejects(anon('user_password_change', { old_password: 'one-time-pass-123', new_password: 'a-new-long-password' }), AuthorizationError);
    await assert.rejects(anon('user_password_change', { ticket: step1.ticket, old_password: 'one-time-pass-123', new_password: 'short' }), (e: any) => 'new_password' in e.errors);
    await assert.rejects(anon('user_password_change', { ticket: step1.ticket, old_password: 'not-the-password', new_password: 'a-new-long-password' }), (e: any) => 'old_password' in e.errors);
    const step2 = await anon('user_password_change', { ticket: step1.ticket, old_password: 'one-time-pass-123', new_password: 'a-new-long-password' });
    assert.equal(step2.next, 'totp_setup');
    assert.notEqual(step2.ticket, step1.ticket);
    assert.equal((await row('firstadmin')).must_change_password, false);
    // The first ticket died with the old password.
    await assert.rejects(anon('user_password_change', { ticket: step1.ticket, old_password: 'a-new-long-password', new_password: 'another-long-password' }), AuthorizationError);
    // A change_password ticket does not open 2FA set-up, but the new one does.
    await assert.rejects(anon('user_totp_setup', { ticket: step1.ticket }), AuthorizationError);
    const setup = await anon('user_totp_setup', { ticket: step2.ticket });
    assert.match(setup.otpauth_url, /^otpauth:\/\/totp\//);
    await assert.rejects(login({ login: 'firstadmin', password: 'one-time-pass-123' }), ValidationError);
    assert.equal((await login({ login: 'firstadmin', password: 'a-new-long-password' })).next, 'totp_setup');
  });

  it('lets a signed-in user change only their own password', async () => {
    const actor = await actorFor(env, 'editor1');
    const out = await as(env, actor, 'user_password_change', { old_password: PASSWORD, new_password: 'editor1-new-password' });
    assert.equal(out.next, 'done');
    assert.equal((await login({ login: 'editor1', password: 'editor1-new-password' })).user.name, 'editor1');
    await assert.rejects(runAction(env.services, 'user_password_change', { old_password: 'x', new_password: 'editor1-new-password' }, { actor: ANONYMOUS }), AuthorizationError);
    const audits = await auditOf('user_password_change');
    assert.ok(audits.some((r) => r.actor_name === 'editor1'));
  });

  it('keeps the audit chain intact through failed attempts', async () => {
    assert.equal(await verifyAuditChain(env.services.store.db), null);
  });
});
