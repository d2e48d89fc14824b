import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../store/schema.ts';

/** Exchange tables of migration 018: data items, look-up sources and rates, deliveries and monitoring. */
export interface ExchangeTables {
  exchange_items: ExchangeItemsTable;
  exchange_item_versions: ExchangeItemVersionsTable;
  exchange_item_mappings: ExchangeItemMappingsTable;
  lookup_sources: LookupSourcesTable;
  lookup_rate: LookupRateTable;
  exchange_deliveries: ExchangeDeliveriesTable;
  monitor_flags: MonitorFlagsTable;
  monitor_late_notices: MonitorLateNoticesTable;
  integration_sources: IntegrationSourcesTable;
}

export interface ExchangeItemsTable {
  id: string;
  name: string;
  version: number;
  label_th: string;
  label_en: string;
  definition_th: string;
  definition_en: string;
  data_type: string;
  format: string;
  pattern: string;
  item_group: string;
  standard: string;
  example: string;
  personal_data: boolean;
  state: Generated<string>;
  created: Timestamp;
  modified: Timestamp;
  modified_by: string | null;
}

export interface ExchangeItemVersionsTable {
  item_id: string;
  version: number;
  snapshot: Json<Record<string, unknown>>;
  changed_by: string | null;
  changed_by_name: string;
  note: string;
  at: Timestamp;
}

export interface ExchangeItemMappingsTable {
  resource_id: string;
  field: string;
  item_id: string;
  item_version: number;
  created: Timestamp;
  created_by: string | null;
}

export interface LookupSourcesTable {
  id: string;
  name: string;
  title_th: string;
  title_en: string;
  org_id: string;
  dataset_id: string;
  connector: Json<Record<string, unknown>>;
  /** A sealed credential (src/harvest/secrets.ts), never returned. */
  secret: string | null;
  active: Generated<boolean>;
  created: Timestamp;
  modified: Timestamp;
}

export interface LookupRateTable {
  user_id: string;
  window_kind: string;
  window_start: Timestamp;
  count: number;
}

export interface ExchangeDeliveriesTable {
  id: string;
  at: Timestamp;
  kind: string;
  dataset_id: string | null;
  resource_id: string | null;
  linkage_id: string | null;
  agreement_id: string | null;
  row_count: ColumnType<string | null, number | null | undefined, number | null>;
  ok: boolean;
  ref: Generated<string>;
  detail: Json<Record<string, unknown>>;
}

export interface MonitorFlagsTable {
  item_key: string;
  linkage_id: string;
  flags: Json<string[]>;
  note: Generated<string>;
  updated: Timestamp;
  updated_by: string | null;
}

export interface MonitorLateNoticesTable {
  item_key: string;
  due_at: Timestamp;
  notified_at: Timestamp;
  recipients: number;
}

export interface IntegrationSourcesTable {
  id: string;
  name: string;
  resource_id: string;
  org_id: string;
  kind: string;
  url: string;
  query: string;
  records_path: string;
  /** The sealed connection string of a database source (src/harvest/secrets.ts), never returned. */
  secret: string | null;
  frequency: string;
  linkage_id: string | null;
  active: Generated<boolean>;
  next_run: Date | null;
  last_run: Date | null;
  last_state: Generated<string>;
  last_rows: ColumnType<string | null, number | null | undefined, number | null>;
  last_error: string | null;
  created: Timestamp;
  modified: Timestamp;
  created_by: string | null;
}
