import crypto from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { sql } from 'kysely';
import { actorFromRows, membershipRowsSql, type Actor } from './actor.ts';
import { dutiesFromRows, dutyRowsSql, governanceRole } from './duties.ts';
import { lacks2fa } from './two-factor.ts';
import { CASCADING_ROLES } from './roles.ts';
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

/** The token's row with its user's roles and duties (loadActor's rows), as one SELECT of at most one row. */
function tokenRowSql(hash: string) {
  const me = sql.ref('u.id');
  return sql<TokenRow>`SELECT t.id AS token_id, t.created, t.expires_at, t.last_access, t.two_factor, u.id, u.name, u.sysadmin,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('group_id', x.group_id, 'role', x.role)), '[]'::jsonb) FROM (${membershipRowsSql(me)}) x) AS memberships,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('group_id', x.group_id, 'role', x.role)), '[]'::jsonb) FROM (${dutyRowsSql(me)}) x) AS duties
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = ${hash} AND t.revoked_at IS NULL AND u.state = 'active'`;
}

function tokenHashOf(raw: string | undefined): string | null {
  if (!raw) return null;
  const token = raw.replace(/^Bearer\s+/i, '').trim();
  return !token || token.length > 200 ? null : hashToken(token);
}

/** A token row is usable now: not past its own expiry nor the maximum lifetime. */
function inForce(row: Pick<TokenRow, 'created' | 'expires_at'>, config: Pick<Config, 'tokenMaxDays'>, now: number): boolean {
  if (row.expires_at && new Date(row.expires_at).getTime() <= now) return false;
  return now - new Date(row.created).getTime() <= config.tokenMaxDays * DAY_MS;
}

/** Recording use at most once a minute keeps reads from turning into writes on every call. */
async function touch(db: Db, row: Pick<TokenRow, 'token_id' | 'last_access'>): Promise<void> {
  if (!row.last_access || Date.now() - new Date(row.last_access).getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_access: new Date() }).where('id', '=', row.token_id).execute();
  }
}

/**
 * Resolves an Authorization header value to an actor; an unknown, revoked or expired token is
 * anonymous, as in CKAN. So is a token older than the maximum lifetime (BANCHI_TOKEN_MAX_DAYS, even
 * if it was issued for longer), and a token issued without a second factor to an account that now
 * needs one (a member promoted to admin must set up 2FA and make a new token).
 */
export async function actorFromToken(db: Db, raw: string | undefined, config: Pick<Config, 'tokenMaxDays' | 'require2faForAll'> = TOKEN_DEFAULTS): Promise<Actor | null> {
  const hash = tokenHashOf(raw);
  if (!hash) return null;
  // One round trip: the token, its user, and the user's roles and duties.
  const row = (await sql<TokenRow>`${PREPARED_SQL} ${tokenRowSql(hash)}`.execute(db)).rows[0];
  if (!row || !inForce(row, config, Date.now())) { remembered.delete(hash); return null; }
  await touch(db, row);
  const user = { id: row.id, name: row.name, sysadmin: row.sysadmin };
  const actor = { ...(await actorFromRows(db, user, row.memberships, await dutiesFromRows(db, row.duties))), twoFactor: row.two_factor } as Actor;
  if (lacks2fa(config, actor)) { remembered.delete(hash); return null; }
  remember(hash, row, actor);
  return actor;
}

/*
 * Remembered token actors, for the one hot path that cannot afford the token's own round trip (the
 * exchange gateway, measured: a fifth of its cost). Nothing remembered is believed: the caller's
 * first statement reads the token row again (tokenCheckSql) beside its own work, and verifyToken
 * throws StaleToken unless that fresh row is the one the actor was made from, and still in force;
 * the caller then starts over with actorFromToken. Only an actor that is a function of its row alone
 * is remembered: an admin role or an agency duty extends to the organisations below, which the row
 * does not show. Bounded, per process; a revoked token's entry is useless, never wrong.
 */
const REMEMBERED_MAX = 1000;
interface Remembered { hash: string; identity: string; actor: Actor }
const remembered = new Map<string, Remembered>();

/** Everything of the row the actor is made from (not last_access), in one comparable string. */
function identity(row: TokenRow): string {
  const time = (v: Date | string | null) => (v == null ? '' : String(new Date(v).getTime()));
  const roles = (rs: Array<{ group_id: string; role: string }>) => rs.map((r) => `${r.group_id}:${r.role}`).sort().join(',');
  return [row.token_id, time(row.created), time(row.expires_at), row.two_factor, row.id, row.name, row.sysadmin, roles(row.memberships), roles(row.duties)].join('|');
}

function remember(hash: string, row: TokenRow, actor: Actor): void {
  const below = row.memberships.some((r) => CASCADING_ROLES.includes(r.role)) || row.duties.some((r) => governanceRole(r.role)?.scope === 'agency');
  if (below) { remembered.delete(hash); return; }
  remembered.delete(hash);
  if (remembered.size >= REMEMBERED_MAX) remembered.delete(remembered.keys().next().value!);
  remembered.set(hash, { hash, identity: identity(row), actor });
}

export class StaleToken extends Error {
  constructor() { super('the remembered token actor no longer matches its row'); }
}

/** The actor a token had when last resolved, with what its first statement must check; null: use actorFromToken. */
export function rememberedToken(raw: string | undefined, config: Pick<Config, 'tokenMaxDays'>): { actor: Actor; check: TokenCheck } | null {
  const hash = tokenHashOf(raw);
  const r = hash ? remembered.get(hash) : undefined;
  return r ? { actor: r.actor, check: { hash: r.hash, identity: r.identity, maxDays: config.tokenMaxDays } } : null;
}

export interface TokenCheck { hash: string; identity: string; maxDays: number }

/** A select-list column holding the token's fresh row as jsonb (NULL when it is gone). */
export function tokenCheckSql(check: TokenCheck) {
  return sql`(SELECT to_jsonb(k) FROM (${tokenRowSql(check.hash)}) k)`;
}

/** Throws StaleToken (and forgets the token) unless the fresh row is the remembered one and in force. */
export async function verifyToken(db: Db, check: TokenCheck, fresh: unknown): Promise<void> {
  const row = fresh as TokenRow | null;
  if (!row || identity(row) !== check.identity || !inForce(row, { tokenMaxDays: check.maxDays }, Date.now())) {
    remembered.delete(check.hash);
    throw new StaleToken();
  }
  await touch(db, row);
}
