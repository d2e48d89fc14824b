import { sql } from 'kysely';
import type { Tx } from '../store/db.ts';
import type { Actor } from '../access/actor.ts';
import type { AuditEvent } from '../actions/context.ts';
import { auditRows, writeAuditRows } from '../actions/audit.ts';

/** Column → PostgreSQL type of the rows handed to insertRows. */
export type ColumnTypes = Record<string, string>;

export const COLUMNS = {
  groups: { id: 'uuid', name: 'text', title: 'text', description: 'text', is_organization: 'boolean', extras: 'jsonb', created: 'timestamptz', modified: 'timestamptz' },
  datasets: {
    id: 'uuid', name: 'text', title: 'text', notes: 'text', owner_org: 'uuid', private: 'boolean', state: 'text', type: 'text',
    data_type: 'text', data_category: 'text', data_classification: 'text', license_id: 'text', allow_harvest: 'boolean', tags: 'text[]',
    metadata: 'jsonb', standard_id: 'text', standard_version: 'integer', creator_user_id: 'uuid', metadata_created: 'timestamptz',
    metadata_modified: 'timestamptz', version: 'integer',
  },
  resources: {
    id: 'uuid', dataset_id: 'uuid', position: 'integer', name: 'text', description: 'text', format: 'text', url: 'text', url_type: 'text',
    mimetype: 'text', size: 'bigint', hash: 'text', metadata: 'jsonb', data_dictionary: 'jsonb', created: 'timestamptz',
    last_modified: 'timestamptz', metadata_modified: 'timestamptz',
  },
  dataset_groups: { dataset_id: 'uuid', group_id: 'uuid' },
  activity: { id: 'uuid', object_id: 'uuid', object_type: 'text', activity_type: 'text', user_id: 'uuid', timestamp: 'timestamptz', version: 'integer', data: 'jsonb', changes: 'jsonb' },
} satisfies Record<string, ColumnTypes>;

/**
 * One multi-row INSERT for a whole batch: the rows travel as a single JSON parameter and
 * jsonb_to_recordset turns them into typed rows, so no parameter limit applies and nested
 * objects arrive as jsonb without being encoded twice. Rows keep their order.
 */
export async function insertRows(db: Tx, table: keyof typeof COLUMNS, rows: object[]): Promise<void> {
  if (!rows.length) return;
  const types: ColumnTypes = COLUMNS[table];
  const names = Object.keys(types);
  const cols = sql.raw(names.map((n) => `"${n}"`).join(', '));
  const defs = sql.raw(names.map((n) => `"${n}" ${types[n]}`).join(', '));
  await sql`INSERT INTO ${sql.table(table)} (${cols})
    SELECT ${cols} FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS (${defs})) WITH ORDINALITY AS x(${cols}, n) ORDER BY n`.execute(db);
}

/** Inserts organisation or group rows, skipping names that exist; returns the names inserted. */
export async function insertGroupsIfAbsent(db: Tx, rows: object[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const types: ColumnTypes = COLUMNS.groups;
  const names = Object.keys(types);
  const cols = sql.raw(names.map((n) => `"${n}"`).join(', '));
  const defs = sql.raw(names.map((n) => `"${n}" ${types[n]}`).join(', '));
  const r = await sql<{ name: string }>`INSERT INTO groups (${cols})
    SELECT ${cols} FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS (${defs})) WITH ORDINALITY AS x(${cols}, n) ORDER BY n
    ON CONFLICT (name) DO NOTHING RETURNING name`.execute(db);
  return new Set(r.rows.map((x) => x.name));
}

/**
 * Appends many events to the audit log at once: the same row content and leaf hashes as
 * writeAudit (src/actions/audit.ts), in one insert and without a lock; the writing transaction's
 * id is the xid column's default, and the sealer links the rows once they are final.
 */
export async function writeAuditBatch(db: Tx, actor: Actor, ip: string, now: Date, events: AuditEvent[]): Promise<void> {
  if (!events.length) return;
  await writeAuditRows(db, auditRows(actor, ip, now, events));
}

/**
 * Settings for this transaction only. JIT compilation: a batch's queries look costly to the
 * planner (a thousand ids at once), and compiling them takes far longer than running them.
 * lz4, where the server has it: history rows are large JSON documents, and compressing them
 * with the default pglz is most of their cost; lz4 does it in about half the time (reading is unchanged).
 */
export async function tuneForBulkWrite(db: Tx): Promise<void> {
  await sql`SELECT set_config('jit', 'off', true),
      CASE WHEN 'lz4' = ANY(enumvals) THEN set_config('default_toast_compression', 'lz4', true) END
    FROM pg_settings WHERE name = 'default_toast_compression'`.execute(db);
}
