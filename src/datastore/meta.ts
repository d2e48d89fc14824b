import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from '../store/db.ts';
import type { ColumnType } from './types.ts';

/** One column of a DataStore table: a safe id, the header as it was (Thai), its type and dictionary facts. */
export interface DsField {
  id: string;
  label: string;
  type: ColumnType;
  personal_data?: boolean;
  description_th?: string;
  description_en?: string;
  unit?: string;
}

export interface DsTable {
  resource_id: string;
  fields: DsField[];
  primary_key: string[];
  indexes: string[];
  active: boolean;
  row_count: number;
  load_state: string;
  load_rows: number;
  load_bytes: number;
  load_total_bytes: number;
  load_error: string | null;
  load_errors: LoadErrorItem[];
  load_error_count: number;
  load_warnings: string[];
  load_encoding: string | null;
  load_started: Date | null;
  load_finished: Date | null;
  updated: Date;
}

/** A row that could not be loaded: its line in the file, the column and why. */
export interface LoadErrorItem {
  line: number;
  field?: string;
  value?: string;
  message: string;
}

export async function getTable(db: Db | Tx, resourceId: string): Promise<DsTable | undefined> {
  const r = await sql<DsTable>`SELECT * FROM datastore_tables WHERE resource_id = ${resourceId}`.execute(db);
  return r.rows[0];
}

const TABLE_COLUMNS = ['resource_id', 'fields', 'primary_key', 'indexes', 'active', 'row_count', 'load_state', 'load_rows', 'load_bytes', 'load_total_bytes', 'load_error',
  'load_errors', 'load_error_count', 'load_warnings', 'load_encoding', 'load_started', 'load_finished', 'updated'] as const;

/**
 * getTable's columns over the alias `t`, named `__t_<column>`, for a statement that reads the table's
 * description beside another row (openTable reads it with the resource); tableFromColumns splits them off.
 */
export function tableColumns(alias: string): RawBuilder<unknown> {
  return sql.raw(TABLE_COLUMNS.map((c) => `${alias}.${c} AS __t_${c}`).join(', '));
}

export function tableFromColumns(row: Record<string, unknown>): { rest: Record<string, unknown>; table: DsTable | undefined } {
  const rest: Record<string, unknown> = {};
  const t: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('__t_')) t[k.slice(4)] = v;
    else rest[k] = v;
  }
  return { rest, table: t.resource_id == null ? undefined : (t as unknown as DsTable) };
}

/** Creates the description row if missing (a load or datastore_create starts here). */
export async function ensureTableRow(db: Db | Tx, resourceId: string): Promise<void> {
  await sql`INSERT INTO datastore_tables (resource_id) VALUES (${resourceId}) ON CONFLICT (resource_id) DO NOTHING`.execute(db);
}

export async function setLoadState(db: Db | Tx, resourceId: string, set: Partial<Pick<DsTable, 'load_state' | 'load_rows' | 'load_bytes' | 'load_total_bytes' | 'load_error' | 'load_started' | 'load_finished'>>): Promise<void> {
  await ensureTableRow(db, resourceId);
  await db
    .updateTable('datastore_tables' as never)
    .set({ ...set, updated: new Date() } as never)
    .where('resource_id' as never, '=', resourceId as never)
    .execute();
}

/** Progress of loads running in this process (PGlite holds its one connection for the whole load). */
export const liveProgress = new Map<string, { rows: number; bytes: number; total: number; phase: string }>();
