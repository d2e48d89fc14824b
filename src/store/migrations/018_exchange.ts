import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import seed from '../../exchange/items/seed-items.json' with { type: 'json' };

/**
 * Exchange (issue 9, helper h-lookup): the registry of exchange data items (versioned) and the
 * mapping of data-dictionary fields to them; citizen look-up sources (connectors as data) and the
 * per-official rate counters; observed deliveries, monitoring flags and the late notices sent.
 * Integration sources pull rows into a DataStore resource on a schedule.
 * Deliveries and sources name datasets without a foreign key: a purge must not be blocked by
 * history, and every reader checks the dataset it joins.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE exchange_items (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{1,62}$'),
      version integer NOT NULL,
      label_th text NOT NULL,
      label_en text NOT NULL,
      definition_th text NOT NULL,
      definition_en text NOT NULL,
      data_type text NOT NULL,
      format text NOT NULL DEFAULT '',
      pattern text NOT NULL DEFAULT '',
      item_group text NOT NULL,
      standard text NOT NULL DEFAULT '',
      example text NOT NULL DEFAULT '',
      personal_data boolean NOT NULL DEFAULT false,
      state text NOT NULL DEFAULT 'active' CHECK (state IN ('active','retired')),
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL,
      modified_by uuid REFERENCES users(id)
    )`.execute(db);
  await sql`
    CREATE TABLE exchange_item_versions (
      item_id uuid NOT NULL REFERENCES exchange_items(id),
      version integer NOT NULL,
      snapshot jsonb NOT NULL,
      changed_by uuid REFERENCES users(id),
      changed_by_name text NOT NULL,
      note text NOT NULL DEFAULT '',
      at timestamptz NOT NULL,
      PRIMARY KEY (item_id, version)
    )`.execute(db);
  await sql`
    CREATE TABLE exchange_item_mappings (
      resource_id uuid NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
      field text NOT NULL,
      item_id uuid NOT NULL REFERENCES exchange_items(id),
      item_version integer NOT NULL,
      created timestamptz NOT NULL,
      created_by uuid REFERENCES users(id),
      PRIMARY KEY (resource_id, field)
    )`.execute(db);
  await sql`CREATE INDEX exchange_item_mappings_item ON exchange_item_mappings(item_id)`.execute(db);
  await sql`
    CREATE TABLE lookup_sources (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      title_th text NOT NULL,
      title_en text NOT NULL,
      org_id uuid NOT NULL REFERENCES groups(id),
      dataset_id uuid NOT NULL,
      connector jsonb NOT NULL,
      secret text,
      active boolean NOT NULL DEFAULT true,
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX lookup_sources_dataset ON lookup_sources(dataset_id)`.execute(db);
  await sql`
    CREATE TABLE lookup_rate (
      user_id uuid NOT NULL,
      window_kind text NOT NULL,
      window_start timestamptz NOT NULL,
      count integer NOT NULL,
      PRIMARY KEY (user_id, window_kind, window_start)
    )`.execute(db);
  await sql`
    CREATE TABLE exchange_deliveries (
      id uuid PRIMARY KEY,
      at timestamptz NOT NULL,
      kind text NOT NULL,
      dataset_id uuid,
      resource_id uuid,
      linkage_id uuid,
      agreement_id uuid,
      row_count bigint,
      ok boolean NOT NULL,
      ref text NOT NULL DEFAULT '',
      detail jsonb NOT NULL DEFAULT '{}'
    )`.execute(db);
  await sql`CREATE INDEX exchange_deliveries_dataset ON exchange_deliveries(dataset_id, at) WHERE dataset_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX exchange_deliveries_linkage ON exchange_deliveries(linkage_id, at) WHERE linkage_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX exchange_deliveries_agreement ON exchange_deliveries(agreement_id, at) WHERE agreement_id IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE monitor_flags (
      item_key text PRIMARY KEY,
      linkage_id uuid NOT NULL REFERENCES linkages(id),
      flags jsonb NOT NULL DEFAULT '[]',
      note text NOT NULL DEFAULT '',
      updated timestamptz NOT NULL,
      updated_by uuid REFERENCES users(id)
    )`.execute(db);
  await sql`
    CREATE TABLE monitor_late_notices (
      item_key text NOT NULL,
      due_at timestamptz NOT NULL,
      notified_at timestamptz NOT NULL,
      recipients integer NOT NULL,
      PRIMARY KEY (item_key, due_at)
    )`.execute(db);
  await sql`
    CREATE TABLE integration_sources (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      resource_id uuid NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
      org_id uuid NOT NULL REFERENCES groups(id),
      kind text NOT NULL CHECK (kind IN ('postgresql','mariadb','csv_url','json_url')),
      url text NOT NULL DEFAULT '',
      query text NOT NULL DEFAULT '',
      records_path text NOT NULL DEFAULT '',
      secret text,
      frequency text NOT NULL,
      linkage_id uuid REFERENCES linkages(id),
      active boolean NOT NULL DEFAULT true,
      next_run timestamptz,
      last_run timestamptz,
      last_state text NOT NULL DEFAULT 'never',
      last_rows bigint,
      last_error text,
      created timestamptz NOT NULL,
      modified timestamptz NOT NULL,
      created_by uuid REFERENCES users(id)
    )`.execute(db);
  await sql`CREATE INDEX integration_sources_due ON integration_sources(next_run) WHERE active`.execute(db);
  // The seed items (src/exchange/items/seed-items.json) are version 1 of the registry.
  const now = new Date().toISOString();
  for (const it of seed.items) {
    const id = crypto.randomUUID();
    await sql`INSERT INTO exchange_items (id, name, version, label_th, label_en, definition_th, definition_en, data_type, format, pattern, item_group, standard, example, personal_data, created, modified)
      VALUES (${id}, ${it.name}, 1, ${it.label_th}, ${it.label_en}, ${it.definition_th}, ${it.definition_en}, ${it.data_type}, ${it.format}, ${it.pattern ?? ''}, ${it.item_group}, ${it.standard}, ${it.example}, ${it.personal_data}, ${now}, ${now})`.execute(db);
    await sql`INSERT INTO exchange_item_versions (item_id, version, snapshot, changed_by, changed_by_name, note, at) VALUES (${id}, 1, ${JSON.stringify({ ...it, version: 1, state: 'active' })}, NULL, 'seed', ${'seed ' + seed.version}, ${now})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['integration_sources', 'monitor_late_notices', 'monitor_flags', 'exchange_deliveries', 'lookup_rate', 'lookup_sources', 'exchange_item_mappings', 'exchange_item_versions', 'exchange_items']) await sql`DROP TABLE ${sql.raw(t)}`.execute(db);
}
