import crypto from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../store/db.ts';
import type { Actor } from '../access/actor.ts';
import type { AuditEvent } from './context.ts';
import { leafSql } from './audit-leaf.ts';
import { PREPARED } from '../store/prepared.ts';

/**
 * The audit log's write side. A write appends one row with its own leaf hash and takes no lock:
 * rows are linked later, when the sealer (audit-seal.ts) closes them into a signed Merkle batch.
 */

export const GENESIS_HASH = '0'.repeat(64);
/** Domain separation: a leaf can never be mistaken for a checkpoint or a tree node. */
const LEAF_DOMAIN = 'banchi.audit.leaf.v1\n';

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

/** The old chain's row hash (rows written before migration 006 keep it). */
export function auditHash(prev: string, row: AuditRowContent): string {
  return crypto.hash('sha256', `${prev}\n${canonicalContent(row)}`, 'hex');
}

/**
 * A row's leaf hash, as RFC 6962 defines a leaf: sha256(0x00 ‖ entry), the entry being a domain
 * tag and the canonical content. The Merkle tree of a batch is built directly over these.
 */
export function leafHash(row: AuditRowContent): string {
  return crypto.hash('sha256', `\0${LEAF_DOMAIN}${canonicalContent(row)}`, 'hex');
}

/**
 * canonicalJson(content) for the eight content fields, written out in their sorted order: the
 * verifier runs this for every row.
 */
export function canonicalContent(r: AuditRowContent): string {
  return `{"action":${JSON.stringify(r.action)},"actor_id":${str(r.actor_id)},"actor_name":${JSON.stringify(r.actor_name)},"at":${JSON.stringify(r.at)},"detail":${canonicalJson(r.detail)},"ip":${JSON.stringify(r.ip)},"object_id":${str(r.object_id)},"object_type":${JSON.stringify(r.object_type)}}`;
}
const str = (v: string | null | undefined) => (v == null ? 'null' : JSON.stringify(v));

/**
 * JSON with sorted keys, so the hash does not depend on key order after a jsonb round trip.
 * JSON.stringify given the sorted list of every key in the value writes each object's keys in
 * that order (undefined members left out, as before), natively and fast.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const keys = new Set<string>();
  collectKeys(v, keys);
  return JSON.stringify(v, [...keys].sort());
}

function collectKeys(v: object, keys: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object') collectKeys(x, keys);
    return;
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    keys.add(k);
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object') collectKeys(x, keys);
  }
}

/** The content of an audit row for each event. */
export function auditRows(actor: Actor, ip: string, now: Date, events: AuditEvent[]): AuditRowContent[] {
  const at = now.toISOString();
  const actor_id = actor.kind === 'user' ? actor.user.id : null;
  const actor_name = actor.kind === 'user' ? actor.user.name : actor.kind;
  return events.map((event) => ({ at, actor_id, actor_name, action: event.action, object_type: event.object_type, object_id: event.object_id, ip, detail: event.detail ?? {} }));
}

const V = sql.raw('v(at, actor_id, actor_name, action, object_type, object_id, ip, detail)');
const INSERT_CTE = sql.raw(`INSERT INTO audit_log (at, actor_id, actor_name, action, object_type, object_id, ip, detail, leaf_v, leaf)
  SELECT v.at, v.actor_id, v.actor_name, v.action, v.object_type, v.object_id, v.ip, v.detail, 2, `);
const INSERT = sql`${sql.raw(PREPARED)}${INSERT_CTE}`;

/**
 * Appends one event inside the caller's transaction; concurrent writers do not wait for each other.
 * The database computes the leaf (v2, audit-leaf.ts) from exactly the values it stores.
 */
export async function writeAudit(db: Tx, actor: Actor, ip: string, now: Date, event: AuditEvent): Promise<void> {
  const r = auditRows(actor, ip, now, [event])[0]!;
  // Plain SQL: this runs in every write, and building the query is a noticeable part of its cost.
  await sql`${INSERT}${leafSql('v.')}
    FROM (VALUES (${now}::timestamptz, ${r.actor_id}::uuid, ${r.actor_name}::text, ${r.action}::text, ${r.object_type}::text, ${r.object_id}::uuid, ${r.ip}::text, ${JSON.stringify(r.detail)}::jsonb)) AS ${V}`.execute(db);
}

/**
 * writeAudit as a statement for a CTE: one row per row of `source`, with `extra` (jsonb, which may
 * read other CTEs of the statement) merged into the detail before the database computes the leaf.
 */
export function auditInsertFrom(actor: Actor, ip: string, now: Date, event: AuditEvent, source: string, extra?: RawBuilder<unknown>): RawBuilder<unknown> {
  const r = auditRows(actor, ip, now, [event])[0]!;
  const detail = extra ? sql`${JSON.stringify(r.detail)}::jsonb || ${extra}` : sql`${JSON.stringify(r.detail)}::jsonb`;
  return sql`${INSERT_CTE}${leafSql('v.')}
    FROM (SELECT ${now}::timestamptz AS at, ${r.actor_id}::uuid AS actor_id, ${r.actor_name}::text AS actor_name, ${r.action}::text AS action, ${r.object_type}::text AS object_type,
      ${r.object_id}::uuid AS object_id, ${r.ip}::text AS ip, ${detail} AS detail FROM ${sql.raw(source)}) AS v`;
}

/** Many events in one insert (imports): the same rows and leaves as writeAudit, in order. */
export async function writeAuditRows(db: Tx, rows: AuditRowContent[]): Promise<void> {
  if (!rows.length) return;
  await sql`${INSERT}${leafSql('v.')}
    FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS (at timestamptz, actor_id uuid, actor_name text, action text, object_type text, object_id uuid, ip text, detail jsonb))
      WITH ORDINALITY AS ${sql.raw('v(at, actor_id, actor_name, action, object_type, object_id, ip, detail, n)')} ORDER BY v.n`.execute(db);
}

export { verifyAuditChain } from './audit-verify.ts';
