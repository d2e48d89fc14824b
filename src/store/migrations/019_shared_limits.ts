import { sql, type Kysely } from 'kysely';

/**
 * Limits that every app process of one catalog must share (issue 10, several processes over one
 * database): the rationed answers about hidden entries (`access/probe-budget.ts`, in memory
 * before) and the request rate limits of the sign-in pages (`cluster/rate-limit-store.ts`, the
 * rate-limit plugin's memory before). Sign-in failure counters were already shared (004).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE probe_answers (
      caller text NOT NULL,
      at timestamptz NOT NULL,
      n integer NOT NULL,
      PRIMARY KEY (caller, at)
    )`.execute(db);
  await sql`CREATE INDEX probe_answers_at ON probe_answers(at)`.execute(db);
  await sql`
    CREATE TABLE rate_limits (
      key text PRIMARY KEY,
      hits integer NOT NULL,
      reset_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX rate_limits_reset ON rate_limits(reset_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE rate_limits`.execute(db);
  await sql`DROP TABLE probe_answers`.execute(db);
}
