import { sql, type Kysely } from 'kysely';

/**
 * The exchange gateway (issue 9): per-agreement, per-period call counters (shared by every server
 * process: one upsert per call admits it or not) and, on the consumer side, receipts of what a
 * partner gateway answered (the signed bytes, so they can be shown to a third party later).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE exchange_usage (
      agreement_id uuid NOT NULL REFERENCES agreements(id),
      period_start timestamptz NOT NULL,
      calls integer NOT NULL,
      PRIMARY KEY (agreement_id, period_start)
    )`.execute(db);
  await sql`
    CREATE TABLE exchange_receipts (
      id uuid PRIMARY KEY,
      partner_url text NOT NULL,
      agreement text NOT NULL,
      resource_id text NOT NULL,
      purpose text NOT NULL,
      request_url text NOT NULL,
      status integer NOT NULL,
      body text NOT NULL,
      response_sha256 text NOT NULL,
      jws text NOT NULL,
      kid text NOT NULL,
      verified boolean NOT NULL,
      timestamp_token text,
      timestamp_time timestamptz,
      row_count integer NOT NULL,
      received_by uuid REFERENCES users(id),
      received timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX exchange_receipts_received ON exchange_receipts(received)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE exchange_receipts`.execute(db);
  await sql`DROP TABLE exchange_usage`.execute(db);
}
