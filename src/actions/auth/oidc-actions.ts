import crypto from 'node:crypto';
import { AuthorizationResponseError } from 'openid-client';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { AuthorizationError, ErrorBag } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import type { UserRow } from '../../store/schema.ts';
import { AuthMsg } from './messages.ts';
import { completeOidcLogin, OidcConfigError, type OidcIdentity, type OidcPending } from './oidc.ts';
import { RESERVED_USER_NAMES } from '../users/names.ts';
import { commitThenThrow, lockUserRow, signInResult, textInput, type SignInResult } from './flow.ts';

/** The provider's subject, namespaced by issuer so a second provider can never claim another's accounts. */
export function oidcSubjectKey(identity: Pick<OidcIdentity, 'issuer' | 'subject'>): string {
  return `${identity.issuer}|${identity.subject}`;
}

/** A login name (a-z, 0-9, - and _) from what the provider offers; Thai or empty input falls back to "user". */
export function baseUserName(identity: Pick<OidcIdentity, 'preferredUsername' | 'email'>): string {
  for (const raw of [identity.preferredUsername, identity.email.split('@')[0] ?? '']) {
    const s = raw
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '')
      .slice(0, 60);
    if (s.length >= 2) return s;
  }
  return 'user';
}

/** `base`, or `base-2`, `base-3`…: a name no account has and no portal path under /user/ takes. */
export async function freeUserName(ctx: Pick<ActionContext, 'db'>, base: string): Promise<string> {
  const taken = new Set(
    (await ctx.db.selectFrom('users').select('name').where((eb) => eb.or([eb('name', '=', base), eb('name', 'like', `${base}-%`)])).execute()).map((r) => r.name),
  );
  for (const r of RESERVED_USER_NAMES) taken.add(r);
  if (!taken.has(base)) return base;
  for (let i = 2; i < 100; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
  return `${base}-${crypto.randomBytes(4).toString('hex')}`;
}

type LinkedBy = 'subject' | 'email' | 'created';

/**
 * Account policy: (1) the account already linked to this provider subject; else (2) the account
 * with the same e-mail, only when the provider marks the e-mail verified and that account is not
 * linked to another subject; else (3) a new account without a password and without roles. The
 * citizen ID is never stored.
 */
async function accountFor(ctx: ActionContext, identity: OidcIdentity): Promise<{ user: UserRow; linkedBy: LinkedBy } | { refused: AuthorizationError; user?: UserRow }> {
  const key = oidcSubjectKey(identity);
  const linked = await ctx.db.selectFrom('users').select('id').where('oidc_subject', '=', key).executeTakeFirst();
  if (linked) {
    const user = (await lockUserRow(ctx, linked.id))!;
    if (user.state !== 'active') return { refused: new AuthorizationError(AuthMsg.oidcAccountDisabled()), user };
    if (!user.fullname && identity.fullname) {
      await ctx.db.updateTable('users').set({ fullname: identity.fullname.slice(0, 200) }).where('id', '=', user.id).execute();
      user.fullname = identity.fullname.slice(0, 200);
    }
    return { user, linkedBy: 'subject' };
  }
  const sameEmail = identity.email
    ? await ctx.db.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', identity.email)).where('state', '<>', 'deleted').executeTakeFirst()
    : undefined;
  if (sameEmail && identity.emailVerified) {
    const user = (await lockUserRow(ctx, sameEmail.id))!;
    if (user.state !== 'active') return { refused: new AuthorizationError(AuthMsg.oidcAccountDisabled()), user };
    if (user.oidc_subject) return { refused: new AuthorizationError(AuthMsg.oidcLinkedElsewhere()), user };
    const updated = await ctx.db.updateTable('users').set({ oidc_subject: key }).where('id', '=', user.id).returningAll().executeTakeFirstOrThrow();
    await ctx.audit({ action: 'user_oidc_link', object_type: 'user', object_id: user.id, detail: { name: user.name, issuer: identity.issuer, by: 'verified_email' } });
    return { user: updated, linkedBy: 'email' };
  }
  // An unverified or already used e-mail is not kept: it would claim someone else's address.
  const email = identity.email && identity.emailVerified && !sameEmail && identity.email.length <= 254 ? identity.email : '';
  const user = await ctx.db
    .insertInto('users')
    .values({
      id: crypto.randomUUID(),
      name: await freeUserName(ctx, baseUserName(identity)),
      email,
      fullname: identity.fullname.slice(0, 200),
      password_hash: null,
      oidc_subject: key,
      created: ctx.now,
      recovery_codes: '[]',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await ctx.audit({ action: 'user_create', object_type: 'user', object_id: user.id, detail: { name: user.name, via: 'oidc', issuer: identity.issuer } });
  return { user, linkedBy: 'created' };
}

/** Name, code and message of an error and its causes (openid-client wraps the precise check in `cause`). */
function describeFailure(e: Error): string {
  const parts: string[] = [];
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 3; x = x.cause, depth++) {
    parts.push(`${x.name}${'code' in x ? ` ${String(x.code)}` : ''}: ${x.message}`);
  }
  return parts.join(' <- ');
}

function readPending(input: Record<string, unknown>): { pending: OidcPending; query: URLSearchParams } {
  const bag = new ErrorBag();
  const pending = {} as OidcPending;
  for (const k of ['state', 'nonce', 'code_verifier', 'redirect_uri'] as const) {
    const v = textInput(input[k]);
    if (!v) bag.add(k, M.missing());
    else if (v.length > 2000) bag.add(k, M.tooLong(2000));
    else pending[k] = v;
  }
  if (pending.redirect_uri && !/^https?:\/\//.test(pending.redirect_uri)) bag.add('redirect_uri', M.url());
  let query = new URLSearchParams();
  if (typeof input.query === 'string') query = new URLSearchParams(input.query.replace(/^\?/, ''));
  else if (input.query && typeof input.query === 'object' && !Array.isArray(input.query)) {
    for (const [k, v] of Object.entries(input.query as Record<string, unknown>)) if (typeof v === 'string') query.set(k, v);
  } else bag.add('query', M.missing());
  bag.throwIfAny();
  return { pending, query };
}

export const userLoginOidc = defineAction<SignInResult>({
  name: 'user_login_oidc',
  readOnly: false,
  summary: 'Complete a Digital ID (OpenID Connect) sign-in from the provider\'s callback: checks state, nonce and PKCE, then finds, links or creates the account.',
  params: {
    query: { type: 'object', required: true, description: 'The callback\'s query parameters (object or query string): code, state, iss or error' },
    state: { type: 'string', required: true, description: 'Kept from startOidcLogin' },
    nonce: { type: 'string', required: true, description: 'Kept from startOidcLogin' },
    code_verifier: { type: 'string', required: true, description: 'Kept from startOidcLogin' },
    redirect_uri: { type: 'string', required: true, description: 'Kept from startOidcLogin (the callback URL registered at the provider)' },
  },
  async run(ctx, input) {
    ctx.authorize('user_login_oidc');
    const { pending, query } = readPending(input);
    let identity: OidcIdentity;
    try {
      identity = await completeOidcLogin(ctx.services.config, pending, query);
    } catch (e) {
      if (e instanceof OidcConfigError) throw e;
      const denied = e instanceof AuthorizationResponseError;
      // openid-client's messages are fixed descriptions ("unexpected state…"), never token contents.
      const reason = denied ? `provider: ${e.error}` : e instanceof Error ? describeFailure(e) : 'unknown';
      await ctx.audit({ action: 'user_login_oidc_failed', object_type: 'user', object_id: null, detail: { reason: reason.slice(0, 500) } });
      return commitThenThrow(ctx, new AuthorizationError(denied ? AuthMsg.oidcDenied() : AuthMsg.oidcFailed()));
    }
    const account = await accountFor(ctx, identity);
    if ('refused' in account) {
      await ctx.audit({ action: 'user_login_oidc_failed', object_type: 'user', object_id: account.user?.id ?? null, detail: { reason: account.refused.msg.en, issuer: identity.issuer } });
      return commitThenThrow(ctx, account.refused);
    }
    const result = await signInResult(ctx, account.user, 'oidc', false);
    await ctx.audit({
      action: 'user_login_oidc',
      object_type: 'user',
      object_id: account.user.id,
      detail: { name: account.user.name, issuer: identity.issuer, account: account.linkedBy, next: result.next },
    });
    return result;
  },
});
