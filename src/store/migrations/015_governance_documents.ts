import { sql, type Kysely } from 'kysely';

/**
 * Versioned governance documents (the agency's data policy in three parts, the integration manual)
 * and the units' replies to the yearly review memo (P7). A document gets its version number when
 * it is published; drafts stay unnumbered, so the public history has no gaps.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE policy_documents (
      id uuid PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES groups(id),
      kind text NOT NULL,
      version integer,
      state text NOT NULL,
      title_th text NOT NULL,
      title_en text NOT NULL,
      body_th text NOT NULL,
      body_en text NOT NULL,
      change_note text NOT NULL DEFAULT '',
      case_id uuid REFERENCES cases(id),
      created_by uuid REFERENCES users(id),
      created timestamptz NOT NULL DEFAULT now(),
      modified timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX policy_documents_version ON policy_documents(agency_id, kind, version) WHERE version IS NOT NULL`.execute(db);
  await sql`CREATE INDEX policy_documents_case ON policy_documents(case_id)`.execute(db);
  await sql`
    CREATE TABLE annual_review_replies (
      id uuid PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
      unit_id uuid NOT NULL REFERENCES groups(id),
      needs text NOT NULL,
      linkage_review text NOT NULL,
      replied_by uuid REFERENCES users(id),
      replied_by_name text NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (case_id, unit_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE annual_review_replies`.execute(db);
  await sql`DROP TABLE policy_documents`.execute(db);
}
