import { sql, type Kysely } from 'kysely';

/**
 * Sign-in hardening (issue 7): failure counters per address, per (account, address) and per
 * account, kept in the database so every process of one catalog shares them; whether a browser
 * session and an API token were obtained with a second factor, so a later privilege that needs
 * 2FA is not exercised through them without it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE auth_throttle (
      key text PRIMARY KEY,
      failures integer NOT NULL DEFAULT 0,
      window_start timestamptz NOT NULL,
      locked_until timestamptz
    )`.execute(db);
  await sql`CREATE INDEX auth_throttle_window ON auth_throttle(window_start)`.execute(db);
  await sql`ALTER TABLE web_sessions ADD COLUMN two_factor boolean NOT NULL DEFAULT false`.execute(db);
  await sql`ALTER TABLE api_tokens ADD COLUMN two_factor boolean NOT NULL DEFAULT false`.execute(db);
  // Sessions and tokens from before: only an account with 2FA on can have proved it.
  await sql`UPDATE web_sessions s SET two_factor = u.totp_enabled FROM users u WHERE u.id = s.user_id`.execute(db);
  await sql`UPDATE api_tokens t SET two_factor = u.totp_enabled FROM users u WHERE u.id = t.user_id`.execute(db);
  // Tokens never expired before; they get the default maximum lifetime (BANCHI_TOKEN_MAX_DAYS) from now.
  await sql`UPDATE api_tokens SET expires_at = now() + interval '365 days' WHERE expires_at IS NULL AND revoked_at IS NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE api_tokens DROP COLUMN two_factor`.execute(db);
  await sql`ALTER TABLE web_sessions DROP COLUMN two_factor`.execute(db);
  await sql`DROP TABLE auth_throttle`.execute(db);
}
