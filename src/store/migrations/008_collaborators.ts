import { sql, type Kysely } from 'kysely';

/**
 * Dataset collaborators (CKAN's package_collaborator_*): a named user gets a right on one dataset,
 * "member" (see it, as the organisation's members do) or "editor" (also its drafts and deleted copy).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE dataset_collaborators (
      dataset_id uuid NOT NULL REFERENCES datasets(id),
      user_id uuid NOT NULL REFERENCES users(id),
      capacity text NOT NULL CHECK (capacity IN ('editor', 'member')),
      created timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users(id),
      PRIMARY KEY (dataset_id, user_id)
    )`.execute(db);
  await sql`CREATE INDEX dataset_collaborators_user ON dataset_collaborators(user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE dataset_collaborators`.execute(db);
}
