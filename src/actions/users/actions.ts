import crypto from 'node:crypto';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { AuthorizationError, ErrorBag, NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { isEmail, readText } from '../../standard/values.ts';
import { validateSlug } from '../../standard/validate.ts';
import { hashPassword, passwordProblem, type PasswordContext } from '../../access/passwords.ts';
import { hashToken, newToken } from '../../access/tokens.ts';
import { isSysadmin, userId } from '../../access/actor.ts';
import { actorNeeds2fa } from '../../access/two-factor.ts';
import { requires2fa } from '../auth/flow.ts';
import { revokeAllTokens } from '../auth/credentials.ts';
import type { UserRow } from '../../store/schema.ts';
import { UUID } from '../datasets/load.ts';
import { packageDicts } from '../datasets/present.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { ckanTime } from '../../util/time.ts';
import { boolParam } from '../params.ts';
import { manageActions } from './manage.ts';
import { RESERVED_USER_NAMES } from './names.ts';

const USER_KEYS = new Set(['name', 'email', 'password', 'fullname', 'about', 'sysadmin', 'locale', 'id', 'state', 'must_change_password']);

export function userDict(u: UserRow, full: boolean): Record<string, unknown> {
  const d: Record<string, unknown> = {
    id: u.id,
    name: u.name,
    fullname: u.fullname,
    display_name: u.fullname || u.name,
    about: u.about,
    created: ckanTime(u.created),
    state: u.state,
    sysadmin: u.sysadmin,
    image_display_url: '',
  };
  if (full) {
    d.email = u.email;
    d.locale = u.locale;
    d.last_active = ckanTime(u.last_active);
    d.totp_enabled = u.totp_enabled;
    d.must_change_password = u.must_change_password;
  }
  return d;
}

async function findUser(ctx: ActionContext, ref: string): Promise<UserRow | undefined> {
  // No name holds a NUL (PostgreSQL text cannot): such a reference finds no one rather than failing.
  if (ref.includes('\u0000')) return undefined;
  const q = ctx.db.selectFrom('users').selectAll();
  return (UUID.test(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
}

/** A new password, judged by strength (access/password-strength.ts), with the account's own words. */
export async function validatePassword(password: unknown, bag: ErrorBag, who: PasswordContext = {}, field = 'password'): Promise<string | undefined> {
  const p = readText(password, field, bag, { max: 1000 });
  if (p === undefined) return undefined;
  const problem = passwordProblem(p, who);
  if (problem) {
    bag.add(field, problem);
    return undefined;
  }
  return p;
}

export const userCreate = defineAction({
  name: 'user_create',
  readOnly: false,
  summary: 'Create a user account (sysadmins only: government catalogs do not allow self-registration).',
  async run(ctx, input) {
    ctx.authorize('user_create');
    const bag = new ErrorBag();
    for (const k of Object.keys(input)) if (!USER_KEYS.has(k)) bag.add(k, M.unknownField());
    const name = validateSlug(input.name, bag);
    if (input.name === undefined) bag.add('name', M.missing());
    const email = readText(input.email, 'email', bag, { max: 254 })?.trim() ?? '';
    if (!email && !bag.has('email')) bag.add('email', M.missing());
    else if (email && !isEmail(email)) bag.add('email', M.email());
    const fullname = readText(input.fullname, 'fullname', bag, { max: 200, strict: true })?.trim() ?? '';
    const password = input.password === undefined ? undefined : await validatePassword(input.password, bag, { name: typeof input.name === 'string' ? input.name : '', email, fullname });
    const about = readText(input.about, 'about', bag, { max: 5000 }) ?? '';
    const sysadmin = boolParam(input, 'sysadmin', false);
    if (name && (RESERVED_USER_NAMES.has(name) || (await ctx.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst()))) bag.add('name', { th: 'ชื่อผู้ใช้นี้ถูกใช้แล้ว', en: 'That login name is not available.' });
    if (email && (await ctx.db.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).where('state', '<>', 'deleted').executeTakeFirst())) {
      bag.add('email', { th: 'อีเมลนี้ถูกใช้แล้ว', en: 'The email address is already registered' });
    }
    bag.throwIfAny();
    if (sysadmin) ctx.authorize('user_set_sysadmin');
    const row = await ctx.db
      .insertInto('users')
      .values({
        id: crypto.randomUUID(), name: name!, email, fullname, about, sysadmin,
        password_hash: password ? await hashPassword(password) : null,
        must_change_password: boolParam(input, 'must_change_password', false),
        created: ctx.now, recovery_codes: '[]',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await ctx.audit({ action: 'user_create', object_type: 'user', object_id: row.id, detail: { name: row.name, sysadmin } });
    return userDict(row, true);
  },
});

/** Datasets the user created, as the caller may see them (the one visibility SQL): authorship lists, it does not grant. */
async function createdDatasets(ctx: ActionContext, u: UserRow, withDrafts: boolean, limit: number) {
  const rows = await ctx.db
    .selectFrom('datasets as d')
    .selectAll('d')
    .where('d.creator_user_id', '=', u.id)
    .where(visibleDatasets(ctx.actor, 'd', { includeDrafts: withDrafts }))
    .orderBy('d.metadata_modified', 'desc')
    .limit(limit)
    .execute();
  return packageDicts(ctx, rows);
}

export const userShow = defineAction({
  name: 'user_show',
  readOnly: true,
  summary:
    'A user; with no id, the caller. Shown to the user, sysadmins and signed-in colleagues of one of their organisations; ' +
    'e-mail only for the user themself and sysadmins. include_datasets=true adds up to 50 datasets they created that the caller may see ' +
    '(their own drafts too, for themself).',
  params: { id: { type: 'string', description: 'id or name' }, include_datasets: { type: 'boolean', description: 'datasets the user created' } },
  async run(ctx, input) {
    const ref = typeof input.id === 'string' && input.id ? input.id : userId(ctx.actor);
    // Anonymous callers are refused before any look-up, so the answer says nothing about the name.
    if (ctx.actor.kind === 'anonymous') ctx.authorize('user_show', { id: '' });
    const u = ref ? await findUser(ctx, ref) : undefined;
    const orgs = u ? (await ctx.db.selectFrom('memberships').select('group_id').where('user_id', '=', u.id).execute()).map((m) => m.group_id) : [];
    const subject = { id: u?.id ?? '', orgs };
    // A user the caller may not see answers exactly as one that does not exist.
    if (!u || !ctx.can('user_show', subject) || (u.state === 'deleted' && !isSysadmin(ctx.actor))) {
      markAsked(ctx);
      throw new NotFoundError({ th: 'ไม่พบผู้ใช้', en: 'Not found: User not found' });
    }
    ctx.authorize('user_show', subject);
    const dict = userDict(u, ctx.can('user_show_private', u));
    if (boolParam(input, 'include_datasets', false)) {
      const self = userId(ctx.actor) === u.id;
      dict.datasets = await createdDatasets(ctx, u, self || isSysadmin(ctx.actor), 50);
    }
    return dict;
  },
});

/** The policy was consulted; the answer is a 404 (see requireDataset's markChecked). */
function markAsked(ctx: ActionContext): void {
  try {
    ctx.authorize('user_show', { id: '', orgs: [] });
  } catch {
    /* the answer is "not found" either way */
  }
}

export const apiTokenCreate = defineAction({
  name: 'api_token_create',
  readOnly: false,
  summary: 'Create an API token for a user; the token is returned once and only its hash is kept. It lasts expires_in days, at most BANCHI_TOKEN_MAX_DAYS (the default).',
  params: {
    user: { type: 'string', description: 'User id or name (default: the caller)' },
    name: { type: 'string', description: 'A label for the token' },
    expires_in: { type: 'integer', description: 'Lifetime in days, 1 to BANCHI_TOKEN_MAX_DAYS (default 365); the default is the maximum' },
  },
  async run(ctx, input) {
    const ref = typeof input.user === 'string' && input.user ? input.user : userId(ctx.actor);
    const u = ref ? await findUser(ctx, ref) : undefined;
    ctx.authorize('api_token_create', u ?? { id: '' });
    if (!u || u.state !== 'active') throw ValidationError.field('user', { th: 'ไม่พบผู้ใช้', en: 'User not found' });
    // A token outlives the sign-in that made it: where 2FA is required (for the caller or the
    // account), only a caller who passed it may make one, and the token remembers it (access/tokens.ts).
    const passed2fa = ctx.actor.kind === 'system' || (ctx.actor.kind === 'user' && ctx.actor.twoFactor === true);
    if (!passed2fa && (actorNeeds2fa(ctx.services.config, ctx.actor) || (await requires2fa(ctx, u)))) throw new AuthorizationError(TOKEN_NEEDS_2FA);
    const bag = new ErrorBag();
    const name = readText(input.name ?? 'api', 'name', bag, { max: 200, strict: true })?.trim() || 'api';
    const maxDays = ctx.services.config.tokenMaxDays;
    let days = maxDays;
    if (input.expires_in !== undefined && input.expires_in !== null && input.expires_in !== '') {
      const n = typeof input.expires_in === 'number' || typeof input.expires_in === 'string' ? Number(input.expires_in) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > maxDays) bag.add('expires_in', M.range(1, maxDays));
      else days = n;
    }
    bag.throwIfAny();
    const expires = new Date(ctx.now.getTime() + days * 86400_000);
    const { token, hash } = newToken();
    const id = crypto.randomUUID();
    await ctx.db.insertInto('api_tokens').values({ id, user_id: u.id, name, token_hash: hash, created: ctx.now, expires_at: expires, two_factor: passed2fa }).execute();
    await ctx.audit({ action: 'api_token_create', object_type: 'user', object_id: u.id, detail: { token_id: id, name, days, two_factor: passed2fa } });
    return { token, id, expires_at: ckanTime(expires) };
  },
});

const TOKEN_NEEDS_2FA = {
  th: 'ต้องเข้าสู่ระบบด้วยการยืนยันตัวตนสองขั้นตอนก่อนสร้างโทเค็น API สำหรับบัญชีนี้',
  en: 'Sign in with two-factor authentication before creating an API token for this account',
};

export const apiTokenList = defineAction({
  name: 'api_token_list',
  readOnly: true,
  summary: "A user's API tokens (names and dates, never the tokens).",
  async run(ctx, input) {
    const ref = typeof input.user_id === 'string' && input.user_id ? input.user_id : typeof input.user === 'string' ? input.user : userId(ctx.actor);
    const u = ref ? await findUser(ctx, ref) : undefined;
    ctx.authorize('api_token_list', u ?? { id: '' });
    if (!u) throw new NotFoundError({ th: 'ไม่พบผู้ใช้', en: 'Not found: User not found' });
    const rows = await ctx.db.selectFrom('api_tokens').select(['id', 'name', 'created', 'last_access', 'expires_at']).where('user_id', '=', u.id).where('revoked_at', 'is', null).orderBy('created', 'desc').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, user_id: u.id, created_at: ckanTime(r.created), last_access: ckanTime(r.last_access), expires_at: ckanTime(r.expires_at) }));
  },
});

export const apiTokenRevoke = defineAction({
  name: 'api_token_revoke',
  readOnly: false,
  summary: 'Revoke an API token by its id (jti) or by the token itself; or, with all=true, every token of a user (default: the caller).',
  params: {
    jti: { type: 'string', description: 'Token id' },
    token: { type: 'string', description: 'The token itself' },
    all: { type: 'boolean', description: 'Revoke all tokens of the user' },
    user: { type: 'string', description: 'With all=true: user id or name (default: the caller)' },
  },
  async run(ctx, input) {
    if (input.all === true || input.all === 'true') {
      const ref = typeof input.user === 'string' && input.user ? input.user : userId(ctx.actor);
      const u = ref ? await findUser(ctx, ref) : undefined;
      ctx.authorize('api_token_revoke', { id: u?.id ?? '' });
      if (!u) throw new NotFoundError({ th: 'ไม่พบผู้ใช้', en: 'Not found: User not found' });
      const revoked = await revokeAllTokens(ctx, u.id);
      await ctx.audit({ action: 'api_token_revoke', object_type: 'user', object_id: u.id, detail: { all: true, revoked } });
      return { revoked };
    }
    let row;
    if (typeof input.jti === 'string' && UUID.test(input.jti)) row = await ctx.db.selectFrom('api_tokens').selectAll().where('id', '=', input.jti).executeTakeFirst();
    else if (typeof input.token === 'string' && input.token) row = await ctx.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(input.token)).executeTakeFirst();
    else {
      ctx.authorize('api_token_revoke', { id: '' });
      throw ValidationError.field('jti', M.missing());
    }
    ctx.authorize('api_token_revoke', { id: row?.user_id ?? '' });
    if (!row) throw new NotFoundError();
    await ctx.db.updateTable('api_tokens').set({ revoked_at: ctx.now }).where('id', '=', row.id).execute();
    await ctx.audit({ action: 'api_token_revoke', object_type: 'user', object_id: row.user_id, detail: { token_id: row.id } });
    return null;
  },
});

export const userActions = [userCreate, userShow, ...manageActions, apiTokenCreate, apiTokenList, apiTokenRevoke];
