import type { ColumnType } from 'kysely';

/** Row types of migration 024 (usage, follows, personal lists); joined in src/store/schema.ts's Database. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsageDailyTable {
  dataset_id: string;
  /** '' for the dataset itself (page views), a resource id for the resource's views and downloads. */
  resource_id: ColumnType<string, string | undefined, string>;
  /** The Asia/Bangkok day, 'YYYY-MM-DD'. */
  day: ColumnType<string, string, string>;
  views: ColumnType<number, number | undefined, number>;
  downloads: ColumnType<number, number | undefined, number>;
}

export interface DatasetFollowsTable {
  user_id: string;
  dataset_id: string;
  created: Timestamp;
}

export interface UserListsTable {
  id: string;
  owner_id: string;
  title: string;
  created: Timestamp;
  modified: Timestamp;
}

export interface UserListItemsTable {
  list_id: string;
  dataset_id: string;
  added: Timestamp;
}

export interface RegistryUsageTable {
  registration_id: string;
  /** 'YYYY-MM' (Asia/Bangkok month, as the agency reports it). */
  month: string;
  views: number;
  downloads: number;
  collected: Timestamp;
}

export interface UsageTables {
  usage_daily: UsageDailyTable;
  dataset_follows: DatasetFollowsTable;
  user_lists: UserListsTable;
  user_list_items: UserListItemsTable;
  registry_usage: RegistryUsageTable;
}
