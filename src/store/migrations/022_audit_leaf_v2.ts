import { sql, type Kysely } from 'kysely';

/**
 * Audit leaf v2 (issue 11, bench:audit): the leaf is hashed over the row as the database renders
 * its own columns (src/actions/audit-leaf.ts), so the verifier hashes one text per row instead of
 * decoding JSON and serialising it again. Rows written before keep leaf_v 1 and are verified as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log ADD COLUMN leaf_v smallint NOT NULL DEFAULT 1`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log DROP COLUMN leaf_v`.execute(db);
}
