import { sql, type Kysely } from 'kysely';

/**
 * DataStore (issue 9): resource tables live in their own schema, named by resource id as CKAN
 * clients expect; `datastore_tables` describes each (fields with labels and types, the last load),
 * `datastore_api_keys` are keys scoped to one resource for the no-code API.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS datastore`.execute(db);
  await sql`
    CREATE TABLE datastore_tables (
      resource_id uuid PRIMARY KEY REFERENCES resources(id),
      fields jsonb NOT NULL DEFAULT '[]',
      primary_key text[] NOT NULL DEFAULT '{}',
      indexes text[] NOT NULL DEFAULT '{}',
      active boolean NOT NULL DEFAULT false,
      row_count bigint NOT NULL DEFAULT 0,
      load_state text NOT NULL DEFAULT 'none',
      load_rows bigint NOT NULL DEFAULT 0,
      load_bytes bigint NOT NULL DEFAULT 0,
      load_total_bytes bigint NOT NULL DEFAULT 0,
      load_error text,
      load_errors jsonb NOT NULL DEFAULT '[]',
      load_error_count bigint NOT NULL DEFAULT 0,
      load_warnings jsonb NOT NULL DEFAULT '[]',
      load_encoding text,
      load_started timestamptz,
      load_finished timestamptz,
      updated timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE datastore_api_keys (
      id uuid PRIMARY KEY,
      resource_id uuid NOT NULL REFERENCES resources(id),
      token_hash text NOT NULL UNIQUE,
      name text NOT NULL DEFAULT '',
      created timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users(id),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_access timestamptz
    )`.execute(db);
  await sql`CREATE INDEX datastore_api_keys_resource ON datastore_api_keys(resource_id)`.execute(db);
  // A role that can read DataStore tables and nothing else, for datastore_search_sql. Roles are
  // cluster-wide and need CREATEROLE: where the store cannot make one (a limited user), the
  // SQL check and the READ ONLY transaction are the guard.
  await sql`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'banchi_datastore_reader') THEN
        CREATE ROLE banchi_datastore_reader NOLOGIN;
      END IF;
      EXECUTE format('GRANT banchi_datastore_reader TO %I', current_user);
      GRANT USAGE ON SCHEMA datastore TO banchi_datastore_reader;
      ALTER DEFAULT PRIVILEGES IN SCHEMA datastore GRANT SELECT ON TABLES TO banchi_datastore_reader;
    EXCEPTION WHEN OTHERS THEN NULL;
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE datastore_api_keys`.execute(db);
  await sql`DROP TABLE datastore_tables`.execute(db);
  await sql`DROP SCHEMA datastore CASCADE`.execute(db);
}
