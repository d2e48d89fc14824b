import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../../access/passwords.ts';
import type { UserRow } from '../../store/schema.ts';
import { AuthMsg } from './messages.ts';
import { commitThenThrow, lockUserRow, publicUser, signInResult, stepAccount, textInput, type SignInResult } from './flow.ts';
import { endWebSessions, revokeAllTokens, voidResetLinks } from './credentials.ts';
import { addressOf, clearKeys, lockedUntil, recordFailure, signInKeys, type ThrottleKey } from './throttle.ts';

const MAX_PASSWORD = 1000;
const CONTROL = /[\x00-\x1f\x7f]/;

/** What the audit log keeps of a login as typed: short, without control characters (jsonb holds no NUL). */
function printable(login: string): string {
  return login.slice(0, 100).replace(/[\x00-\x1f\x7f]/g, '\uFFFD');
}

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

/**
 * Counts a failed attempt on every throttle key and answers after commit: the lock it started, or
 * `msg`. Unknown accounts and wrong passwords take this same path, so they answer alike.
 */
async function attemptFailed(ctx: ActionContext, keys: ThrottleKey[], user: UserRow | undefined, field: string, detail: Record<string, unknown>, msg = AuthMsg.badCredentials()): Promise<never> {
  const locked = await recordFailure(ctx, keys);
  await ctx.audit({ action: 'user_login_failed', object_type: 'user', object_id: user?.id ?? null, detail: { ...detail, address: addressOf(ctx) } });
  if (locked) {
    await ctx.audit({ action: 'user_login_locked', object_type: 'user', object_id: user?.id ?? null, detail: { ...detail, until: locked.toISOString(), keys: keys.map((k) => k.kind) } });
    return commitThenThrow(ctx, ValidationError.field(field, AuthMsg.loginLocked(locked)));
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
    // No account name or address holds a control character (and PostgreSQL text holds no NUL):
    // such a login is simply unknown, answered and counted like any other.
    const plausible = login.length <= 254 && password.length <= MAX_PASSWORD && !CONTROL.test(login);
    const user = plausible ? await findByLogin(ctx, login) : undefined;
    const usable = user && user.state === 'active' && user.password_hash ? user : undefined;
    // Keys and locks are the same for an unknown account as for a real one (throttle.ts).
    const keys = signInKeys(ctx, login, usable);
    const locked = await lockedUntil(ctx, keys);
    if (locked) {
      await ctx.audit({ action: 'user_login_failed', object_type: 'user', object_id: usable?.id ?? null, detail: { login: printable(login), reason: 'locked', address: addressOf(ctx) } });
      return commitThenThrow(ctx, ValidationError.field('login', AuthMsg.loginLocked(locked)));
    }
    if (!usable) {
      await verifyPassword(await dummy(), password.slice(0, MAX_PASSWORD));
      return attemptFailed(ctx, keys, user, 'login', { login: printable(login), reason: user ? 'account' : 'unknown' });
    }
    if (!(await verifyPassword(usable.password_hash, password))) return attemptFailed(ctx, keys, usable, 'login', { name: usable.name, reason: 'password' });
    await clearKeys(ctx, keys.filter((k) => k.kind === 'pair'));
    const result = await signInResult(ctx, usable, 'password', false);
    await ctx.audit({ action: 'user_login', object_type: 'user', object_id: usable.id, detail: { name: usable.name, next: result.next } });
    return result;
  },
});

export const userPasswordChange = defineAction<SignInResult & { tokens_revoked: number }>({
  name: 'user_password_change',
  readOnly: false,
  summary: 'Change one\'s own password (current and new); clears a forced change. Signed in, or with the ticket of a change_password step.',
  params: {
    old_password: { type: 'string', required: true, description: 'Current password' },
    new_password: { type: 'string', required: true, description: `New password: at least ${MIN_PASSWORD_LENGTH} characters, not a common password, not mostly repeats, runs or the account's name` },
    ticket: { type: 'string', description: 'Sign-in ticket (next = change_password), when not signed in' },
    revoke_tokens: { type: 'boolean', description: 'Also revoke all of the account\'s API tokens' },
  },
  async run(ctx, input) {
    const { user, claims } = await stepAccount(ctx, 'user_password_change', input, ['change_password']);
    const revokeTokens = input.revoke_tokens === true || input.revoke_tokens === 'true' || input.revoke_tokens === 'on';
    const oldPassword = textInput(input.old_password);
    const newPassword = textInput(input.new_password);
    const bag = new ErrorBag();
    if (!oldPassword) bag.add('old_password', M.missing());
    if (!newPassword) bag.add('new_password', M.missing());
    else if (newPassword.length > MAX_PASSWORD) bag.add('new_password', M.tooLong(MAX_PASSWORD));
    else if (newPassword === oldPassword) bag.add('new_password', AuthMsg.samePassword());
    else {
      const weak = passwordProblem(newPassword, user);
      if (weak) bag.add('new_password', weak);
    }
    bag.throwIfAny();
    if (!user.password_hash) throw ValidationError.field('old_password', AuthMsg.noPassword());
    // A stolen session must not be able to guess the current password: it counts like a sign-in.
    const keys = signInKeys(ctx, user.name, user);
    const locked = await lockedUntil(ctx, keys);
    if (locked) throw ValidationError.field('old_password', AuthMsg.loginLocked(locked));
    if (oldPassword.length > MAX_PASSWORD || !(await verifyPassword(user.password_hash, oldPassword))) {
      return attemptFailed(ctx, keys, user, 'old_password', { name: user.name, reason: 'old_password' }, AuthMsg.wrongOldPassword());
    }
    const updated = await ctx.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(newPassword), must_change_password: false, login_failures: 0, login_locked_until: null })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await clearKeys(ctx, keys.filter((k) => k.kind === 'pair'));
    // A new password ends every browser session of the account (the portal then starts a fresh
    // one for the caller); API tokens are revoked too when asked.
    const sessions = await endWebSessions(ctx, user.id);
    const tokens = revokeTokens ? await revokeAllTokens(ctx, user.id) : 0;
    await voidResetLinks(ctx, user.id);
    await ctx.audit({ action: 'user_password_change', object_type: 'user', object_id: user.id, detail: { name: user.name, forced: user.must_change_password, sessions_ended: sessions, tokens_revoked: tokens } });
    const twoFactor = ctx.actor.kind === 'user' && ctx.actor.twoFactor === true;
    const result: SignInResult = claims ? await signInResult(ctx, updated, claims.method, claims.totpDone) : { user: publicUser(updated), next: 'done', two_factor: twoFactor };
    return { ...result, tokens_revoked: tokens };
  },
});
