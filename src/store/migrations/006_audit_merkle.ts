import { sql, type Kysely } from 'kysely';

/**
 * The audit log without a global lock: each row carries its own leaf hash and the id of the
 * transaction that wrote it, and is never written again. A single sealer closes batches: batch N
 * is every row whose transaction id lies in [xid_from, xid_below), a range of transactions that had
 * all ended when it was sealed; its checkpoint holds the rows' Merkle root and seq numbers, the
 * previous checkpoint's hash and a signature. Rows of the old hash chain (xid NULL) keep
 * prev_hash/hash, are checked as before, and form the first batch, whose xid range is empty.
 * A database restored into another cluster sees transaction ids start again from low numbers:
 * the sealer then starts a new era, whose batches hold only rows above seq_floor.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_log
      ALTER COLUMN prev_hash DROP NOT NULL,
      ALTER COLUMN hash DROP NOT NULL,
      DROP CONSTRAINT audit_log_hash_key,
      ADD COLUMN leaf text,
      ADD COLUMN xid xid8`.execute(db);
  await sql`UPDATE audit_log SET leaf = hash`.execute(db);
  await sql`ALTER TABLE audit_log ALTER COLUMN leaf SET NOT NULL`.execute(db);
  // Set after the column exists, so old rows keep NULL (no writer xid) instead of the migration's.
  await sql`ALTER TABLE audit_log ALTER COLUMN xid SET DEFAULT pg_current_xact_id()`.execute(db);
  await sql`CREATE INDEX audit_log_xid ON audit_log (xid, seq)`.execute(db);
  await sql`
    CREATE TABLE audit_checkpoints (
      batch bigint PRIMARY KEY,
      xid_from xid8 NOT NULL,
      xid_below xid8 NOT NULL,
      seq_floor bigint NOT NULL,
      first_seq bigint NOT NULL,
      last_seq bigint NOT NULL,
      count integer NOT NULL,
      root text NOT NULL,
      seqs_hash text NOT NULL,
      prev_hash text NOT NULL,
      at timestamptz NOT NULL,
      key_id text NOT NULL,
      hash text NOT NULL,
      signature text NOT NULL,
      -- Not signed, only for naming the row when the batch does not match: its seq numbers as
      -- ranges, and the first 4 bytes of each row's leaf hash in seq order.
      seqs text NOT NULL,
      leaf_prefixes bytea NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_checkpoints`.execute(db);
  await sql`DROP INDEX audit_log_xid`.execute(db);
  await sql`ALTER TABLE audit_log DROP COLUMN leaf, DROP COLUMN xid`.execute(db);
}
