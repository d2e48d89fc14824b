import { sql, type Kysely } from 'kysely';

/**
 * Search: facet columns on the search row, a tag vocabulary for autocomplete, and durable jobs
 * when an organisation is renamed or a group deleted (both appear in datasets' search rows).
 * Visibility is never copied here: every query joins datasets and applies visibleDatasets().
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Facet values are dataset content, copied with the search row so counting them never reads
  // the wide datasets rows; visibility columns are not copied (see datasets_visibility below).
  // Groups are kept by id: a renamed or deleted group is read from groups at query time.
  await sql`
    ALTER TABLE dataset_search
      ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
      ADD COLUMN group_ids uuid[] NOT NULL DEFAULT '{}',
      ADD COLUMN data_type text NOT NULL DEFAULT '',
      ADD COLUMN data_classification text NOT NULL DEFAULT '',
      ADD COLUMN license_id text NOT NULL DEFAULT '',
      ADD COLUMN update_frequency_unit text NOT NULL DEFAULT '',
      ADD COLUMN geo_coverage text NOT NULL DEFAULT ''`.execute(db);
  await sql`CREATE INDEX dataset_search_formats ON dataset_search USING gin(res_formats)`.execute(db);
  await sql`CREATE INDEX dataset_search_tags ON dataset_search USING gin(tags)`.execute(db);
  await sql`CREATE INDEX dataset_search_groups ON dataset_search USING gin(group_ids)`.execute(db);
  // Every search joins datasets for visibility; this covering index answers that join (and the
  // default sort) without touching the wide datasets rows: an index-only scan.
  await sql`CREATE INDEX datasets_visibility ON datasets (id) INCLUDE (state, private, data_category, owner_org, creator_user_id, metadata_modified)`.execute(db);

  // Every tag ever indexed; autocomplete checks each candidate against visible datasets.
  await sql`CREATE TABLE search_tags (tag text PRIMARY KEY)`.execute(db);
  await sql`CREATE INDEX search_tags_trgm ON search_tags USING gin(tag gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX search_tags_prefix ON search_tags (tag text_pattern_ops)`.execute(db);

  // An organisation rename (its title is search text) or a group deleted or restored (its id is
  // in search rows) commits together with the job that re-indexes the datasets concerned.
  await sql`
    CREATE FUNCTION banchi_search_group_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.is_organization AND (NEW.title IS DISTINCT FROM OLD.title OR NEW.name IS DISTINCT FROM OLD.name) THEN
        INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
        VALUES ('search_index', jsonb_build_object('org_id', NEW.id), 'queued', 0, 5, now(), now());
      ELSIF NOT NEW.is_organization AND NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
        VALUES ('search_index', jsonb_build_object('group_id', NEW.id), 'queued', 0, 5, now(), now());
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER groups_search_reindex AFTER UPDATE OF title, name, state ON groups
    FOR EACH ROW EXECUTE FUNCTION banchi_search_group_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS groups_search_reindex ON groups`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_search_group_changed()`.execute(db);
  await sql`DROP TABLE IF EXISTS search_tags`.execute(db);
  await sql`DROP INDEX IF EXISTS dataset_search_formats`.execute(db);
  await sql`DROP INDEX IF EXISTS dataset_search_tags`.execute(db);
  await sql`DROP INDEX IF EXISTS dataset_search_groups`.execute(db);
  await sql`DROP INDEX IF EXISTS datasets_visibility`.execute(db);
  await sql`
    ALTER TABLE dataset_search DROP COLUMN IF EXISTS tags, DROP COLUMN IF EXISTS group_ids, DROP COLUMN IF EXISTS data_type, DROP COLUMN IF EXISTS data_classification,
      DROP COLUMN IF EXISTS license_id, DROP COLUMN IF EXISTS update_frequency_unit, DROP COLUMN IF EXISTS geo_coverage`.execute(db);
}
