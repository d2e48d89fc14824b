import { sql, type Kysely } from 'kysely';

/**
 * Password reset links (issue 12): only the SHA-256 of a link's token is kept, so a database leak
 * opens no account. A link is single-use (`used_at`) and expires; `issued_by` is the sysadmin who
 * issued it (null: the person asked for it by e-mail).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE password_resets (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      token_hash text NOT NULL UNIQUE,
      created timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      issued_by uuid REFERENCES users(id)
    )`.execute(db);
  await sql`CREATE INDEX password_resets_user ON password_resets(user_id)`.execute(db);
  // The audit viewer filters by actor and by object, newest first.
  await sql`CREATE INDEX audit_log_actor ON audit_log(actor_id, seq)`.execute(db);
  await sql`CREATE INDEX audit_log_object ON audit_log(object_id, seq)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX audit_log_object`.execute(db);
  await sql`DROP INDEX audit_log_actor`.execute(db);
  await sql`DROP TABLE password_resets`.execute(db);
}
