import { defineAction } from '../registry.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { UUID } from '../datasets/load.ts';
import { AuthMsg } from './messages.ts';
import { checkTotp, isTotpCode, newRecoveryCodes, newTotpSecret, otpauthUrl, qrSvg, useRecoveryCode } from './totp.ts';
import { readTicket, ticketMatches } from './ticket.ts';
import { addressKeys, lockedUntil, recordFailure } from './throttle.ts';
import { endWebSessions } from './credentials.ts';
import {
  activeLock, afterFailure, asNumber, authorizeOr, commitThenThrow, lockUserRow, publicUser, signInResult, stepAccount, textInput,
  type SignInResult, type SelfOrTicket,
} from './flow.ts';

/** Thai digits (๐–๙), typed on a Thai keyboard, as ASCII digits. */
const THAI_DIGITS = /[\u0e50-\u0e59]/g;

function readCode(input: Record<string, unknown>): string {
  const code = textInput(input.code).trim();
  if (!code) throw ValidationError.field('code', M.missing());
  if (code.length > 40) throw ValidationError.field('code', AuthMsg.codeFormat());
  // Apps show "123 456"; phones may give full-width or Thai digits: the same code, not a wrong one.
  const digits = code.normalize('NFKC').replace(THAI_DIGITS, (d) => String(d.charCodeAt(0) - 0x0e50)).replace(/[\s-]/g, '');
  return isTotpCode(digits) ? digits : code;
}

export const userTotpSetup = defineAction({
  name: 'user_totp_setup',
  readOnly: false,
  summary: 'Start two-factor set-up: a new TOTP secret (not active until user_totp_enable), its otpauth:// URL and QR code as SVG.',
  params: { ticket: { type: 'string', description: 'Sign-in ticket (next = totp_setup), when not signed in' } },
  async run(ctx, input) {
    const { user } = await stepAccount(ctx, 'user_totp_setup', input, ['totp_setup']);
    if (user.totp_enabled) throw ValidationError.field('code', AuthMsg.totpAlreadyEnabled());
    const secret = newTotpSecret();
    await ctx.db.updateTable('users').set({ totp_secret: secret, totp_last_counter: null }).where('id', '=', user.id).execute();
    await ctx.audit({ action: 'user_totp_setup', object_type: 'user', object_id: user.id, detail: { name: user.name } });
    const url = otpauthUrl(ctx.services.config, user.name, secret);
    return { secret, otpauth_url: url, qr_svg: await qrSvg(url) };
  },
});

export const userTotpEnable = defineAction<SignInResult & { recovery_codes: string[] }>({
  name: 'user_totp_enable',
  readOnly: false,
  summary: 'Finish two-factor set-up with a code from the app; answers 10 one-time recovery codes, shown only this once.',
  params: {
    code: { type: 'string', required: true, description: '6-digit code from the authenticator app' },
    ticket: { type: 'string', description: 'Sign-in ticket (next = totp_setup), when not signed in' },
  },
  async run(ctx, input) {
    const { user, claims } = await stepAccount(ctx, 'user_totp_enable', input, ['totp_setup']);
    const code = readCode(input);
    if (user.totp_enabled) throw ValidationError.field('code', AuthMsg.totpAlreadyEnabled());
    if (!user.totp_secret) throw ValidationError.field('code', AuthMsg.totpNotPending());
    if (!isTotpCode(code)) throw ValidationError.field('code', AuthMsg.codeFormat());
    const step = await checkTotp(user.totp_secret, code, asNumber(user.totp_last_counter), ctx.now);
    if (step === null) throw ValidationError.field('code', AuthMsg.wrongCode());
    const { codes, hashes } = newRecoveryCodes();
    const updated = await ctx.db
      .updateTable('users')
      .set({ totp_enabled: true, totp_last_counter: step, totp_failures: 0, totp_locked_until: null, recovery_codes: JSON.stringify(hashes) })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await ctx.audit({ action: 'user_totp_enable', object_type: 'user', object_id: user.id, detail: { name: user.name } });
    // Entering a fresh code proves the second factor for this sign-in too.
    const result: SignInResult = claims ? await signInResult(ctx, updated, claims.method, true) : { user: publicUser(updated), next: 'done', two_factor: true };
    return { ...result, recovery_codes: codes };
  },
});

export const userTotpVerify = defineAction<SignInResult & { recovery_codes_left: number; used_recovery_code: boolean }>({
  name: 'user_totp_verify',
  readOnly: false,
  summary: 'Second sign-in step: a TOTP code (once each) or a one-time recovery code, with the ticket from the first step. 5 wrong codes lock 2FA for 15 minutes.',
  params: {
    ticket: { type: 'string', required: true, description: 'Sign-in ticket (next = totp)' },
    code: { type: 'string', required: true, description: '6-digit code, or a recovery code (xxxxx-xxxxx)' },
  },
  async run(ctx, input) {
    // Only a ticket opens this step: it proves the caller passed the first step for this account.
    const claims = readTicket(ctx.services.config, input.ticket, ctx.now);
    const user = claims?.stage === 'totp' ? await lockUserRow(ctx, claims.userId) : undefined;
    const valid = !!claims && !!user && user.state === 'active' && user.totp_enabled && ticketMatches(claims, user);
    authorizeOr(ctx, 'user_totp_verify', { userId: user?.id ?? '', ticket: valid } satisfies SelfOrTicket, AuthMsg.ticketInvalid());
    const u = user!;
    const code = readCode(input);
    // Wrong codes count against the address too, like wrong passwords (throttle.ts).
    const addrKeys = addressKeys(ctx);
    const locked = activeLock(u.totp_locked_until, ctx.now) ?? (await lockedUntil(ctx, addrKeys));
    if (locked) {
      await ctx.audit({ action: 'user_totp_failed', object_type: 'user', object_id: u.id, detail: { name: u.name, reason: 'locked' } });
      return commitThenThrow(ctx, ValidationError.field('code', AuthMsg.totpLocked(locked)));
    }
    const hashes = (u.recovery_codes ?? []) as string[];
    let step: number | null = null;
    let remaining: string[] | null = null;
    if (isTotpCode(code)) step = await checkTotp(u.totp_secret ?? '', code, asNumber(u.totp_last_counter), ctx.now);
    else remaining = useRecoveryCode(hashes, code);
    if (step === null && remaining === null) {
      const addrLocked = await recordFailure(ctx, addrKeys);
      const next = afterFailure({ failures: u.totp_failures, lockedUntil: u.totp_locked_until }, ctx.now);
      await ctx.db.updateTable('users').set({ totp_failures: next.failures, totp_locked_until: next.lockedUntil }).where('id', '=', u.id).execute();
      await ctx.audit({ action: 'user_totp_failed', object_type: 'user', object_id: u.id, detail: { name: u.name, reason: 'code', failures: next.lockedNow ? 5 : next.failures } });
      if (next.lockedNow) {
        await ctx.audit({ action: 'user_totp_locked', object_type: 'user', object_id: u.id, detail: { name: u.name, until: next.lockedUntil!.toISOString() } });
        return commitThenThrow(ctx, ValidationError.field('code', AuthMsg.totpLocked(next.lockedUntil!)));
      }
      return commitThenThrow(ctx, ValidationError.field('code', addrLocked ? AuthMsg.totpLocked(addrLocked) : AuthMsg.wrongCode()));
    }
    const left = remaining ?? hashes;
    const updated = await ctx.db
      .updateTable('users')
      .set({
        totp_failures: 0,
        totp_locked_until: null,
        ...(step !== null ? { totp_last_counter: step } : { recovery_codes: JSON.stringify(left) }),
      })
      .where('id', '=', u.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await ctx.audit({
      action: remaining ? 'user_totp_recovery_code_used' : 'user_totp_verify',
      object_type: 'user',
      object_id: u.id,
      detail: { name: u.name, ...(remaining ? { recovery_codes_left: left.length } : {}) },
    });
    const result = await signInResult(ctx, updated, claims!.method, true);
    return { ...result, recovery_codes_left: left.length, used_recovery_code: remaining !== null };
  },
});

export const userTotpReset = defineAction({
  name: 'user_totp_reset',
  readOnly: false,
  summary: 'Sysadmins: switch off a user\'s two-factor sign-in (lost device); they set it up again at their next sign-in where it is required.',
  params: { id: { type: 'string', required: true, description: 'User id or name' } },
  async run(ctx, input) {
    const ref = textInput(input.id).trim();
    const bag = new ErrorBag();
    if (!ref) bag.add('id', M.missing());
    const row = ref && !ref.includes('\u0000')
      ? await (UUID.test(ref) ? ctx.db.selectFrom('users').select('id').where('id', '=', ref.toLowerCase()) : ctx.db.selectFrom('users').select('id').where('name', '=', ref)).executeTakeFirst()
      : undefined;
    ctx.authorize('user_totp_reset', { userId: row?.id ?? '', ticket: false } satisfies SelfOrTicket);
    bag.throwIfAny();
    const user = row ? await lockUserRow(ctx, row.id) : undefined;
    if (!user) throw new NotFoundError(AuthMsg.userNotFound());
    const updated = await ctx.db
      .updateTable('users')
      .set({ totp_enabled: false, totp_secret: null, totp_failures: 0, totp_locked_until: null, totp_last_counter: null, recovery_codes: '[]' })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // Sessions signed in with the lost factor end with it.
    const sessions = await endWebSessions(ctx, user.id);
    await ctx.audit({ action: 'user_totp_reset', object_type: 'user', object_id: user.id, detail: { name: user.name, was_enabled: user.totp_enabled, sessions_ended: sessions } });
    return { user: publicUser(updated), totp_enabled: false };
  },
});
