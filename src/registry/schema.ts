import type { ColumnType, Selectable } from 'kysely';

/** Row types of the registration tables (migration 016); listed in src/store/schema.ts's Database. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T, string | T>;

export interface RegistryOrgMapTable {
  source_id: string;
  remote_org: string;
  group_id: string;
}

export interface RegistrationsTable {
  id: string;
  source_id: string;
  guid: string;
  /** The registration case: its state is the registration's state. */
  case_id: string;
  /** The local organisation the remote agency organisation maps to. */
  org_id: string;
  /** The harvested local dataset. */
  dataset_id: string | null;
  /** The national copy `gdpublish-<name>` once COMPLETED. */
  published_id: string | null;
  /** Host of the agency catalog (what the status API's `site_url` names). */
  site: string;
  remote_id: string;
  remote_name: ColumnType<string, string | undefined, string>;
  remote_title: ColumnType<string, string | undefined, string>;
  remote_modified: string | null;
  /** REJECT "(revised)": the agency changed the record after the rejection. */
  revised: ColumnType<boolean, boolean | undefined, boolean>;
  validate_time: NullableTime;
  published_at: NullableTime;
  state_changed: Timestamp;
  /** National categories the categorizer assigned. */
  categories: Json<string[]>;
  created: Timestamp;
}

export type RegistrationRow = Selectable<RegistrationsTable>;

export interface RegistryTables {
  registry_org_map: RegistryOrgMapTable;
  registrations: RegistrationsTable;
}
