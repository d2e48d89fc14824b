import type { ColumnType, Generated, Selectable } from 'kysely';
import type { HarvestJobsTable, HarvestObjectsTable, HarvestRecordsTable, HarvestSourcesTable } from '../harvest/schema.ts';

/** Row types of every table, one interface each. Column names follow CKAN where CKAN has one. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | T, string | T>;

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
}

export interface Database {
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
  cases: CasesTable;
  case_events: CaseEventsTable;
  case_numbers: CaseNumbersTable;
  mail_outbox: MailOutboxTable;
  // agreements, partner assessments, linkage registry (migration 012)
  agreements: AgreementsTable;
  partner_assessments: PartnerAssessmentsTable;
  linkages: LinkagesTable;
  // h-ckan
  dataset_collaborators: DatasetCollaboratorsTable;
  // governance cases (011)
  notifications: NotificationsTable;
  case_links: CaseLinksTable;
  // harvest (migration 013)
  harvest_sources: HarvestSourcesTable;
  harvest_jobs: HarvestJobsTable;
  harvest_objects: HarvestObjectsTable;
  harvest_records: HarvestRecordsTable;
}

export type DatasetRow = Selectable<DatasetsTable>;
export type ResourceRow = Selectable<ResourcesTable>;
export type GroupRow = Selectable<GroupsTable>;
export type UserRow = Selectable<UsersTable>;

/** A governance workflow case (migration 020, src/workflow). */
// h-ckan: package_collaborator_* (migration 008)
export interface DatasetCollaboratorsTable {
  dataset_id: string;
  user_id: string;
  capacity: string;
  created: Timestamp;
  created_by: string | null;
}

export interface CasesTable {
  id: string;
  process: string;
  number: string;
  state: string;
  version: number;
  subjects: Json<{ type: string; id: string }[]>;
  facts: Json<Record<string, unknown>>;
  created_by: string | null;
  org_id: string | null;
  created: Timestamp;
  modified: Timestamp;
  closed_at: Date | null;
}

export interface CaseEventsTable {
  id: Generated<string>;
  case_id: string;
  seq: number;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string;
  roles: string[];
  transition: string;
  from_state: string | null;
  to_state: string;
  reason: string;
  inputs: Json<Record<string, unknown>>;
}

export interface CaseNumbersTable {
  prefix: string;
  year: number;
  last: number;
}

/** Mail waiting, sent, held (no SMTP configured) or invalid (src/mail). */
export interface MailOutboxTable {
  id: string;
  to_address: string;
  template: string;
  lang: string;
  subject: string;
  body: string;
  state: 'queued' | 'sent' | 'held' | 'invalid';
  attempts: Generated<number>;
  last_error: string | null;
  message_id: string | null;
  created: Timestamp;
  sent_at: Date | null;
}

// --- agreements, partner assessments, linkage registry (migration 012) ---
export interface AgreementsTable {
  id: string;
  case_id: string;
  kind: string;
  owner_org: string;
  partner_org: string;
  request_case_id: string | null;
  title: string;
  purpose: string;
  scope_of_use: string;
  access_from: Timestamp;
  access_to: Timestamp;
  frequency: Json<Record<string, unknown>>;
  service_level: string;
  period_of_use: string;
  technology: string;
  technology_note: string;
  legal_basis: string;
  legal_file: Json<Record<string, unknown>> | null;
  legal_file_key: string | null;
  items: Json<unknown[]>;
  termination_ground: string | null;
  termination_note: Generated<string>;
  terminated_at: Date | null;
  created_by: string | null;
  created: Timestamp;
  modified: Timestamp;
}

export interface PartnerAssessmentsTable {
  id: string;
  org_id: string;
  partner_org: string;
  assessor_id: string | null;
  assessor_name: string;
  assessed_on: string;
  criteria_version: number;
  items: Json<unknown[]>;
  total: number;
  passed: boolean;
  valid_until: Timestamp;
  note: string;
  created: Timestamp;
}

export interface LinkagesTable {
  id: string;
  case_id: string;
  direction: string;
  owner_org: string;
  partner_org: string;
  datasets: Json<string[]>;
  method: string;
  frequency: string;
  frequency_note: string;
  plan: string;
  meeting_notes: string;
  agreement_id: string | null;
  assessment_id: string | null;
  cancel_ground: string | null;
  cancel_note: Generated<string>;
  cancelled_at: Date | null;
  created_by: string | null;
  created: Timestamp;
  modified: Timestamp;
}

/** In-app inbox (migration 011, src/actions/governance/notifications.ts). */
export interface NotificationsTable {
  id: string;
  user_id: string;
  case_id: string | null;
  kind: string;
  title_th: string;
  title_en: string;
  url: Generated<string>;
  created: Timestamp;
  read_at: Date | null;
}

/** One-time, expiring download links of a data-subject request's answer (migration 011). */
export interface CaseLinksTable {
  id: string;
  case_id: string;
  user_id: string;
  token_hash: string;
  expires: Timestamp;
  created: Timestamp;
  used_at: Date | null;
}
