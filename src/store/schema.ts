import type { ColumnType, Generated, Selectable } from 'kysely';
import type { HarvestTables } from '../harvest/schema.ts';
import type { ClusterTables } from '../cluster/schema.ts';
import type { RegistryTables } from '../registry/schema.ts';
import type { GovernanceTables } from './schema-governance.ts';
import type { OpendataTables } from '../opendata/schema.ts';
import type { ExchangeTables } from '../exchange/gateway/schema.ts';
import type { ExchangeTables as ExchangeDataTables } from '../exchange/schema.ts';
import type { UsageTables } from '../usage/schema.ts';
import type { QualityTables } from '../quality/schema.ts';

/** Row types of every table, one interface each. Column names follow CKAN where CKAN has one. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type Json<T> = ColumnType<T, string | T, string | T>;

export interface GroupsTable {
  id: string;
  name: string;
  title: string;
  description: Generated<string>;
  image_url: Generated<string>;
  is_organization: boolean;
  parent_id: Generated<string | null>;
  state: Generated<string>;
  extras: Json<Record<string, unknown>>;
  created: Timestamp;
  modified: Timestamp;
}

export interface UsersTable {
  id: string;
  name: string;
  fullname: Generated<string>;
  email: Generated<string>;
  password_hash: string | null;
  sysadmin: Generated<boolean>;
  state: Generated<string>;
  about: Generated<string>;
  locale: Generated<string>;
  created: Timestamp;
  last_active: Generated<Date | null>;
  /** Set when this account must change its one-time password at next sign-in. */
  must_change_password: Generated<boolean>;
  oidc_subject: Generated<string | null>;
  totp_secret: Generated<string | null>;
  totp_enabled: Generated<boolean>;
  totp_failures: Generated<number>;
  totp_locked_until: Generated<Date | null>;
  totp_last_counter: Generated<number | null>;
  recovery_codes: Json<string[]>;
  login_failures: Generated<number>;
  login_locked_until: Generated<Date | null>;
}

/** Governance duties beside the catalog capacity (src/access/duties.ts). */
export interface DutiesTable {
  group_id: string;
  user_id: string;
  role: string;
  created: Generated<Timestamp>;
  created_by: string | null;
}

export interface MembershipsTable {
  group_id: string;
  user_id: string;
  role: string;
  created: Timestamp;
}

export interface DatasetsTable {
  id: string;
  name: string;
  title: string;
  notes: string;
  owner_org: string | null;
  private: boolean;
  state: string;
  type: string;
  data_type: string;
  data_category: string;
  data_classification: string;
  license_id: string;
  allow_harvest: boolean;
  tags: string[];
  /** Every field of the metadata standard that is not a column above, as validated. */
  metadata: Json<Record<string, unknown>>;
  standard_id: string;
  standard_version: number;
  creator_user_id: string | null;
  metadata_created: Timestamp;
  metadata_modified: Timestamp;
  version: number;
  view_count: Generated<number>;
}

export interface DatasetGroupsTable {
  dataset_id: string;
  group_id: string;
}

export interface ResourcesTable {
  id: string;
  dataset_id: string;
  position: number;
  name: string;
  description: string;
  format: string;
  url: string;
  url_type: Generated<string | null>;
  mimetype: Generated<string | null>;
  size: Generated<number | null>;
  hash: Generated<string>;
  storage_key: Generated<string | null>;
  metadata: Json<Record<string, unknown>>;
  data_dictionary: Json<DataDictionaryField[]>;
  state: Generated<string>;
  created: Timestamp;
  last_modified: Generated<Date | null>;
  metadata_modified: Timestamp;
}

export interface DataDictionaryField {
  name: string;
  type: string;
  description_th: string;
  description_en: string;
  unit: string;
  example: string;
  personal_data: boolean;
}

export interface ActivityTable {
  id: string;
  object_id: string;
  object_type: string;
  activity_type: string;
  user_id: string | null;
  timestamp: Timestamp;
  version: number;
  data: Json<Record<string, unknown>>;
  changes: Json<FieldChange[]>;
}

export interface FieldChange {
  field: string;
  old?: unknown;
  new?: unknown;
}

export interface AuditLogTable {
  seq: Generated<string>;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string;
  action: string;
  object_type: string;
  object_id: string | null;
  ip: string;
  detail: Json<Record<string, unknown>>;
  /** Rows of the old hash chain only (before migration 006). */
  prev_hash: string | null;
  hash: string | null;
  /** RFC 6962 leaf hash of the row's canonical content (old rows: their chain hash). */
  leaf: string;
  /** 2: the leaf is over the database's rendering of the row (audit-leaf.ts); 1: over canonical JSON. */
  leaf_v: Generated<number>;
  /** The writing transaction (pg_current_xact_id()); NULL for old rows. It places the row in a batch. */
  xid: Generated<string | null>;
}

export interface AuditCheckpointsTable {
  batch: string;
  xid_from: string;
  xid_below: string;
  seq_floor: string;
  first_seq: string;
  last_seq: string;
  count: number;
  root: string;
  seqs_hash: string;
  prev_hash: string;
  at: Timestamp;
  key_id: string;
  hash: string;
  signature: string;
  seqs: string;
  leaf_prefixes: Buffer;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created: Timestamp;
  last_access: Generated<Date | null>;
  expires_at: Generated<Date | null>;
  revoked_at: Generated<Date | null>;
  /** Created by a caller who had passed a second factor (migration 004). */
  two_factor: Generated<boolean>;
}

export interface DatasetGrantsTable {
  id: string;
  dataset_id: string;
  grantee_user_id: string | null;
  grantee_org_id: string | null;
  /** 'metadata' lets the grantee see the entry; 'files' also serves its resources. */
  scope: Generated<string>;
  expires_at: Date | null;
  granted_by: string | null;
  reason: Generated<string>;
  created: Timestamp;
  revoked_at: Generated<Date | null>;
  /** Set on grants an agreement owns (migration 012, src/access/grants.ts). */
  agreement_id: Generated<string | null>;
  starts_at: Generated<Date | null>;
  fields: ColumnType<string[] | null, string | null | undefined, string | null>;
  row_condition: ColumnType<unknown, string | null | undefined, string | null>;
  frequency: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface JobsTable {
  id: Generated<string>;
  queue: string;
  payload: Json<Record<string, unknown>>;
  state: string;
  attempts: number;
  max_attempts: number;
  run_at: Timestamp;
  locked_at: Generated<Date | null>;
  last_error: Generated<string | null>;
  created: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
}

/** One search row per dataset (migrations 001 and 002); visibility is never copied here. */
export interface DatasetSearchTable {
  dataset_id: string;
  /** A tsvector literal built from our own Thai tokens. */
  document: string;
  title_text: string;
  tags_text: string;
  res_formats: string[];
  groups: string[];
  group_ids: string[];
  popularity: number;
  tags: string[];
  data_type: string;
  data_classification: string;
  license_id: string;
  update_frequency_unit: string;
  geo_coverage: string;
  /** The dataset's own visibility and sort facts (migration 020), kept in step with datasets. */
  state: string;
  private: boolean;
  data_category: string;
  owner_org: string | null;
  metadata_modified: Date;
  metadata_created: Date;
  /** The dataset's title and name, for sorting (migration 027). */
  title: string;
  name: string;
  /** The transaction that last wrote the row, set by a trigger (migration 029; src/search/memindex). */
  changed_xid: ColumnType<string | null, never, never>;
}

/** Search rows deleted, for the in-memory copies to catch up with (migration 029). */
export interface DatasetSearchRemovedTable {
  dataset_id: string;
  changed_xid: ColumnType<string, never, never>;
  removed_at: ColumnType<Date, never, never>;
}

/** Every table; each domain keeps its own tables in its own schema file and is listed here once. */
export interface Database extends GovernanceTables, HarvestTables, OpendataTables, ExchangeTables, ExchangeDataTables, ClusterTables, RegistryTables, UsageTables, QualityTables {
  groups: GroupsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  duties: DutiesTable;
  datasets: DatasetsTable;
  dataset_groups: DatasetGroupsTable;
  resources: ResourcesTable;
  activity: ActivityTable;
  audit_log: AuditLogTable;
  audit_checkpoints: AuditCheckpointsTable;
  api_tokens: ApiTokensTable;
  dataset_grants: DatasetGrantsTable;
  jobs: JobsTable;
  settings: SettingsTable;
  dataset_search: DatasetSearchTable;
  dataset_search_removed: DatasetSearchRemovedTable;
  // h-ckan
  dataset_collaborators: DatasetCollaboratorsTable;
}

export type DatasetRow = Selectable<DatasetsTable>;
export type ResourceRow = Selectable<ResourcesTable>;
export type GroupRow = Selectable<GroupsTable>;
export type UserRow = Selectable<UsersTable>;

// h-ckan: package_collaborator_* (migration 008)
export interface DatasetCollaboratorsTable {
  dataset_id: string;
  user_id: string;
  capacity: string;
  created: Timestamp;
  created_by: string | null;
}
