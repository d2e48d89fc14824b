import crypto from 'node:crypto';
import type { Db } from '../store/db.ts';
import { loadActor, type Actor } from './actor.ts';

/** API tokens are shown once; only their SHA-256 is stored, so a database leak yields no usable token. */
export function newToken(): { token: string; hash: string } {
  const token = `banchi_${crypto.randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Resolves an Authorization header value to an actor; an unknown or revoked token is anonymous, as in CKAN. */
export async function actorFromToken(db: Db, raw: string | undefined): Promise<Actor | null> {
  if (!raw) return null;
  const token = raw.replace(/^Bearer\s+/i, '').trim();
  if (!token || token.length > 200) return null;
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.expires_at', 't.last_access', 'u.id', 'u.name', 'u.sysadmin'])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.revoked_at', 'is', null)
    .where('u.state', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at && row.expires_at.getTime() < Date.now()) return null;
  // Recording use at most once a minute keeps reads from turning into writes on every call.
  if (!row.last_access || Date.now() - row.last_access.getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_access: new Date() }).where('id', '=', row.token_id).execute();
  }
  return loadActor(db, { id: row.id, name: row.name, sysadmin: row.sysadmin });
}
