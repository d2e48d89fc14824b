import crypto from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { sql } from 'kysely';
import { actorFromRows, membershipRowsSql, type Actor } from './actor.ts';
import { dutiesFromRows, dutyRowsSql } from './duties.ts';
import { lacks2fa } from './two-factor.ts';
import { PREPARED_SQL } from '../store/prepared.ts';

/** API tokens are shown once; only their SHA-256 is stored, so a database leak yields no usable token. */
export function newToken(): { token: string; hash: string } {
  const token = `banchi_${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

const DAY_MS = 86400_000;

interface TokenRow {
  token_id: string; created: Date; expires_at: Date | null; last_access: Date | null; two_factor: boolean; id: string; name: string; sysadmin: boolean;
  memberships: Array<{ group_id: string; role: string }>; duties: Array<{ group_id: string; role: string }>;
}
const TOKEN_DEFAULTS = { tokenMaxDays: 365, require2faForAll: false };

/**
 * Resolves an Authorization header value to an actor; an unknown, revoked or expired token is
 * anonymous, as in CKAN. So is a token older than the maximum lifetime (BANCHI_TOKEN_MAX_DAYS, even
 * if it was issued for longer), and a token issued without a second factor to an account that now
 * needs one (a member promoted to admin must set up 2FA and make a new token).
 */
export async function actorFromToken(db: Db, raw: string | undefined, config: Pick<Config, 'tokenMaxDays' | 'require2faForAll'> = TOKEN_DEFAULTS): Promise<Actor | null> {
  if (!raw) return null;
  const token = raw.replace(/^Bearer\s+/i, '').trim();
  if (!token || token.length > 200) return null;
  // One round trip: the token, its user, and the user's roles and duties (loadActor's rows).
  const me = sql.ref('u.id');
  const row = (await sql<TokenRow>`${PREPARED_SQL}
    SELECT t.id AS token_id, t.created, t.expires_at, t.last_access, t.two_factor, u.id, u.name, u.sysadmin,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('group_id', x.group_id, 'role', x.role)), '[]'::jsonb) FROM (${membershipRowsSql(me)}) x) AS memberships,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('group_id', x.group_id, 'role', x.role)), '[]'::jsonb) FROM (${dutyRowsSql(me)}) x) AS duties
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = ${hashToken(token)} AND t.revoked_at IS NULL AND u.state = 'active'`.execute(db)).rows[0];
  if (!row) return null;
  const now = Date.now();
  if (row.expires_at && row.expires_at.getTime() <= now) return null;
  if (now - row.created.getTime() > config.tokenMaxDays * DAY_MS) return null;
  // Recording use at most once a minute keeps reads from turning into writes on every call.
  if (!row.last_access || Date.now() - row.last_access.getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_access: new Date() }).where('id', '=', row.token_id).execute();
  }
  const user = { id: row.id, name: row.name, sysadmin: row.sysadmin };
  const actor = { ...(await actorFromRows(db, user, row.memberships, await dutiesFromRows(db, row.duties))), twoFactor: row.two_factor } as Actor;
  if (lacks2fa(config, actor)) return null;
  return actor;
}
