import { sql, type Kysely } from 'kysely';

/**
 * Governance duties (issue 11): who is data owner, steward, creator, CDO, DPO, committee member,
 * IT or legal officer where. Beside `memberships` (one catalog capacity per organisation, as in
 * CKAN), because one person may hold several duties in the same organisation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE duties (
      group_id uuid NOT NULL REFERENCES groups(id),
      user_id uuid NOT NULL REFERENCES users(id),
      role text NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users(id),
      PRIMARY KEY (group_id, user_id, role)
    )`.execute(db);
  await sql`CREATE INDEX duties_user ON duties(user_id)`.execute(db);
  await sql`CREATE INDEX duties_role ON duties(group_id, role)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE duties`.execute(db);
}
