import { sql, type Kysely } from 'kysely';

/**
 * The audit log without a global lock: each row carries its own leaf hash and the id of the
 * transaction that wrote it; a single sealer later groups final rows into numbered batches, each
 * closed by a signed checkpoint holding the batch's Merkle root and the previous checkpoint's hash.
 * Rows of the old hash chain keep prev_hash/hash; their leaf is their chain hash, so they are
 * sealed like any other row and the old links are still checked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_log
      ALTER COLUMN prev_hash DROP NOT NULL,
      ALTER COLUMN hash DROP NOT NULL,
      ADD COLUMN leaf text,
      ADD COLUMN xid xid8,
      ADD COLUMN batch bigint,
      ADD COLUMN pos integer`.execute(db);
  await sql`UPDATE audit_log SET leaf = hash`.execute(db);
  await sql`ALTER TABLE audit_log ALTER COLUMN leaf SET NOT NULL`.execute(db);
  // Set after the column exists, so old rows keep NULL (no writer xid) instead of the migration's.
  await sql`ALTER TABLE audit_log ALTER COLUMN xid SET DEFAULT pg_current_xact_id()`.execute(db);
  await sql`CREATE INDEX audit_log_batch ON audit_log (batch, seq) WHERE batch IS NOT NULL`.execute(db);
  await sql`CREATE INDEX audit_log_unsealed ON audit_log (seq) WHERE batch IS NULL`.execute(db);
  await sql`
    CREATE TABLE audit_checkpoints (
      batch bigint PRIMARY KEY,
      first_seq bigint NOT NULL,
      last_seq bigint NOT NULL,
      count integer NOT NULL,
      root text NOT NULL,
      prev_hash text NOT NULL,
      sealed_xmin xid8 NOT NULL,
      at timestamptz NOT NULL,
      key_id text NOT NULL,
      hash text NOT NULL,
      signature text NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_checkpoints`.execute(db);
  await sql`DROP INDEX audit_log_unsealed`.execute(db);
  await sql`DROP INDEX audit_log_batch`.execute(db);
  await sql`ALTER TABLE audit_log DROP COLUMN leaf, DROP COLUMN xid, DROP COLUMN batch, DROP COLUMN pos`.execute(db);
}
