import type { ActionContext } from '../context.ts';

/** The columns of the portal's session table (src/web/session.ts) that credential changes touch. */
type SessionRows = {
  web_sessions: { id_hash: string; user_id: string; two_factor: boolean };
};

/**
 * Ends a user's browser sessions in the action's own transaction: after a password change or a
 * 2FA reset all of them; after a privilege that needs 2FA is granted, those signed in without it
 * (the web layer ends those on their next request too, see session.ts). Answers how many ended.
 */
export async function endWebSessions(ctx: ActionContext, userId: string, opts: { onlyWithout2fa?: boolean } = {}): Promise<number> {
  const rows = await ctx.db
    .withTables<SessionRows>()
    .deleteFrom('web_sessions')
    .where('user_id', '=', userId)
    .$if(opts.onlyWithout2fa === true, (q) => q.where('two_factor', '=', false))
    .returning('id_hash')
    .execute();
  return rows.length;
}

/** Revokes every live API token of a user; answers how many. */
export async function revokeAllTokens(ctx: ActionContext, userId: string): Promise<number> {
  const rows = await ctx.db.updateTable('api_tokens').set({ revoked_at: ctx.now }).where('user_id', '=', userId).where('revoked_at', 'is', null).returning('id').execute();
  return rows.length;
}

/**
 * Voids a user's unused password reset links: a new password or e-mail address, or deactivation,
 * must not leave a link issued before it working (a link pasted or mailed to the old address).
 */
export async function voidResetLinks(ctx: ActionContext, userId: string): Promise<number> {
  const rows = await ctx.db
    .withTables<{ password_resets: { id: string; user_id: string; used_at: Date | null } }>()
    .updateTable('password_resets')
    .set({ used_at: ctx.now })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .returning('id')
    .execute();
  return rows.length;
}

/**
 * A role that needs 2FA (TWO_FACTOR_ROLES, sysadmin) was just granted to a user: their sessions
 * without 2FA end now, so the next privileged step needs a sign-in with the second factor (set up
 * on the way when missing). Tokens issued without 2FA are refused on use (access/tokens.ts).
 */
export async function afterTwoFactorPrivilege(ctx: ActionContext, userId: string, why: string): Promise<void> {
  const ended = await endWebSessions(ctx, userId, { onlyWithout2fa: true });
  if (ended) await ctx.audit({ action: 'user_sessions_ended', object_type: 'user', object_id: userId, detail: { reason: why, sessions: ended } });
}
