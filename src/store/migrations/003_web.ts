import { sql, type Kysely } from 'kysely';

/**
 * Browser sessions of the portal. Only a SHA-256 of the session id is stored, so a copy of the
 * database yields no usable cookie. A session "pending" a second factor or a password change is
 * not signed in; `step` says what it still needs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE web_sessions (
      id_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      state text NOT NULL CHECK (state IN ('pending','active')),
      step text NOT NULL DEFAULT '',
      csrf_token text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}',
      ip text NOT NULL DEFAULT '',
      user_agent text NOT NULL DEFAULT '',
      created timestamptz NOT NULL DEFAULT now(),
      last_seen timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX web_sessions_user ON web_sessions(user_id)`.execute(db);
  await sql`CREATE INDEX web_sessions_expires ON web_sessions(expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE web_sessions`.execute(db);
}
