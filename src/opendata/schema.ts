import type { Timestamp } from '../store/schema.ts';

/** Push states: queued → pushed | failed; a dataset that stops being open becomes withdrawn. */
export type PushState = 'queued' | 'pushed' | 'failed' | 'withdrawn';

export interface OpendataPushesTable {
  dataset_id: string;
  state: PushState;
  remote_id: string | null;
  remote_url: string | null;
  payload_hash: string | null;
  error: string | null;
  attempts: number;
  updated: Timestamp;
  pushed_at: Timestamp | null;
}

/** The open-data push table (migration 021), listed in the store's Database type. */
export interface OpendataTables {
  opendata_pushes: OpendataPushesTable;
}
