import { sql, type Kysely } from 'kysely';

/**
 * Search at national scale: the search row carries the dataset's own visibility and sort columns
 * (state, private, category, owner, dates), so a search reads one table and never joins the
 * wide datasets rows. Who may see what still comes from memberships and grants at query time;
 * these columns are the dataset's own facts, kept in step in the writing transaction by the
 * indexer and, for any other path that changes them, by the trigger below.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE dataset_search
      ADD COLUMN state text NOT NULL DEFAULT 'active',
      ADD COLUMN private boolean NOT NULL DEFAULT false,
      ADD COLUMN data_category text NOT NULL DEFAULT '',
      ADD COLUMN owner_org uuid,
      ADD COLUMN metadata_modified timestamptz NOT NULL DEFAULT now(),
      ADD COLUMN metadata_created timestamptz NOT NULL DEFAULT now()`.execute(db);
  await sql`
    UPDATE dataset_search s SET state = d.state, private = d.private, data_category = d.data_category, owner_org = d.owner_org,
      metadata_modified = d.metadata_modified, metadata_created = d.metadata_created
    FROM datasets d WHERE d.id = s.dataset_id`.execute(db);
  await sql`
    CREATE FUNCTION banchi_search_row_facts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE dataset_search SET state = NEW.state, private = NEW.private, data_category = NEW.data_category, owner_org = NEW.owner_org,
        metadata_modified = NEW.metadata_modified, metadata_created = NEW.metadata_created
      WHERE dataset_id = NEW.id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER datasets_search_facts AFTER UPDATE OF state, private, data_category, owner_org, metadata_modified, metadata_created ON datasets
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.private IS DISTINCT FROM NEW.private OR OLD.data_category IS DISTINCT FROM NEW.data_category
      OR OLD.owner_org IS DISTINCT FROM NEW.owner_org OR OLD.metadata_modified IS DISTINCT FROM NEW.metadata_modified OR OLD.metadata_created IS DISTINCT FROM NEW.metadata_created)
    EXECUTE FUNCTION banchi_search_row_facts()`.execute(db);
  // Organisation pages and editors' searches filter by owner first.
  await sql`CREATE INDEX dataset_search_owner ON dataset_search (owner_org)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS datasets_search_facts ON datasets`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_search_row_facts()`.execute(db);
  await sql`DROP INDEX IF EXISTS dataset_search_owner`.execute(db);
  await sql`
    ALTER TABLE dataset_search DROP COLUMN IF EXISTS state, DROP COLUMN IF EXISTS private, DROP COLUMN IF EXISTS data_category,
      DROP COLUMN IF EXISTS owner_org, DROP COLUMN IF EXISTS metadata_modified, DROP COLUMN IF EXISTS metadata_created`.execute(db);
}
