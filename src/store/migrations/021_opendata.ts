import { sql, type Kysely } from 'kysely';

/**
 * Open-data push (issue 8): one row per dataset sent to the open-data portal, with the portal's id,
 * the hash of what was last sent (an unchanged dataset is not sent again) and the last error.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE opendata_pushes (
      dataset_id uuid PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
      state text NOT NULL,
      remote_id text,
      remote_url text,
      payload_hash text,
      error text,
      attempts integer NOT NULL DEFAULT 0,
      updated timestamptz NOT NULL,
      pushed_at timestamptz
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE opendata_pushes`.execute(db);
}
