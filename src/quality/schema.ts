import type { ColumnType, Selectable } from 'kysely';

/** Row types of the quality tables (migration 023); listed in src/store/schema.ts's Database. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T, string | T>;

export interface DatasetQualityTable {
  dataset_id: string;
  /** 0–100; null until first computed. */
  score: ColumnType<number | null, number | null | undefined, number | null>;
  results: Json<unknown[]>;
  criteria_version: ColumnType<number, number | undefined, number>;
  /** Set by the write triggers, cleared by the quality job. */
  dirty: ColumnType<boolean, boolean | undefined, boolean>;
  computed_at: NullableTime;
}

export interface ResourceLinksTable {
  resource_id: string;
  url: string;
  status: 'ok' | 'broken' | 'timeout';
  http_status: number | null;
  error: ColumnType<string, string | undefined, string>;
  checked_at: Timestamp;
}

export interface OitLinksTable {
  org_id: string;
  item: string;
  dataset_id: string;
  linked_by: string | null;
  linked_at: Timestamp;
}

export type ResourceLinkRow = Selectable<ResourceLinksTable>;

export interface QualityTables {
  dataset_quality: DatasetQualityTable;
  resource_links: ResourceLinksTable;
  oit_links: OitLinksTable;
}
