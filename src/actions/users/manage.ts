import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { AuthorizationError, ErrorBag, NotFoundError, ValidationError, type Msg } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { isEmail, readText } from '../../standard/values.ts';
import { verifyPassword } from '../../access/passwords.ts';
import { isSysadmin, userId } from '../../access/actor.ts';
import { UUID } from '../datasets/load.ts';
import type { UserRow } from '../../store/schema.ts';
import { boolParam, filterParam, naturalNumber } from '../params.ts';
import { afterTwoFactorPrivilege, endWebSessions, revokeAllTokens, voidResetLinks } from '../auth/credentials.ts';
import { addressOf, lockedUntil, recordFailure, signInKeys } from '../auth/throttle.ts';
import { commitThenThrow } from '../auth/flow.ts';
import { AuthMsg } from '../auth/messages.ts';
import { userDict } from './actions.ts';

/**
 * Managing accounts (issue 12): user_list (CKAN's parameters), user_update (self: name, e-mail,
 * about, language; sysadmins also the sysadmin flag and the state), user_delete (deactivation:
 * state "deleted"). A deactivated account is refused on every request at once: sessions
 * (web/session.ts) and tokens (access/tokens.ts) only resolve active accounts, sign-in, tickets and
 * reset links ask for an active account; its sessions, tokens and reset links are also ended here,
 * so a reactivated account starts from a fresh sign-in and new tokens.
 */
const UserMsg = {
  notFound: (): Msg => ({ th: 'ไม่พบผู้ใช้', en: 'Not found: User not found' }),
  emailTaken: (): Msg => ({ th: 'อีเมลนี้ถูกใช้แล้ว', en: 'The email address is already registered' }),
  passwordForEmail: (): Msg => ({ th: 'กรุณาใส่รหัสผ่านปัจจุบันเพื่อยืนยันการเปลี่ยนอีเมล', en: 'Enter your current password to change your e-mail address' }),
  wrongPassword: (): Msg => ({ th: 'รหัสผ่านปัจจุบันไม่ถูกต้อง', en: 'The current password is wrong' }),
  notSelf: (): Msg => ({ th: 'ผู้ดูแลระบบไม่สามารถยกเลิกสิทธิ์หรือระงับบัญชีของตนเองได้', en: 'Sysadmins cannot remove their own sysadmin right or deactivate their own account' }),
  badState: (): Msg => ({ th: 'สถานะต้องเป็น active หรือ deleted', en: 'State must be active or deleted' }),
  privateOrder: (): Msg => ({ th: 'เรียงตามอีเมลหรือเวลาใช้งานล่าสุดได้เฉพาะผู้ดูแลระบบ', en: 'Only sysadmins can order by email or last_active' }),
  reactivateEmailTaken: (): Msg => ({
    th: 'อีเมลของบัญชีนี้ถูกใช้โดยบัญชีอื่นแล้ว กรุณาเปลี่ยนอีเมลก่อนเปิดใช้บัญชีอีกครั้ง',
    en: "Another account now uses this account's e-mail address; change it before reactivating",
  }),
  badOrder: (): Msg => ({ th: 'เรียงลำดับได้ตาม name, display_name, fullname, created, last_active หรือ email', en: 'order_by must be one of name, display_name, fullname, created, last_active, email' }),
};

async function findUser(ctx: ActionContext, ref: unknown): Promise<UserRow | undefined> {
  if (typeof ref !== 'string' || !ref || ref.includes('\u0000')) return undefined;
  const q = ctx.db.selectFrom('users').selectAll();
  return (UUID.test(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
}

/** Orderings by fields only sysadmins see (userDict's private part): the order alone would tell them. */
const PRIVATE_ORDER = new Set(['email', 'last_active']);
const ORDER: Record<string, 'name' | 'fullname' | 'created' | 'last_active' | 'email'> = { name: 'name', display_name: 'fullname', fullname: 'fullname', created: 'created', last_active: 'last_active', email: 'email' };

export const userList = defineAction({
  name: 'user_list',
  readOnly: true,
  summary:
    "Users (CKAN's user_list). Sysadmins see every account (deleted ones with include_deleted=true); other signed-in users see " +
    'themselves and colleagues of their organisations (ckan.auth.public_user_details=false); anonymous callers are refused.',
  params: {
    q: { type: 'string', description: 'Text in the user name, full name or e-mail (e-mail: sysadmins only)' },
    order_by: { type: 'string', description: 'name (default), display_name, fullname, created, last_active, email' },
    limit: { type: 'integer', description: 'At most this many (default 1000, at most 1000)' },
    offset: { type: 'integer', description: 'Skip this many' },
    all_fields: { type: 'boolean', description: 'Dicts (default true) or names only' },
    include_deleted: { type: 'boolean', description: 'Sysadmins: also deactivated accounts' },
  },
  async run(ctx, input) {
    ctx.authorize('user_list');
    const bag = new ErrorBag();
    const q = (filterParam(input, 'q', 100_000) ?? '').trim().slice(0, 200).replace(/\u0000/g, '');
    const orderKey = filterParam(input, 'order_by') ?? 'name';
    const admin = isSysadmin(ctx.actor);
    if (!Object.hasOwn(ORDER, orderKey)) bag.add('order_by', UserMsg.badOrder());
    else if (!admin && PRIVATE_ORDER.has(orderKey)) bag.add('order_by', UserMsg.privateOrder());
    bag.throwIfAny();
    const limit = Math.min(naturalNumber(input, 'limit', 1000) ?? 1000, 1000);
    const offset = naturalNumber(input, 'offset') ?? 0;
    const allFields = boolParam(input, 'all_fields', true);
    const withDeleted = admin && boolParam(input, 'include_deleted', false);
    const me = userId(ctx.actor);
    const orgs = ctx.actor.kind === 'user' ? [...ctx.actor.roles.keys()] : [];
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await ctx.db
      .selectFrom('users')
      .selectAll()
      .$if(!withDeleted, (qb) => qb.where('state', '<>', 'deleted'))
      // Others see only their colleagues (and themselves), as user_show does.
      .$if(!admin, (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('id', '=', me ?? '00000000-0000-0000-0000-000000000000'),
            ...(orgs.length ? [eb('id', 'in', eb.selectFrom('memberships').select('user_id').where('group_id', 'in', orgs))] : []),
          ]),
        ),
      )
      .$if(!!q, (qb) => qb.where((eb) => eb.or([eb('name', 'ilike', like), eb('fullname', 'ilike', like), ...(admin ? [eb('email', 'ilike', like)] : [])])))
      .orderBy(ORDER[orderKey]!)
      .orderBy('name')
      .limit(limit)
      .offset(offset)
      .execute();
    if (!allFields) return rows.map((u) => u.name);
    return rows.map((u) => userDict(u, admin || u.id === me));
  },
});

const SELF_FIELDS = new Set(['id', 'fullname', 'email', 'about', 'locale', 'password', 'old_password']);
const ADMIN_FIELDS = new Set([...SELF_FIELDS, 'sysadmin', 'state']);
/** Keys CKAN clients send back from user_show; accepted and ignored when unchanged. */
const ECHOED = new Set(['name', 'display_name', 'created', 'image_display_url', 'last_active', 'totp_enabled', 'must_change_password', 'number_created_packages', 'datasets']);

export const userUpdate = defineAction({
  name: 'user_update',
  readOnly: false,
  summary:
    'Update a user (only the fields given). Self: fullname, email (with the current password in password), about, locale. ' +
    'Sysadmins: also sysadmin and state (active / deleted) of others.',
  params: {
    id: { type: 'string', required: true, description: 'User id or name' },
    fullname: { type: 'string', description: 'Full name' },
    email: { type: 'string', description: 'E-mail address; changing one\'s own needs password' },
    password: { type: 'string', description: 'Current password, to confirm an e-mail change' },
    about: { type: 'string', description: 'About' },
    locale: { type: 'string', description: 'th or en (mail language)' },
    sysadmin: { type: 'boolean', description: 'Sysadmins only' },
    state: { type: 'string', description: 'active or deleted (sysadmins only)' },
  },
  async run(ctx, input) {
    const user = await findUser(ctx, input.id);
    ctx.authorize('user_update', { id: user?.id ?? '' });
    if (!user) throw new NotFoundError(UserMsg.notFound());
    const admin = isSysadmin(ctx.actor);
    const self = userId(ctx.actor) === user.id;
    const bag = new ErrorBag();
    const allowed = admin ? ADMIN_FIELDS : SELF_FIELDS;
    for (const k of Object.keys(input)) if (!allowed.has(k) && !ECHOED.has(k)) bag.add(k, k === 'sysadmin' || k === 'state' ? { th: 'เฉพาะผู้ดูแลระบบ', en: 'Sysadmins only' } : M.unknownField());
    if (typeof input.name === 'string' && input.name !== user.name) bag.add('name', { th: 'เปลี่ยนชื่อผู้ใช้ไม่ได้', en: 'The user name cannot be changed' });
    const set: Partial<Pick<UserRow, 'fullname' | 'email' | 'about' | 'locale' | 'sysadmin' | 'state'>> = {};
    if (input.fullname !== undefined) set.fullname = readText(input.fullname, 'fullname', bag, { max: 200, strict: true })?.trim() ?? '';
    if (input.about !== undefined) set.about = readText(input.about, 'about', bag, { max: 5000 }) ?? '';
    if (input.locale !== undefined) {
      const l = readText(input.locale, 'locale', bag, { max: 10 })?.trim() ?? '';
      if (l && l !== 'th' && l !== 'en') bag.add('locale', { th: 'ภาษาต้องเป็น th หรือ en', en: 'Locale must be th or en' });
      else set.locale = l;
    }
    let emailChanged = false;
    if (input.email !== undefined) {
      const email = readText(input.email, 'email', bag, { max: 254 })?.trim() ?? '';
      // An account without one (made by Digital ID without a verified address) may stay without.
      if (!email && !bag.has('email')) {
        if (user.email) bag.add('email', M.missing());
      }
      else if (email && !isEmail(email)) bag.add('email', M.email());
      else if (email && email.toLowerCase() !== user.email.toLowerCase()) {
        const taken = await ctx.db.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).where('state', '<>', 'deleted').where('id', '<>', user.id).executeTakeFirst();
        if (taken) bag.add('email', UserMsg.emailTaken());
        else {
          set.email = email;
          emailChanged = true;
        }
      } else if (email) set.email = email;
    }
    let sysadmin: boolean | undefined;
    if (admin && input.sysadmin !== undefined) {
      try {
        sysadmin = boolParam(input, 'sysadmin', user.sysadmin);
      } catch (e) {
        if (e instanceof ValidationError) bag.add('sysadmin', M.flag());
        else throw e;
      }
      if (sysadmin === false && self && user.sysadmin) bag.add('sysadmin', UserMsg.notSelf());
    }
    let state: string | undefined;
    if (admin && input.state !== undefined) {
      state = typeof input.state === 'string' ? input.state : '';
      if (state !== 'active' && state !== 'deleted') bag.add('state', UserMsg.badState());
      else if (state === 'deleted' && self) bag.add('state', UserMsg.notSelf());
      else if (state === 'active' && user.state !== 'active' && !bag.has('email')) {
        // A deactivated account's address may have been given to someone since (e-mails are unique among live accounts).
        const email = (set.email ?? user.email).toLowerCase();
        const taken = email && (await ctx.db.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email)).where('state', '<>', 'deleted').where('id', '<>', user.id).executeTakeFirst());
        if (taken) bag.add('email', UserMsg.reactivateEmailTaken());
      }
    }
    bag.throwIfAny();
    // A new e-mail receives reset links: whoever holds only a session must not redirect them.
    if (emailChanged && self && ctx.actor.kind === 'user') {
      const problem = await confirmPassword(ctx, user, input.password);
      if (problem) return commitThenThrow(ctx, problem);
    }
    if (sysadmin !== undefined && sysadmin !== user.sysadmin) {
      ctx.authorize('user_set_sysadmin');
      set.sysadmin = sysadmin;
    }
    const wasState = user.state;
    if (state !== undefined && state !== user.state) set.state = state;
    if (!Object.keys(set).length) return userDict(user, true);
    const row = await ctx.db.updateTable('users').set(set).where('id', '=', user.id).returningAll().executeTakeFirstOrThrow();
    const changes = Object.keys(set).filter((k) => (set as Record<string, unknown>)[k] !== (user as Record<string, unknown>)[k]);
    await ctx.audit({ action: 'user_update', object_type: 'user', object_id: user.id, detail: { name: user.name, fields: changes, ...(emailChanged ? { email_changed: true } : {}) } });
    if (set.sysadmin === true) await afterTwoFactorPrivilege(ctx, user.id, 'sysadmin');
    // Links sent to the old address stop working with it.
    if (emailChanged) await voidResetLinks(ctx, user.id);
    if (set.state === 'deleted' && wasState !== 'deleted') await deactivated(ctx, user);
    if (set.state === 'active' && wasState !== 'active') await ctx.audit({ action: 'user_reactivate', object_type: 'user', object_id: user.id, detail: { name: user.name } });
    return userDict(row, admin || self);
  },
});

/** The error to answer (after commit, so a wrong password's count is kept), or null when confirmed. */
async function confirmPassword(ctx: ActionContext, user: UserRow, given: unknown): Promise<ValidationError | null> {
  const password = typeof given === 'string' ? given : '';
  if (!password) return ValidationError.field('password', UserMsg.passwordForEmail());
  // Counted like a sign-in: a stolen session cannot guess the password here either.
  const keys = signInKeys(ctx, user.name, user);
  const locked = await lockedUntil(ctx, keys);
  if (locked) return ValidationError.field('password', AuthMsg.loginLocked(locked));
  if (password.length > 1000 || !(await verifyPassword(user.password_hash, password))) {
    await recordFailure(ctx, keys);
    await ctx.audit({ action: 'user_login_failed', object_type: 'user', object_id: user.id, detail: { name: user.name, reason: 'email_change', address: addressOf(ctx) } });
    return ValidationError.field('password', UserMsg.wrongPassword());
  }
  return null;
}

/** A deactivated account: every session, token and reset link ends in this transaction. */
async function deactivated(ctx: ActionContext, user: UserRow): Promise<void> {
  const sessions = await endWebSessions(ctx, user.id);
  const tokens = await revokeAllTokens(ctx, user.id);
  await voidResetLinks(ctx, user.id);
  await ctx.audit({ action: 'user_deactivate', object_type: 'user', object_id: user.id, detail: { name: user.name, sessions_ended: sessions, tokens_revoked: tokens } });
}

export const userDelete = defineAction({
  name: 'user_delete',
  readOnly: false,
  summary: "Deactivate a user (CKAN's user_delete: state deleted). Sessions, API tokens and reset links stop at once. Sysadmins only, not themselves; user_update state=active reactivates.",
  params: { id: { type: 'string', required: true, description: 'User id or name' } },
  async run(ctx, input) {
    const user = await findUser(ctx, input.id);
    if (user && userId(ctx.actor) === user.id && isSysadmin(ctx.actor)) {
      ctx.authorize('user_list'); // the policy was asked; the answer is a refusal that says why
      throw new AuthorizationError(UserMsg.notSelf());
    }
    ctx.authorize('user_delete', { id: user?.id ?? '' });
    if (!user) throw new NotFoundError(UserMsg.notFound());
    if (user.state === 'deleted') return null;
    await ctx.db.updateTable('users').set({ state: 'deleted' }).where('id', '=', user.id).execute();
    await deactivated(ctx, user);
    return null;
  },
});

/** CKAN's user_patch: user_update already changes only the fields given, so it is the same action under its CKAN name. */
export const userPatch = defineAction({ ...userUpdate, name: 'user_patch', summary: "CKAN's user_patch: the same as user_update, which changes only the fields given." });

export const manageActions = [userList, userUpdate, userPatch, userDelete];
