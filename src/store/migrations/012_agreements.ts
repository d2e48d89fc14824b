import { sql, type Kysely } from 'kysely';

/**
 * Agreements, the grants they own, partner assessments (P6) and the linkage registry (P3/P4).
 * The state of an agreement and of a linkage is its lifecycle case's state (`cases.state`, run by
 * the workflow engine), never a copy: a grant is usable only while a join finds its agreement's
 * case `active` and the clock inside the agreement's window, so termination or expiry stops access
 * in the same instant, with no job.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE agreements (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL UNIQUE REFERENCES cases(id),
      kind text NOT NULL CHECK (kind IN ('agreement','mou')),
      owner_org uuid NOT NULL REFERENCES groups(id),
      partner_org uuid NOT NULL REFERENCES groups(id),
      request_case_id uuid REFERENCES cases(id),
      title text NOT NULL,
      purpose text NOT NULL,
      scope_of_use text NOT NULL,
      access_from timestamptz NOT NULL,
      access_to timestamptz NOT NULL,
      frequency jsonb NOT NULL,
      service_level text NOT NULL DEFAULT '',
      period_of_use text NOT NULL DEFAULT '',
      technology text NOT NULL,
      technology_note text NOT NULL DEFAULT '',
      legal_basis text NOT NULL DEFAULT '',
      legal_file jsonb,
      legal_file_key text,
      items jsonb NOT NULL DEFAULT '[]',
      termination_ground text,
      termination_note text NOT NULL DEFAULT '',
      terminated_at timestamptz,
      created_by uuid REFERENCES users(id),
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL,
      CHECK (access_to > access_from)
    )`.execute(db);
  await sql`CREATE INDEX agreements_owner ON agreements(owner_org)`.execute(db);
  await sql`CREATE INDEX agreements_partner ON agreements(partner_org)`.execute(db);
  // Grants an agreement owns: what (fields, rows), when (its window) and how often.
  await sql`ALTER TABLE dataset_grants ADD COLUMN agreement_id uuid REFERENCES agreements(id)`.execute(db);
  await sql`ALTER TABLE dataset_grants ADD COLUMN starts_at timestamptz`.execute(db);
  await sql`ALTER TABLE dataset_grants ADD COLUMN fields jsonb`.execute(db);
  await sql`ALTER TABLE dataset_grants ADD COLUMN row_condition jsonb`.execute(db);
  await sql`ALTER TABLE dataset_grants ADD COLUMN frequency jsonb`.execute(db);
  await sql`CREATE INDEX dataset_grants_agreement ON dataset_grants(agreement_id) WHERE agreement_id IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE partner_assessments (
      id uuid PRIMARY KEY,
      org_id uuid NOT NULL REFERENCES groups(id),
      partner_org uuid NOT NULL REFERENCES groups(id),
      assessor_id uuid REFERENCES users(id),
      assessor_name text NOT NULL,
      assessed_on text NOT NULL CHECK (assessed_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      criteria_version integer NOT NULL,
      items jsonb NOT NULL,
      total integer NOT NULL,
      passed boolean NOT NULL,
      valid_until timestamptz NOT NULL,
      note text NOT NULL DEFAULT '',
      created timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX partner_assessments_partner ON partner_assessments(partner_org, valid_until)`.execute(db);
  await sql`
    CREATE TABLE linkages (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL UNIQUE REFERENCES cases(id),
      direction text NOT NULL CHECK (direction IN ('outbound','inbound')),
      owner_org uuid NOT NULL REFERENCES groups(id),
      partner_org uuid NOT NULL REFERENCES groups(id),
      datasets jsonb NOT NULL DEFAULT '[]',
      method text NOT NULL,
      frequency text NOT NULL,
      frequency_note text NOT NULL DEFAULT '',
      plan text NOT NULL DEFAULT '',
      meeting_notes text NOT NULL DEFAULT '',
      agreement_id uuid REFERENCES agreements(id),
      assessment_id uuid REFERENCES partner_assessments(id),
      cancel_ground text,
      cancel_note text NOT NULL DEFAULT '',
      cancelled_at timestamptz,
      created_by uuid REFERENCES users(id),
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX linkages_owner ON linkages(owner_org)`.execute(db);
  await sql`CREATE INDEX linkages_agreement ON linkages(agreement_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE linkages`.execute(db);
  await sql`DROP TABLE partner_assessments`.execute(db);
  await sql`DROP INDEX dataset_grants_agreement`.execute(db);
  for (const c of ['frequency', 'row_condition', 'fields', 'starts_at', 'agreement_id']) await sql`ALTER TABLE dataset_grants DROP COLUMN ${sql.raw(c)}`.execute(db);
  await sql`DROP TABLE agreements`.execute(db);
}
