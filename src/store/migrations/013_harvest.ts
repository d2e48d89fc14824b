import { sql, type Kysely } from 'kysely';

/**
 * Harvesting (issue 8), in ckanext-harvest's shapes: a source, its jobs (runs) and the objects a
 * run saw. `harvest_records` is the registry's current view of each remote record of a source
 * (the raw payload, the dataset it became, the run that last saw it, withdrawn or not).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE harvest_sources (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      title text NOT NULL DEFAULT '',
      url text NOT NULL,
      source_type text NOT NULL,
      frequency text NOT NULL DEFAULT 'MANUAL',
      owner_org uuid NOT NULL REFERENCES groups(id),
      config jsonb NOT NULL DEFAULT '{}',
      timeout_seconds integer NOT NULL DEFAULT 3600,
      credentials text,
      active boolean NOT NULL DEFAULT true,
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL,
      last_good_since timestamptz,
      next_run timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE harvest_jobs (
      id uuid PRIMARY KEY,
      source_id uuid NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
      status text NOT NULL DEFAULT 'New',
      created timestamptz NOT NULL,
      gather_started timestamptz,
      gather_finished timestamptz,
      finished timestamptz,
      heartbeat timestamptz,
      since timestamptz,
      gather_cursor jsonb NOT NULL DEFAULT '{}',
      total integer NOT NULL DEFAULT 0,
      stats jsonb NOT NULL DEFAULT '{}',
      error text,
      failed boolean NOT NULL DEFAULT false,
      aborted boolean NOT NULL DEFAULT false,
      attempt integer NOT NULL DEFAULT 1,
      created_by uuid
    )`.execute(db);
  await sql`CREATE INDEX harvest_jobs_source ON harvest_jobs(source_id, created DESC)`.execute(db);
  await sql`CREATE INDEX harvest_jobs_open ON harvest_jobs(status) WHERE status <> 'Finished'`.execute(db);
  await sql`
    CREATE TABLE harvest_objects (
      id uuid PRIMARY KEY,
      job_id uuid NOT NULL REFERENCES harvest_jobs(id) ON DELETE CASCADE,
      source_id uuid NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
      guid text NOT NULL,
      state text NOT NULL DEFAULT 'WAITING',
      report_status text,
      content text,
      content_hash text,
      normalized jsonb,
      dataset_id uuid,
      errors jsonb,
      created timestamptz NOT NULL,
      import_finished timestamptz,
      UNIQUE (job_id, guid)
    )`.execute(db);
  await sql`CREATE INDEX harvest_objects_waiting ON harvest_objects(job_id) WHERE state = 'WAITING'`.execute(db);
  await sql`
    CREATE TABLE harvest_records (
      source_id uuid NOT NULL REFERENCES harvest_sources(id) ON DELETE CASCADE,
      guid text NOT NULL,
      dataset_id uuid,
      content_hash text NOT NULL,
      raw jsonb NOT NULL,
      last_job_id uuid NOT NULL,
      last_object_id uuid NOT NULL,
      state text NOT NULL DEFAULT 'active',
      remote_modified text,
      updated timestamptz NOT NULL,
      PRIMARY KEY (source_id, guid)
    )`.execute(db);
  await sql`CREATE INDEX harvest_records_dataset ON harvest_records(dataset_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE harvest_records`.execute(db);
  await sql`DROP TABLE harvest_objects`.execute(db);
  await sql`DROP TABLE harvest_jobs`.execute(db);
  await sql`DROP TABLE harvest_sources`.execute(db);
}
