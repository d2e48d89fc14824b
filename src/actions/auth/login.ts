import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../../access/passwords.ts';
import type { UserRow } from '../../store/schema.ts';
import { AuthMsg } from './messages.ts';
import { activeLock, afterFailure, commitThenThrow, lockUserRow, publicUser, signInResult, stepAccount, textInput, type SignInResult } from './flow.ts';

const MAX_PASSWORD = 1000;

/** Verifying against this when the account does not exist takes as long as a real check. */
let dummyHash: Promise<string> | null = null;
function dummy(): Promise<string> {
  return (dummyHash ??= hashPassword('banchi-no-such-account'));
}

async function findByLogin(ctx: ActionContext, login: string): Promise<UserRow | undefined> {
  const q = ctx.db.selectFrom('users').select('id').where('state', '<>', 'deleted');
  const row = await (login.includes('@')
    ? q.where((eb) => eb(eb.fn('lower', ['email']), '=', login.toLowerCase()))
    : q.where('name', '=', login.toLowerCase())
  ).executeTakeFirst();
  return row ? lockUserRow(ctx, row.id) : undefined;
}

/** Counts a wrong password on the account (5 lock it for 15 minutes) and answers after commit. */
async function passwordFailed(ctx: ActionContext, user: UserRow, field: string, msg = AuthMsg.badCredentials()): Promise<never> {
  const next = afterFailure({ failures: user.login_failures, lockedUntil: user.login_locked_until }, ctx.now);
  await ctx.db.updateTable('users').set({ login_failures: next.failures, login_locked_until: next.lockedUntil }).where('id', '=', user.id).execute();
  await ctx.audit({ action: 'user_login_failed', object_type: 'user', object_id: user.id, detail: { name: user.name, reason: 'password', failures: next.lockedNow ? 5 : next.failures } });
  if (next.lockedNow) {
    await ctx.audit({ action: 'user_login_locked', object_type: 'user', object_id: user.id, detail: { name: user.name, until: next.lockedUntil!.toISOString() } });
    return commitThenThrow(ctx, ValidationError.field(field, AuthMsg.loginLocked(next.lockedUntil!)));
  }
  return commitThenThrow(ctx, ValidationError.field(field, msg));
}

export const userLogin = defineAction<SignInResult>({
  name: 'user_login',
  readOnly: false,
  summary: 'First sign-in step: user name or e-mail and password. Answers the next step (done, totp, totp_setup, change_password) and a ticket for it.',
  params: {
    login: { type: 'string', required: true, description: 'User name or e-mail address' },
    password: { type: 'string', required: true, description: 'Password' },
  },
  async run(ctx, input) {
    ctx.authorize('user_login');
    const login = textInput(input.login).trim();
    const password = textInput(input.password);
    const bag = new ErrorBag();
    if (!login) bag.add('login', M.missing());
    if (!password) bag.add('password', M.missing());
    bag.throwIfAny();
    const user = login.length <= 254 && password.length <= MAX_PASSWORD ? await findByLogin(ctx, login) : undefined;
    if (!user || user.state !== 'active' || !user.password_hash) {
      await verifyPassword(await dummy(), password.slice(0, MAX_PASSWORD));
      await ctx.audit({ action: 'user_login_failed', object_type: 'user', object_id: user?.id ?? null, detail: { login: login.slice(0, 100), reason: user ? 'account' : 'unknown' } });
      return commitThenThrow(ctx, ValidationError.field('login', AuthMsg.badCredentials()));
    }
    const locked = activeLock(user.login_locked_until, ctx.now);
    if (locked) {
      await ctx.audit({ action: 'user_login_failed', object_type: 'user', object_id: user.id, detail: { name: user.name, reason: 'locked' } });
      return commitThenThrow(ctx, ValidationError.field('login', AuthMsg.loginLocked(locked)));
    }
    if (!(await verifyPassword(user.password_hash, password))) return passwordFailed(ctx, user, 'login');
    await ctx.db.updateTable('users').set({ login_failures: 0, login_locked_until: null }).where('id', '=', user.id).execute();
    const result = await signInResult(ctx, user, 'password', false);
    await ctx.audit({ action: 'user_login', object_type: 'user', object_id: user.id, detail: { name: user.name, next: result.next } });
    return result;
  },
});

export const userPasswordChange = defineAction<SignInResult>({
  name: 'user_password_change',
  readOnly: false,
  summary: 'Change one\'s own password (current and new); clears a forced change. Signed in, or with the ticket of a change_password step.',
  params: {
    old_password: { type: 'string', required: true, description: 'Current password' },
    new_password: { type: 'string', required: true, description: `New password, at least ${MIN_PASSWORD_LENGTH} characters` },
    ticket: { type: 'string', description: 'Sign-in ticket (next = change_password), when not signed in' },
  },
  async run(ctx, input) {
    const { user, claims } = await stepAccount(ctx, 'user_password_change', input, ['change_password']);
    const oldPassword = textInput(input.old_password);
    const newPassword = textInput(input.new_password);
    const bag = new ErrorBag();
    if (!oldPassword) bag.add('old_password', M.missing());
    if (!newPassword) bag.add('new_password', M.missing());
    else if ([...newPassword].length < MIN_PASSWORD_LENGTH) {
      bag.add('new_password', { th: `รหัสผ่านต้องยาวอย่างน้อย ${MIN_PASSWORD_LENGTH} ตัวอักษร`, en: `Your password must be ${MIN_PASSWORD_LENGTH} characters or longer` });
    } else if (newPassword.length > MAX_PASSWORD) bag.add('new_password', M.tooLong(MAX_PASSWORD));
    else if (newPassword === oldPassword) bag.add('new_password', AuthMsg.samePassword());
    bag.throwIfAny();
    if (!user.password_hash) throw ValidationError.field('old_password', AuthMsg.noPassword());
    const locked = activeLock(user.login_locked_until, ctx.now);
    if (locked) throw ValidationError.field('old_password', AuthMsg.loginLocked(locked));
    // A stolen session must not be able to guess the current password: it counts like a sign-in.
    if (oldPassword.length > MAX_PASSWORD || !(await verifyPassword(user.password_hash, oldPassword))) {
      return passwordFailed(ctx, user, 'old_password', AuthMsg.wrongOldPassword());
    }
    const updated = await ctx.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(newPassword), must_change_password: false, login_failures: 0, login_locked_until: null })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await ctx.audit({ action: 'user_password_change', object_type: 'user', object_id: user.id, detail: { name: user.name, forced: user.must_change_password } });
    if (claims) return signInResult(ctx, updated, claims.method, claims.totpDone);
    return { user: publicUser(updated), next: 'done' };
  },
});
