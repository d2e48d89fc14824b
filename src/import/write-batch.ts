import { sql, type Insertable } from 'kysely';
import type { Tx } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import type { Actor } from '../access/actor.ts';
import type { AuditEvent } from '../actions/context.ts';
import { auditHash, GENESIS_HASH, type AuditRowContent } from '../actions/audit.ts';

/** PostgreSQL takes at most 65,535 parameters per statement; stay well below it. */
const MAX_PARAMS = 30_000;

/** One multi-row INSERT per chunk of rows, each chunk within the parameter limit. */
export async function insertMany<T extends keyof Database & string>(db: Tx, table: T, rows: Insertable<Database[T]>[]): Promise<void> {
  if (!rows.length) return;
  const perRow = Math.max(1, Object.keys(rows[0] as object).length);
  const size = Math.max(1, Math.floor(MAX_PARAMS / perRow));
  for (let i = 0; i < rows.length; i += size) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + size) as never)
      .execute();
  }
}

/**
 * Appends many events to the audit hash chain at once: the same lock and row content as
 * writeAudit (src/actions/audit.ts), with the chain computed here and written in one insert.
 */
export async function writeAuditBatch(db: Tx, actor: Actor, ip: string, now: Date, events: AuditEvent[]): Promise<void> {
  if (!events.length) return;
  // The lock id writeAudit takes: one chain, one writer at a time.
  await sql`SELECT pg_advisory_xact_lock(7243001)`.execute(db);
  const last = await db.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let prev = last?.hash ?? GENESIS_HASH;
  const rows: Insertable<Database['audit_log']>[] = [];
  for (const event of events) {
    const row: AuditRowContent = {
      at: now.toISOString(),
      actor_id: actor.kind === 'user' ? actor.user.id : null,
      actor_name: actor.kind === 'user' ? actor.user.name : actor.kind,
      action: event.action,
      object_type: event.object_type,
      object_id: event.object_id,
      ip,
      detail: event.detail ?? {},
    };
    const hash = auditHash(prev, row);
    rows.push({ ...row, at: now, detail: JSON.stringify(row.detail), prev_hash: prev, hash });
    prev = hash;
  }
  // Rows of one INSERT take their seq in VALUES order, which is the chain order.
  await insertMany(db, 'audit_log', rows);
}
