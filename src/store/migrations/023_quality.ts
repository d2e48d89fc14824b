import { sql, type Kysely } from 'kysely';

/**
 * Metadata quality (issue 8): a stored score per dataset, the link checker's last answer per
 * resource, and the OIT checklist links of each agency (processes.md P11).
 *
 * A dataset or resource write marks the dataset's score dirty in the same transaction (trigger)
 * and queues one `quality` job if none waits; the job recomputes dirty scores after commit. A
 * crash between the two loses nothing: the dirty mark is in the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE dataset_quality (
      dataset_id uuid PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
      score integer,
      results jsonb NOT NULL DEFAULT '[]',
      criteria_version integer NOT NULL DEFAULT 0,
      dirty boolean NOT NULL DEFAULT true,
      computed_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX dataset_quality_dirty ON dataset_quality(dataset_id) WHERE dirty`.execute(db);
  await sql`
    CREATE TABLE resource_links (
      resource_id uuid PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
      url text NOT NULL,
      status text NOT NULL CHECK (status IN ('ok','broken','timeout')),
      http_status integer,
      error text NOT NULL DEFAULT '',
      checked_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE oit_links (
      org_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      item text NOT NULL,
      dataset_id uuid NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      linked_by uuid REFERENCES users(id) ON DELETE SET NULL,
      linked_at timestamptz NOT NULL,
      PRIMARY KEY (org_id, item)
    )`.execute(db);
  // Entries written before this migration get their first score from the job too.
  await sql`INSERT INTO dataset_quality (dataset_id) SELECT id FROM datasets`.execute(db);
  await sql`
    INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
    SELECT 'quality', '{}'::jsonb, 'queued', 0, 5, now(), now() WHERE EXISTS (SELECT 1 FROM dataset_quality)`.execute(db);
  // Statement-level triggers over transition tables: a bulk insert (an import, a harvest batch)
  // marks its datasets in one statement, not one trigger call per row.
  await sql`
    CREATE FUNCTION banchi_quality_mark(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF ids IS NULL OR cardinality(ids) = 0 THEN RETURN; END IF;
      INSERT INTO dataset_quality (dataset_id, dirty) SELECT DISTINCT unnest(ids), true
        ON CONFLICT (dataset_id) DO UPDATE SET dirty = true WHERE dataset_quality.dirty = false;
      IF NOT EXISTS (SELECT 1 FROM jobs WHERE queue = 'quality' AND state = 'queued') THEN
        INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
        VALUES ('quality', '{}'::jsonb, 'queued', 0, 5, now(), now());
      END IF;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION banchi_quality_datasets_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM banchi_quality_mark(ARRAY(SELECT id FROM new_rows));
      RETURN NULL;
    END $$`.execute(db);
  // Page views are counted into the row every ten seconds: a view changes no score.
  await sql`
    CREATE FUNCTION banchi_quality_datasets_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM banchi_quality_mark(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (to_jsonb(o) - 'view_count') IS DISTINCT FROM (to_jsonb(n) - 'view_count')));
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION banchi_quality_resources_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM banchi_quality_mark(ARRAY(SELECT DISTINCT dataset_id FROM new_rows));
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER datasets_quality_dirty AFTER INSERT ON datasets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION banchi_quality_datasets_inserted()`.execute(db);
  await sql`
    CREATE TRIGGER datasets_quality_changed AFTER UPDATE ON datasets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION banchi_quality_datasets_updated()`.execute(db);
  // One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
  await sql`
    CREATE TRIGGER resources_quality_inserted AFTER INSERT ON resources REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION banchi_quality_resources_changed()`.execute(db);
  await sql`
    CREATE TRIGGER resources_quality_updated AFTER UPDATE ON resources REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION banchi_quality_resources_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS resources_quality_updated ON resources`.execute(db);
  await sql`DROP TRIGGER IF EXISTS resources_quality_inserted ON resources`.execute(db);
  await sql`DROP TRIGGER IF EXISTS datasets_quality_changed ON datasets`.execute(db);
  await sql`DROP TRIGGER IF EXISTS datasets_quality_dirty ON datasets`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_quality_resources_changed()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_quality_datasets_updated()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_quality_datasets_inserted()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_quality_mark(uuid[])`.execute(db);
  await sql`DROP TABLE IF EXISTS oit_links`.execute(db);
  await sql`DROP TABLE IF EXISTS resource_links`.execute(db);
  await sql`DROP TABLE IF EXISTS dataset_quality`.execute(db);
}
