import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../store/db.ts';
import type { Actor } from '../access/actor.ts';
import type { AuditEvent } from './context.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRowContent {
  at: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  object_type: string;
  object_id: string | null;
  ip: string;
  detail: Record<string, unknown>;
}

export function auditHash(prev: string, row: AuditRowContent): string {
  return crypto.createHash('sha256').update(prev).update('\n').update(canonicalJson(row)).digest('hex');
}

/** JSON with sorted keys, so the hash does not depend on key order after a jsonb round trip. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export interface AuditRow extends AuditRowContent {
  prev_hash: string;
  hash: string;
}

/**
 * Takes the chain's lock and returns its last hash: callers append after it in the same
 * transaction, so the chain stays linear however many writers there are.
 */
export async function lockAuditChain(db: Tx): Promise<string> {
  await sql`SELECT pg_advisory_xact_lock(7243001)`.execute(db);
  const last = await db.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return last?.hash ?? GENESIS_HASH;
}

/** Links events into chain rows after `prev`, in order. */
export function chainAuditRows(prev: string, actor: Actor, ip: string, now: Date, events: AuditEvent[]): AuditRow[] {
  const rows: AuditRow[] = [];
  for (const event of events) {
    const content: AuditRowContent = {
      at: now.toISOString(),
      actor_id: actor.kind === 'user' ? actor.user.id : null,
      actor_name: actor.kind === 'user' ? actor.user.name : actor.kind,
      action: event.action,
      object_type: event.object_type,
      object_id: event.object_id,
      ip,
      detail: event.detail ?? {},
    };
    const hash = auditHash(prev, content);
    rows.push({ ...content, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

/** Appends one event to the hash chain inside the caller's transaction. */
export async function writeAudit(db: Tx, actor: Actor, ip: string, now: Date, event: AuditEvent): Promise<void> {
  const [row] = chainAuditRows(await lockAuditChain(db), actor, ip, now, [event]);
  await db
    .insertInto('audit_log')
    .values({ ...row!, at: now, detail: JSON.stringify(row!.detail) })
    .execute();
}

/** Walks the chain and returns the first broken link, or null when the log is intact. */
export async function verifyAuditChain(db: Tx | import('../store/db.ts').Db): Promise<{ seq: string; reason: string } | null> {
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  let prev = GENESIS_HASH;
  for (const r of rows) {
    if (r.prev_hash !== prev) return { seq: String(r.seq), reason: 'previous hash does not match' };
    const content: AuditRowContent = {
      at: new Date(r.at).toISOString(),
      actor_id: r.actor_id,
      actor_name: r.actor_name,
      action: r.action,
      object_type: r.object_type,
      object_id: r.object_id,
      ip: r.ip,
      detail: r.detail,
    };
    if (auditHash(prev, content) !== r.hash) return { seq: String(r.seq), reason: 'row content does not match its hash' };
    prev = r.hash;
  }
  return null;
}
