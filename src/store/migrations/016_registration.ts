import { sql, type Kysely } from 'kysely';

/**
 * National registration (issue 8). A registration is one harvested record (source × guid) on a
 * registry; its state is its `registration` case's (src/workflow/processes/registration.json), never
 * a copy. `registry_org_map` gives each remote agency organisation one local organisation under the
 * source's owner, so titles stay unique within one agency and not across the nation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE registry_org_map (
      source_id uuid NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
      remote_org text NOT NULL,
      group_id uuid NOT NULL REFERENCES groups(id),
      PRIMARY KEY (source_id, remote_org)
    )`.execute(db);
  await sql`
    CREATE TABLE registrations (
      id uuid PRIMARY KEY,
      source_id uuid NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
      guid text NOT NULL,
      case_id uuid NOT NULL REFERENCES cases(id),
      org_id uuid NOT NULL REFERENCES groups(id),
      dataset_id uuid,
      published_id uuid,
      site text NOT NULL,
      remote_id text NOT NULL,
      remote_name text NOT NULL DEFAULT '',
      remote_title text NOT NULL DEFAULT '',
      remote_modified text,
      revised boolean NOT NULL DEFAULT false,
      validate_time timestamptz,
      published_at timestamptz,
      state_changed timestamptz NOT NULL,
      categories jsonb NOT NULL DEFAULT '[]',
      created timestamptz NOT NULL,
      UNIQUE (source_id, guid)
    )`.execute(db);
  await sql`CREATE INDEX registrations_site ON registrations (site, remote_id)`.execute(db);
  await sql`CREATE INDEX registrations_case ON registrations (case_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE registrations`.execute(db);
  await sql`DROP TABLE registry_org_map`.execute(db);
}
