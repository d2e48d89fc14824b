import type { ColumnType } from 'kysely';

/** Row types of the shared limits (migration 019); listed in src/store/schema.ts's Database. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ProbeAnswersTable {
  /** `u:<user id>` or `anonymous`. */
  caller: string;
  at: Timestamp;
  n: number;
}

export interface RateLimitsTable {
  key: string;
  hits: number;
  reset_at: Timestamp;
}

export interface ClusterTables {
  probe_answers: ProbeAnswersTable;
  rate_limits: RateLimitsTable;
}
