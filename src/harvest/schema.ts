import type { ColumnType, Generated, Selectable } from 'kysely';

/** Row types of the harvest tables (migration 013); listed in src/store/schema.ts's Database. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T, string | T>;

export interface HarvestStats {
  added: number;
  updated: number;
  'not modified': number;
  errored: number;
  deleted: number;
}

export interface HarvestSourcesTable {
  id: string;
  name: string;
  title: Generated<string>;
  url: string;
  source_type: string;
  frequency: Generated<string>;
  owner_org: string;
  config: Json<Record<string, unknown>>;
  timeout_seconds: Generated<number>;
  credentials: Generated<string | null>;
  active: Generated<boolean>;
  created: Timestamp;
  modified: Timestamp;
  last_good_since: NullableTime;
  next_run: NullableTime;
  /** When the registry last collected the agency's usage figures (migration 024). */
  usage_collected: Generated<Date | null>;
}

export interface HarvestJobsTable {
  id: string;
  source_id: string;
  status: Generated<string>;
  created: Timestamp;
  gather_started: NullableTime;
  gather_finished: NullableTime;
  finished: NullableTime;
  heartbeat: NullableTime;
  since: NullableTime;
  gather_cursor: Json<Record<string, unknown>>;
  total: Generated<number>;
  stats: Json<Partial<HarvestStats>>;
  error: Generated<string | null>;
  failed: Generated<boolean>;
  aborted: Generated<boolean>;
  attempt: Generated<number>;
  created_by: Generated<string | null>;
}

export interface HarvestObjectsTable {
  id: string;
  job_id: string;
  source_id: string;
  guid: string;
  state: Generated<string>;
  report_status: Generated<string | null>;
  content: string | null;
  content_hash: string | null;
  normalized: Json<Record<string, unknown> | null>;
  dataset_id: Generated<string | null>;
  errors: Json<Record<string, string[]> | null>;
  created: Timestamp;
  import_finished: NullableTime;
}

export interface HarvestRecordsTable {
  source_id: string;
  guid: string;
  dataset_id: string | null;
  content_hash: string;
  raw: Json<unknown>;
  last_job_id: string;
  last_object_id: string;
  state: Generated<string>;
  remote_modified: string | null;
  updated: Timestamp;
  /** The origin dataset's identity (migration 024): one source dataset is held once. */
  source_key: Generated<string | null>;
}

export type HarvestSourceRow = Selectable<HarvestSourcesTable>;
export type HarvestJobRow = Selectable<HarvestJobsTable>;
export type HarvestObjectRow = Selectable<HarvestObjectsTable>;

/** The harvest tables (migration 013), listed in the store's Database type. */
export interface HarvestTables {
  harvest_sources: HarvestSourcesTable;
  harvest_jobs: HarvestJobsTable;
  harvest_objects: HarvestObjectsTable;
  harvest_records: HarvestRecordsTable;
}
