import { sql, type Kysely } from 'kysely';

/**
 * Governance cases wired into the product (issue 11): the in-app inbox and the one-time download
 * links that deliver a data-subject request's answer to the verified person only. The cases and
 * their events are the engine's tables (005_workflow).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE notifications (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      case_id uuid REFERENCES cases(id) ON DELETE CASCADE,
      kind text NOT NULL,
      title_th text NOT NULL,
      title_en text NOT NULL,
      url text NOT NULL DEFAULT '',
      created timestamptz NOT NULL DEFAULT now(),
      read_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX notifications_user ON notifications(user_id, created DESC)`.execute(db);
  await sql`CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL`.execute(db);
  // Only the token's hash is kept: the link is shown once, to the person it is for.
  await sql`
    CREATE TABLE case_links (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users(id),
      token_hash text NOT NULL UNIQUE,
      expires timestamptz NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      used_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX case_links_case ON case_links(case_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE case_links`.execute(db);
  await sql`DROP TABLE notifications`.execute(db);
}
