import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db } from '../../src/store/db.ts';
import { verifyAuditChain } from '../../src/actions/audit.ts';

async function count(db: Db, query: ReturnType<typeof sql<{ n: number }>>): Promise<number> {
  return Number((await query.execute(db)).rows[0]!.n);
}

/**
 * What a crash must never leave: a dataset without its history, audit or search row, an
 * organisation without its audit row, a resource without its dataset, a broken audit chain.
 */
export async function assertConsistent(db: Db): Promise<void> {
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM datasets d WHERE NOT EXISTS (SELECT 1 FROM activity a WHERE a.object_id = d.id)`), 0, 'datasets without activity');
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM datasets d WHERE d.version <> (SELECT max(a.version) FROM activity a WHERE a.object_id = d.id)`), 0, 'a dataset version without its history row');
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM datasets d WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.object_id = d.id)`), 0, 'datasets without audit rows');
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM datasets d WHERE NOT EXISTS (SELECT 1 FROM dataset_search s WHERE s.dataset_id = d.id)`), 0, 'datasets without search rows');
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM groups g WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.object_id = g.id)`), 0, 'organisations without audit rows');
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM activity a WHERE a.object_type = 'package' AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.id = a.object_id)`), 0, 'activity of no dataset');
  assert.equal(await verifyAuditChain(db), null, 'the audit chain verifies');
}

export async function tableCount(db: Db, table: string): Promise<number> {
  return count(db, sql`SELECT count(*)::int AS n FROM ${sql.table(table)}`);
}
