import { sql, type Kysely } from 'kysely';

/**
 * Each process keeps a copy of the search rows in memory (src/search/memindex). To bring it up to
 * date it must find every row written since the snapshot it last read, whatever order writers
 * commit in and whichever process wrote: every insert and update stamps the row with its
 * transaction (`changed_xid`), and every deletion leaves the id in `dataset_search_removed`.
 * A reader that saw snapshot (xmax, in-progress list) re-reads the rows whose transaction is
 * ≥ xmax or in that list: exactly those it could not see then.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE dataset_search ADD COLUMN changed_xid xid8`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION banchi_search_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.changed_xid := pg_current_xact_id();
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER dataset_search_changed BEFORE INSERT OR UPDATE ON dataset_search FOR EACH ROW EXECUTE FUNCTION banchi_search_row_changed()`.execute(db);
  await sql`CREATE INDEX dataset_search_changed_xid ON dataset_search (changed_xid)`.execute(db);
  await sql`
    CREATE TABLE dataset_search_removed (
      dataset_id uuid NOT NULL,
      changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      removed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX dataset_search_removed_xid ON dataset_search_removed (changed_xid)`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION banchi_search_row_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO dataset_search_removed (dataset_id) VALUES (OLD.dataset_id);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER dataset_search_removed AFTER DELETE ON dataset_search FOR EACH ROW EXECUTE FUNCTION banchi_search_row_removed()`.execute(db);
  // TRUNCATE (a restore) removes rows without row triggers: the nil id tells readers to load everything again.
  await sql`
    CREATE OR REPLACE FUNCTION banchi_search_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO dataset_search_removed (dataset_id) VALUES ('00000000-0000-0000-0000-000000000000');
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER dataset_search_truncated AFTER TRUNCATE ON dataset_search FOR EACH STATEMENT EXECUTE FUNCTION banchi_search_truncated()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS dataset_search_truncated ON dataset_search`.execute(db);
  await sql`DROP TRIGGER IF EXISTS dataset_search_removed ON dataset_search`.execute(db);
  await sql`DROP TRIGGER IF EXISTS dataset_search_changed ON dataset_search`.execute(db);
  await sql`DROP TABLE IF EXISTS dataset_search_removed`.execute(db);
  await sql`ALTER TABLE dataset_search DROP COLUMN IF EXISTS changed_xid`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_search_row_removed()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_search_row_changed()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS banchi_search_truncated()`.execute(db);
}
