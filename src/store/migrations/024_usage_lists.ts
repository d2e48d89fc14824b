import { sql, type Kysely } from 'kysely';

/**
 * Usage statistics, personal lists and the source identity of harvested records (issue 8).
 * - usage_daily: views and downloads per dataset (resource_id '') and per resource, per Asia/Bangkok
 *   day; several server processes add to the same rows (INSERT … ON CONFLICT DO UPDATE), so no
 *   process keeps totals of its own. Months are sums of days.
 * - dataset_follows / user_lists / user_list_items: CKAN's follow API and named personal lists.
 * - registry_usage: the agencies' monthly figures the registry collects, per registration.
 * - harvest_records.source_key: the origin dataset's identity, so one source dataset is held once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE usage_daily (
      dataset_id uuid NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      resource_id text NOT NULL DEFAULT '',
      day date NOT NULL,
      views integer NOT NULL DEFAULT 0,
      downloads integer NOT NULL DEFAULT 0,
      PRIMARY KEY (dataset_id, resource_id, day)
    )`.execute(db);
  await sql`CREATE INDEX usage_daily_day ON usage_daily (day)`.execute(db);
  await sql`
    CREATE TABLE dataset_follows (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      dataset_id uuid NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      created timestamptz NOT NULL,
      PRIMARY KEY (user_id, dataset_id)
    )`.execute(db);
  await sql`CREATE INDEX dataset_follows_dataset ON dataset_follows (dataset_id)`.execute(db);
  await sql`
    CREATE TABLE user_lists (
      id uuid PRIMARY KEY,
      owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      title text NOT NULL,
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX user_lists_owner_title ON user_lists (owner_id, lower(title))`.execute(db);
  await sql`
    CREATE TABLE user_list_items (
      list_id uuid NOT NULL REFERENCES user_lists(id) ON DELETE CASCADE,
      dataset_id uuid NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      added timestamptz NOT NULL,
      PRIMARY KEY (list_id, dataset_id)
    )`.execute(db);
  await sql`
    CREATE TABLE registry_usage (
      registration_id uuid NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
      month text NOT NULL,
      views integer NOT NULL DEFAULT 0,
      downloads integer NOT NULL DEFAULT 0,
      collected timestamptz NOT NULL,
      PRIMARY KEY (registration_id, month)
    )`.execute(db);
  await sql`ALTER TABLE harvest_sources ADD COLUMN usage_collected timestamptz`.execute(db);
  await sql`ALTER TABLE harvest_records ADD COLUMN source_key text`.execute(db);
  await sql`CREATE INDEX harvest_records_source_key ON harvest_records (source_key) WHERE source_key IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX harvest_records_source_key`.execute(db);
  await sql`ALTER TABLE harvest_records DROP COLUMN source_key`.execute(db);
  await sql`ALTER TABLE harvest_sources DROP COLUMN usage_collected`.execute(db);
  await sql`DROP TABLE registry_usage`.execute(db);
  await sql`DROP TABLE user_list_items`.execute(db);
  await sql`DROP TABLE user_lists`.execute(db);
  await sql`DROP TABLE dataset_follows`.execute(db);
  await sql`DROP TABLE usage_daily`.execute(db);
}
