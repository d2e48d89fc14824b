import { sql, type Kysely } from 'kysely';

/** The catalog core: organisations and groups, users, datasets, resources, history, audit, tokens, grants, jobs. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`
    CREATE TABLE groups (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      title text NOT NULL DEFAULT '',
      description text NOT NULL DEFAULT '',
      image_url text NOT NULL DEFAULT '',
      is_organization boolean NOT NULL,
      parent_id uuid REFERENCES groups(id),
      state text NOT NULL DEFAULT 'active' CHECK (state IN ('active','deleted')),
      extras jsonb NOT NULL DEFAULT '{}',
      created timestamptz NOT NULL DEFAULT now(),
      modified timestamptz NOT NULL DEFAULT now(),
      CHECK (parent_id IS NULL OR parent_id <> id)
    )`.execute(db);
  await sql`CREATE INDEX groups_parent ON groups(parent_id)`.execute(db);
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      fullname text NOT NULL DEFAULT '',
      email text NOT NULL DEFAULT '',
      password_hash text,
      sysadmin boolean NOT NULL DEFAULT false,
      state text NOT NULL DEFAULT 'active' CHECK (state IN ('active','pending','deleted')),
      about text NOT NULL DEFAULT '',
      locale text NOT NULL DEFAULT 'th',
      created timestamptz NOT NULL DEFAULT now(),
      last_active timestamptz,
      must_change_password boolean NOT NULL DEFAULT false,
      oidc_subject text UNIQUE,
      totp_secret text,
      totp_enabled boolean NOT NULL DEFAULT false,
      totp_failures integer NOT NULL DEFAULT 0,
      totp_locked_until timestamptz,
      totp_last_counter bigint,
      recovery_codes jsonb NOT NULL DEFAULT '[]',
      login_failures integer NOT NULL DEFAULT 0,
      login_locked_until timestamptz
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX users_email ON users(lower(email)) WHERE email <> '' AND state <> 'deleted'`.execute(db);
  await sql`
    CREATE TABLE memberships (
      group_id uuid NOT NULL REFERENCES groups(id),
      user_id uuid NOT NULL REFERENCES users(id),
      role text NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (group_id, user_id)
    )`.execute(db);
  await sql`CREATE INDEX memberships_user ON memberships(user_id)`.execute(db);
  await sql`
    CREATE TABLE datasets (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      title text NOT NULL,
      notes text NOT NULL DEFAULT '',
      owner_org uuid REFERENCES groups(id),
      private boolean NOT NULL DEFAULT false,
      state text NOT NULL CHECK (state IN ('draft','active','deleted')),
      type text NOT NULL DEFAULT 'dataset',
      data_type text NOT NULL DEFAULT '',
      data_category text NOT NULL DEFAULT '',
      data_classification text NOT NULL DEFAULT '',
      license_id text NOT NULL DEFAULT '',
      allow_harvest boolean NOT NULL DEFAULT false,
      tags text[] NOT NULL DEFAULT '{}',
      metadata jsonb NOT NULL DEFAULT '{}',
      standard_id text NOT NULL,
      standard_version integer NOT NULL,
      creator_user_id uuid REFERENCES users(id),
      metadata_created timestamptz NOT NULL DEFAULT now(),
      metadata_modified timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL DEFAULT 1,
      view_count integer NOT NULL DEFAULT 0
    )`.execute(db);
  await sql`CREATE INDEX datasets_owner ON datasets(owner_org, state)`.execute(db);
  await sql`CREATE INDEX datasets_modified ON datasets(metadata_modified DESC)`.execute(db);
  await sql`CREATE INDEX datasets_tags ON datasets USING gin(tags)`.execute(db);
  await sql`CREATE INDEX datasets_title_lower ON datasets(lower(title)) WHERE state <> 'deleted'`.execute(db);
  await sql`
    CREATE TABLE dataset_groups (
      dataset_id uuid NOT NULL REFERENCES datasets(id),
      group_id uuid NOT NULL REFERENCES groups(id),
      PRIMARY KEY (dataset_id, group_id)
    )`.execute(db);
  await sql`CREATE INDEX dataset_groups_group ON dataset_groups(group_id)`.execute(db);
  await sql`
    CREATE TABLE resources (
      id uuid PRIMARY KEY,
      dataset_id uuid NOT NULL REFERENCES datasets(id),
      position integer NOT NULL,
      name text NOT NULL DEFAULT '',
      description text NOT NULL DEFAULT '',
      format text NOT NULL DEFAULT '',
      url text NOT NULL DEFAULT '',
      url_type text,
      mimetype text,
      size bigint,
      hash text NOT NULL DEFAULT '',
      storage_key text,
      metadata jsonb NOT NULL DEFAULT '{}',
      data_dictionary jsonb NOT NULL DEFAULT '[]',
      state text NOT NULL DEFAULT 'active' CHECK (state IN ('active','deleted')),
      created timestamptz NOT NULL DEFAULT now(),
      last_modified timestamptz,
      metadata_modified timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX resources_dataset ON resources(dataset_id, position)`.execute(db);
  await sql`
    CREATE TABLE activity (
      id uuid PRIMARY KEY,
      object_id uuid NOT NULL,
      object_type text NOT NULL,
      activity_type text NOT NULL,
      user_id uuid REFERENCES users(id),
      timestamp timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL,
      data jsonb NOT NULL,
      changes jsonb NOT NULL DEFAULT '[]'
    )`.execute(db);
  await sql`CREATE INDEX activity_object ON activity(object_id, timestamp DESC)`.execute(db);
  // Append-only: each row carries the hash of the previous one, so an edit or a deletion breaks the chain.
  await sql`
    CREATE TABLE audit_log (
      seq bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid,
      actor_name text NOT NULL DEFAULT '',
      action text NOT NULL,
      object_type text NOT NULL,
      object_id uuid,
      ip text NOT NULL DEFAULT '',
      detail jsonb NOT NULL DEFAULT '{}',
      prev_hash text NOT NULL,
      hash text NOT NULL UNIQUE
    )`.execute(db);
  await sql`
    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      name text NOT NULL DEFAULT '',
      token_hash text NOT NULL UNIQUE,
      created timestamptz NOT NULL DEFAULT now(),
      last_access timestamptz,
      expires_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE dataset_grants (
      id uuid PRIMARY KEY,
      dataset_id uuid NOT NULL REFERENCES datasets(id),
      grantee_user_id uuid REFERENCES users(id),
      grantee_org_id uuid REFERENCES groups(id),
      scope text NOT NULL DEFAULT 'files' CHECK (scope IN ('metadata','files')),
      expires_at timestamptz,
      granted_by uuid REFERENCES users(id),
      reason text NOT NULL DEFAULT '',
      created timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CHECK ((grantee_user_id IS NULL) <> (grantee_org_id IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX dataset_grants_user ON dataset_grants(grantee_user_id) WHERE revoked_at IS NULL`.execute(db);
  await sql`CREATE INDEX dataset_grants_org ON dataset_grants(grantee_org_id) WHERE revoked_at IS NULL`.execute(db);
  await sql`CREATE INDEX dataset_grants_dataset ON dataset_grants(dataset_id)`.execute(db);
  await sql`
    CREATE TABLE jobs (
      id bigserial PRIMARY KEY,
      queue text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','failed')),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL DEFAULT 5,
      run_at timestamptz NOT NULL DEFAULT now(),
      locked_at timestamptz,
      last_error text,
      created timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX jobs_ready ON jobs(queue, run_at) WHERE state = 'queued'`.execute(db);
  await sql`CREATE TABLE settings (key text PRIMARY KEY, value jsonb NOT NULL)`.execute(db);
  await sql`
    CREATE TABLE dataset_search (
      dataset_id uuid PRIMARY KEY REFERENCES datasets(id),
      document tsvector NOT NULL,
      title_text text NOT NULL DEFAULT '',
      tags_text text NOT NULL DEFAULT '',
      res_formats text[] NOT NULL DEFAULT '{}',
      groups text[] NOT NULL DEFAULT '{}',
      popularity integer NOT NULL DEFAULT 0
    )`.execute(db);
  await sql`CREATE INDEX dataset_search_document ON dataset_search USING gin(document)`.execute(db);
  await sql`CREATE INDEX dataset_search_title_trgm ON dataset_search USING gin(title_text gin_trgm_ops)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('The core schema cannot be rolled back; restore from a backup instead.');
}
