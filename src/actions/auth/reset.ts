import crypto from 'node:crypto';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, NotFoundError, ValidationError, type Msg } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { hashPassword, passwordProblem } from '../../access/passwords.ts';
import { hashToken } from '../../access/tokens.ts';
import { UUID } from '../datasets/load.ts';
import { queueMail } from '../../mail/outbox.ts';
import { ckanTime } from '../../util/time.ts';
import type { UserRow } from '../../store/schema.ts';
import { bangkokTime } from './messages.ts';
import { commitThenThrow, textInput } from './flow.ts';
import { endWebSessions, revokeAllTokens } from './credentials.ts';
import { addressOf, lockedUntil, recordFailure, throttleAddress, type ThrottleKey } from './throttle.ts';

/**
 * Password reset by e-mail, and reset links issued by a sysadmin. A link carries a random token;
 * only its SHA-256 is stored (table password_resets, migration 010). It works once, before it
 * expires, and only while the account is active. Setting a new password through it ends every
 * session, optionally revokes API tokens, and signs no one in: the next sign-in still asks for the
 * second factor where the account has or needs one.
 */
export const RESET_MINUTES = 30;
export const ADMIN_RESET_HOURS = 24;
/** Requests per address, and mails per account (or unknown login), per hour. */
export const RESET_LIMITS = { address: 10, account: 3 };

interface ResetRow {
  id: string;
  user_id: string;
  token_hash: string;
  created: Date;
  expires_at: Date;
  used_at: Date | null;
  issued_by: string | null;
}

function table(ctx: ActionContext) {
  return ctx.db.withTables<{ password_resets: ResetRow }>();
}

export const ResetMsg = {
  sent: (): Msg => ({
    th: 'หากชื่อผู้ใช้หรืออีเมลนี้มีบัญชีอยู่ ระบบได้ส่งลิงก์สำหรับตั้งรหัสผ่านใหม่ไปยังอีเมลของบัญชีแล้ว ลิงก์ใช้ได้ครั้งเดียวภายใน 30 นาที',
    en: 'If an account has this user name or e-mail, a link to set a new password has been sent to its e-mail address. The link works once, within 30 minutes.',
  }),
  limited: (until: Date): Msg => ({
    th: `มีคำขอตั้งรหัสผ่านใหม่จากเครือข่ายของท่านมากเกินไป กรุณาลองใหม่เวลา ${bangkokTime(until)} น.`,
    en: `Too many password reset requests from your network. Try again at ${bangkokTime(until)} (Bangkok time).`,
  }),
  invalidLink: (): Msg => ({
    th: 'ลิงก์ตั้งรหัสผ่านใหม่นี้หมดอายุ ถูกใช้ไปแล้ว หรือไม่ถูกต้อง กรุณาขอลิงก์ใหม่',
    en: 'This password reset link has expired, has been used or is not valid; please ask for a new one',
  }),
  noEmail: (): Msg => ({ th: 'บัญชีนี้ไม่มีอีเมล จึงส่งลิงก์ทางอีเมลไม่ได้', en: 'This account has no e-mail address to send the link to' }),
};

function newResetToken(): { token: string; hash: string } {
  const token = crypto.randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function resetUrl(ctx: ActionContext, token: string): string {
  return `${ctx.services.config.siteUrl}/user/reset/${token}`;
}

/** Issues a new link for the user; earlier unused links of the account stop working. */
async function issueLink(ctx: ActionContext, user: UserRow, minutes: number, issuedBy: string | null): Promise<{ token: string; expires: Date }> {
  await table(ctx).updateTable('password_resets').set({ used_at: ctx.now }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
  const { token, hash } = newResetToken();
  const expires = new Date(ctx.now.getTime() + minutes * 60_000);
  await table(ctx).insertInto('password_resets').values({ id: crypto.randomUUID(), user_id: user.id, token_hash: hash, created: ctx.now, expires_at: expires, used_at: null, issued_by: issuedBy }).execute();
  // Old rows go where a write happens anyway.
  await table(ctx).deleteFrom('password_resets').where('expires_at', '<', new Date(ctx.now.getTime() - 7 * 86400_000)).execute();
  return { token, expires };
}

async function mailLink(ctx: ActionContext, user: UserRow, token: string, minutes: number, template: string): Promise<void> {
  await queueMail(ctx.db, {
    to: user.email,
    template,
    lang: user.locale === 'en' ? 'en' : user.locale === 'th' ? 'th' : ctx.lang,
    vars: { name: user.fullname || user.name, username: user.name, url: resetUrl(ctx, token), minutes, hours: Math.round(minutes / 60), site: ctx.services.config.siteUrl },
  });
}

const MIN = 60_000;

/** Rate keys: the caller's address, and the login as typed (unknown logins counted alike). */
function resetKeys(ctx: ActionContext, login: string): { address: ThrottleKey[]; account: ThrottleKey[] } {
  const l = crypto.createHash('sha256').update(login.toLowerCase()).digest('base64url');
  return { address: [{ kind: 'reset_address', key: `reset-addr:${throttleAddress(ctx)}` }], account: [{ kind: 'reset_account', key: `reset-login:${l}` }] };
}

export const userPasswordResetRequest = defineAction<{ message: string; message_th: string; message_en: string }>({
  name: 'user_password_reset_request',
  readOnly: false,
  summary:
    'Forgot password: mails a single-use link (30 minutes) to the account with this user name or e-mail. ' +
    'Answers the same whether or not the account exists; limited per address and per login.',
  params: { login: { type: 'string', required: true, description: 'User name or e-mail address' } },
  async run(ctx, input) {
    ctx.authorize('user_password_reset_request');
    const login = textInput(input.login).trim();
    if (!login) throw ValidationError.field('login', M.missing());
    const keys = resetKeys(ctx, login.slice(0, 254));
    const addrLock = await lockedUntil(ctx, keys.address);
    if (addrLock) return commitThenThrow(ctx, ValidationError.field('login', ResetMsg.limited(addrLock)));
    const accountLock = await lockedUntil(ctx, keys.account);
    // Every request counts, found or not, so the limits say nothing about the account.
    await recordFailure(ctx, [...keys.address, ...keys.account]);
    let user: UserRow | undefined;
    if (!accountLock && login.length <= 254 && !/[\x00-\x1f\x7f]/.test(login)) {
      const q = ctx.db.selectFrom('users').selectAll().where('state', '=', 'active');
      user = await (login.includes('@') ? q.where((eb) => eb(eb.fn('lower', ['email']), '=', login.toLowerCase())) : q.where('name', '=', login.toLowerCase())).executeTakeFirst();
    }
    if (user && user.email) {
      const { token } = await issueLink(ctx, user, RESET_MINUTES, null);
      await mailLink(ctx, user, token, RESET_MINUTES, 'password_reset');
    }
    await ctx.audit({
      action: 'user_password_reset_request',
      object_type: 'user',
      object_id: user?.id ?? null,
      detail: { sent: !!user?.email, ...(accountLock ? { limited: true } : {}), address: addressOf(ctx) },
    });
    const msg = ResetMsg.sent();
    return { message: msg[ctx.lang], message_th: msg.th, message_en: msg.en };
  },
});

/** The live link for this token, row-locked, or undefined. */
async function liveLink(ctx: ActionContext, token: string, lock: boolean): Promise<{ link: ResetRow; user: UserRow } | undefined> {
  if (!token || token.length > 100) return undefined;
  let q = table(ctx).selectFrom('password_resets').selectAll().where('token_hash', '=', hashToken(token));
  if (lock) q = q.forUpdate();
  const link = await q.executeTakeFirst();
  if (!link || link.used_at || new Date(link.expires_at).getTime() <= ctx.now.getTime()) return undefined;
  const user = await ctx.db.selectFrom('users').selectAll().where('id', '=', link.user_id).where('state', '=', 'active').executeTakeFirst();
  return user ? { link, user } : undefined;
}

export const userPasswordResetCheck = defineAction({
  name: 'user_password_reset_check',
  readOnly: true,
  summary: 'Whether a password reset link still works (for the reset page): the account name and when the link expires.',
  params: { token: { type: 'string', required: true, description: 'The token from the link' } },
  async run(ctx, input) {
    ctx.authorize('user_password_reset_check');
    const live = await liveLink(ctx, textInput(input.token), false);
    if (!live) throw ValidationError.field('token', ResetMsg.invalidLink());
    return { name: live.user.name, expires_at: ckanTime(live.link.expires_at), two_factor: live.user.totp_enabled };
  },
});

export const userPasswordReset = defineAction({
  name: 'user_password_reset',
  readOnly: false,
  summary: 'Sets a new password through a reset link (once). Ends every session; revoke_tokens=true also revokes every API token. Signs no one in.',
  params: {
    token: { type: 'string', required: true, description: 'The token from the link' },
    new_password: { type: 'string', required: true, description: 'The new password (strength-checked)' },
    revoke_tokens: { type: 'boolean', description: "Also revoke all of the account's API tokens" },
  },
  async run(ctx, input) {
    ctx.authorize('user_password_reset');
    const live = await liveLink(ctx, textInput(input.token), true);
    if (!live) throw ValidationError.field('token', ResetMsg.invalidLink());
    const { link, user } = live;
    const bag = new ErrorBag();
    const password = textInput(input.new_password);
    if (!password) bag.add('new_password', M.missing());
    else if (password.length > 1000) bag.add('new_password', M.tooLong(1000));
    else {
      const weak = passwordProblem(password, user);
      if (weak) bag.add('new_password', weak);
    }
    bag.throwIfAny();
    const revoke = input.revoke_tokens === true || input.revoke_tokens === 'true' || input.revoke_tokens === 'on';
    await ctx.db.updateTable('users').set({ password_hash: await hashPassword(password), must_change_password: false }).where('id', '=', user.id).execute();
    await table(ctx).updateTable('password_resets').set({ used_at: ctx.now }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    const sessions = await endWebSessions(ctx, user.id);
    const tokens = revoke ? await revokeAllTokens(ctx, user.id) : 0;
    await ctx.audit({ action: 'user_password_reset', object_type: 'user', object_id: user.id, detail: { name: user.name, link: link.id, issued_by: link.issued_by, sessions_ended: sessions, tokens_revoked: tokens } });
    return { name: user.name, sessions_ended: sessions, tokens_revoked: tokens, two_factor: user.totp_enabled };
  },
});

export const userPasswordResetIssue = defineAction({
  name: 'user_password_reset_issue',
  readOnly: false,
  summary: `A sysadmin issues a reset link for a user (${ADMIN_RESET_HOURS} hours, single use): answered once, and mailed to the user with mail=true. Audited.`,
  params: {
    id: { type: 'string', required: true, description: 'User id or name' },
    mail: { type: 'boolean', description: "Also send the link to the user's e-mail address" },
  },
  async run(ctx, input) {
    ctx.authorize('user_password_reset_issue');
    const ref = textInput(input.id);
    if (ref.includes('\u0000')) throw new NotFoundError({ th: 'ไม่พบผู้ใช้', en: 'Not found: User not found' });
    const q = ctx.db.selectFrom('users').selectAll();
    const user = ref ? await (UUID.test(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst() : undefined;
    if (!user || user.state !== 'active') throw new NotFoundError({ th: 'ไม่พบผู้ใช้ที่ใช้งานอยู่', en: 'Not found: no active user by that name' });
    const mail = input.mail === true || input.mail === 'true' || input.mail === 'on';
    if (mail && !user.email) throw ValidationError.field('mail', ResetMsg.noEmail());
    const minutes = ADMIN_RESET_HOURS * 60;
    const { token, expires } = await issueLink(ctx, user, minutes, ctx.actor.kind === 'user' ? ctx.actor.user.id : null);
    if (mail) await mailLink(ctx, user, token, minutes, 'password_reset_admin');
    await ctx.audit({ action: 'user_password_reset_issue', object_type: 'user', object_id: user.id, detail: { name: user.name, mailed: mail, expires: expires.toISOString() } });
    return { name: user.name, url: resetUrl(ctx, token), expires_at: ckanTime(expires), mailed: mail };
  },
});

export const resetActions = [userPasswordResetRequest, userPasswordResetCheck, userPasswordReset, userPasswordResetIssue];
