import { sql, type RawBuilder } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import { fieldMap, NotFoundError, ValidationError, type Msg } from '../actions/errors.ts';
import { words } from '../search/segment.ts';
import { quoteIdent, tableName } from './ident.ts';
import type { TableAccess } from './access.ts';
import type { DsField } from './meta.ts';
import { convert, SQL_TYPE, typeMessage } from './types.ts';
import { csvCell } from '../util/csv-cell.ts';

export const ROWS_MAX = 32000;
const DEFAULT_LIMIT = 100;

const err = (field: string, msg: Msg) => ValidationError.field(field, msg);
const unknownField = (name: string): Msg => ({ th: `ไม่มีฟิลด์ "${name.slice(0, 80)}" ในตารางนี้`, en: `field "${name.slice(0, 80)}" not in table` });

function list(v: unknown, key: string): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw err(key, { th: 'ต้องเป็นรายการชื่อฟิลด์', en: 'Must be a list of field ids or a comma-separated string' });
}

function json<T>(v: unknown, key: string): T | undefined {
  if (typeof v !== 'string') return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw err(key, { th: 'ต้องเป็น JSON', en: 'Must be a JSON object' });
  }
}

function int(v: unknown, key: string, dflt: number, max: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : /^\d{1,9}$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw err(key, { th: 'ต้องเป็นจำนวนเต็มไม่ติดลบ', en: 'Must be a natural number' });
  return Math.min(n, max);
}

function flag(v: unknown, key: string, dflt: boolean): boolean {
  if (v === undefined || v === null || v === '') return dflt;
  if (v === true || v === 'true' || v === 'True' || v === '1') return true;
  if (v === false || v === 'false' || v === 'False' || v === '0') return false;
  throw err(key, { th: 'ต้องเป็น true หรือ false', en: 'Must be true or false' });
}

/** A column expression that answers JSON-friendly text for dates and numbers (both stores alike). */
export function selectExpr(f: DsField): RawBuilder<unknown> {
  const col = sql.raw(quoteIdent(f.id));
  if (f.type === 'date' || f.type === 'timestamp' || f.type === 'time' || f.type === 'numeric') return sql`${col}::text`;
  return col;
}

export function outValue(f: DsField | { type: string }, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (f.type === 'numeric') {
    const n = Number(v);
    return Number.isFinite(n) && String(n) === String(v).replace(/\.0+$/, '') ? n : String(v);
  }
  if (f.type === 'timestamp') return String(v).replace(' ', 'T');
  return v;
}

/** A caller's value for a filter, in the column's type; a value that does not fit is a field error, never a SQL error. */
function filterValue(f: DsField, v: unknown, key: string): string {
  const s = typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v === 'string' ? v : null;
  if (s === null) throw err(key, { th: 'ค่าตัวกรองต้องเป็นข้อความ ตัวเลข หรือรายการของค่าเหล่านี้', en: 'Filter values must be strings, numbers or lists of them' });
  const c = f.type === 'text' ? s : convert(f.type, s.trim());
  if (c === null) throw err(key, typeMessage(f.type));
  return c;
}

/** A tsquery of the words of `q`, each quoted as a lexeme, all required (Thai segmented as the catalog does). */
export function tsquery(q: string): string | null {
  const ws = words(q);
  if (!ws.length) return null;
  return ws.map((w) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(' & ');
}

export interface SearchParams {
  fields: DsField[];
  where: RawBuilder<unknown>;
  sort: RawBuilder<unknown> | null;
  sortText: string;
  /** The sort and the field ids as read, for the answer's links. */
  sortLink: string;
  fieldIds: string[];
  limit: number;
  offset: number;
  distinct: boolean;
  includeTotal: boolean;
  format: 'objects' | 'lists' | 'csv' | 'tsv';
  filters: Record<string, unknown>;
  q: string;
}

/** Reads datastore_search's parameters against the caller's fields: every name a dictionary id, every value a parameter. */
export function readSearch(input: Record<string, unknown>, access: TableAccess): SearchParams {
  const byId = new Map(access.fields.map((f) => [f.id, f]));
  const conds: RawBuilder<unknown>[] = [];
  const wanted = list(input.fields, 'fields');
  for (const w of wanted) if (!byId.has(w) && w !== '_id') throw err('fields', unknownField(w));
  const idField: DsField = { id: '_id', label: '_id', type: 'int' };
  const fields = wanted.length ? wanted.map((w) => byId.get(w) ?? idField) : [idField, ...access.fields];
  const filters = json<Record<string, unknown>>(input.filters, 'filters') ?? {};
  if (typeof filters !== 'object' || Array.isArray(filters) || filters === null) throw err('filters', { th: 'ต้องเป็นออบเจกต์ ชื่อฟิลด์ → ค่า', en: 'Must be a JSON object of field → value(s)' });
  const filterOut = fieldMap<unknown>();
  for (const [k, v] of Object.entries(filters)) {
    const f = k === '_id' ? idField : byId.get(k);
    if (!f) throw err(`filters.${k.slice(0, 80)}`, unknownField(k));
    const values = Array.isArray(v) ? v : [v];
    if (!values.length || values.length > 1000) throw err(`filters.${k}`, { th: 'ต้องมีค่า 1–1000 ค่า', en: 'Give 1 to 1000 values' });
    const typed = values.map((x) => filterValue(f, x, `filters.${k}`));
    const col = sql.raw(quoteIdent(f.id));
    const t = sql.raw(SQL_TYPE[f.type]);
    conds.push(typed.length === 1 ? sql`${col} = ${typed[0]}::${t}` : sql`${col} = ANY(${typed}::${t}[])`);
    filterOut[k] = v;
  }
  let q = '';
  if (input.q !== undefined && input.q !== null && input.q !== '') {
    if (typeof input.q !== 'string') throw err('q', { th: 'q ต้องเป็นข้อความ', en: 'q must be a string (field-wise q is not supported)' });
    // The full-text column covers every text column: a caller who may not read one of them (personal
    // data, a grant's fields) could find its values through q, so q is for callers who see them all.
    const hidden = (access.table?.fields ?? []).some((f) => f.type === 'text' && !byId.has(f.id));
    if (hidden) throw err('q', { th: 'ค้นข้อความทั้งตารางไม่ได้ เพราะมีฟิลด์ที่ท่านไม่มีสิทธิ์อ่าน ใช้ filters แทน', en: 'Full-text q covers fields you may not read; use filters instead' });
    q = input.q.slice(0, 1000);
    const tq = tsquery(q);
    if (tq) conds.push(sql`_full_text @@ ${tq}::tsquery`);
  }
  if (access.rows) conds.push(access.rows);
  const where = conds.length ? sql.join(conds, sql` AND `) : sql`true`;
  const distinct = flag(input.distinct, 'distinct', false);
  let sort: RawBuilder<unknown> | null = null;
  const sortText = typeof input.sort === 'string' ? input.sort : '';
  let sortLink = '';
  if (input.sort !== undefined && input.sort !== null && input.sort !== '') {
    const parts = list(input.sort, 'sort');
    sortLink = parts.join(',');
    if (parts.length > 10) throw err('sort', { th: 'เรียงได้ไม่เกิน 10 ฟิลด์', en: 'At most 10 sort fields' });
    sort = sql.join(
      parts.map((p) => {
        const m = /^("?)([^"\s]+)\1(?:\s+(asc|desc))?$/i.exec(p.trim());
        const f = m ? (m[2] === '_id' ? idField : byId.get(m[2]!)) : undefined;
        if (!m || !f) throw err('sort', unknownField(p));
        // SELECT DISTINCT can only be ordered by what it selects (else PostgreSQL refuses the statement).
        if (distinct && !fields.includes(f)) throw err('sort', { th: `เมื่อใช้ distinct ต้องเรียงตามฟิลด์ที่เลือกใน fields เท่านั้น ("${f.id}" ไม่อยู่ใน fields)`, en: `With distinct, sort only by fields in fields ("${f.id}" is not one)` });
        return sql`${sql.raw(quoteIdent(f.id))} ${sql.raw((m[3] ?? 'asc').toUpperCase() === 'DESC' ? 'DESC' : 'ASC')}`;
      }),
      sql`, `,
    );
  }
  const formatRaw = String(input.records_format ?? 'objects');
  if (!['objects', 'lists', 'csv', 'tsv'].includes(formatRaw)) throw err('records_format', { th: 'ต้องเป็น objects, lists, csv หรือ tsv', en: 'Must be one of objects, lists, csv, tsv' });
  return {
    fields,
    where,
    sort,
    sortText,
    sortLink,
    fieldIds: wanted,
    limit: int(input.limit, 'limit', DEFAULT_LIMIT, ROWS_MAX),
    offset: int(input.offset, 'offset', 0, 1_000_000_000),
    distinct,
    includeTotal: flag(input.include_total, 'include_total', true),
    format: formatRaw as SearchParams['format'],
    filters: filterOut,
    q,
  };
}

export function fieldInfo(f: DsField): Record<string, unknown> {
  return { id: f.id, type: f.type, info: { label: f.label, notes: f.description_th ?? '', notes_en: f.description_en ?? '', unit: f.unit ?? '' } };
}

/**
 * The table's description is read before its rows, and nothing holds the table between the two
 * (nor between rows and count when the action runs per statement), so a datastore_delete or a
 * reload with other columns that commits in between makes the read fail: that is the table gone
 * or changed, a 404 to retry, never a 500.
 */
async function tableRead<T>(q: Promise<T>): Promise<T> {
  try {
    return await q;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === '42P01' || code === '42703') throw new NotFoundError({ th: 'ตารางข้อมูลถูกลบหรือโหลดใหม่ระหว่างการอ่าน กรุณาลองอีกครั้ง', en: 'The table was removed or reloaded while it was being read; try again' });
    // statement_timeout (openTable's timeoutMs): CKAN's answer, a Validation Error on `query`.
    if (code === '57014') throw ValidationError.field('query', { th: 'การค้นใช้เวลานานเกินไป กรองให้แคบลง (filters บนฟิลด์ที่มีดัชนี) หรือลด limit/offset', en: 'Query took too long; narrow it (filters on indexed fields) or lower limit/offset' });
    throw e;
  }
}

/** Runs a search; the answer is CKAN's datastore_search result. */
/** `base`: the endpoint the links go to; `resourceParam`: whether it takes the resource as resource_id (the action) or in its path (the no-code API). */
/** The statement of a search's rows (runSearch's first). */
export function rowsSql(access: TableAccess, p: SearchParams): RawBuilder<Record<string, unknown>> {
  const order = p.sort ? sql`ORDER BY ${p.sort}` : p.distinct ? sql`` : sql`ORDER BY _id`;
  return sql<Record<string, unknown>>`SELECT ${p.distinct ? sql`DISTINCT` : sql``} ${columnsSql(p)} FROM ${sql.raw(tableName(access.resource.id))} WHERE ${p.where} ${order} LIMIT ${p.limit} OFFSET ${p.offset}`;
}

const columnsSql = (p: SearchParams) => sql.join(p.fields.map((f) => sql`${selectExpr(f)} AS ${sql.raw(quoteIdent(f.id))}`), sql`, `);

/** `opts.rows`: the rows statement's answer, when the caller already has it (the gateway sends it with its first statement). */
export async function runSearch(ctx: ActionContext, access: TableAccess, p: SearchParams, links: { base: string; resourceParam?: boolean }, opts: { rows?: Record<string, unknown>[] } = {}): Promise<Record<string, unknown>> {
  const table = sql.raw(tableName(access.resource.id));
  const cols = columnsSql(p);
  const rows = opts.rows ?? (await tableRead(rowsSql(access, p).execute(ctx.db))).rows;
  let total: number | undefined;
  if (p.includeTotal) {
    const inner = p.distinct ? sql`SELECT DISTINCT ${cols} FROM ${table} WHERE ${p.where}` : sql`SELECT 1 FROM ${table} WHERE ${p.where}`;
    total = Number((await tableRead(sql<{ n: number }>`SELECT count(*) AS n FROM (${inner}) t`.execute(ctx.db))).rows[0]?.n ?? 0);
  }
  const values = rows.map((r) => p.fields.map((f) => outValue(f, r[f.id])));
  let records: unknown;
  if (p.format === 'objects') records = values.map((vs) => Object.fromEntries(p.fields.map((f, i) => [f.id, vs[i]])));
  else if (p.format === 'lists') records = values;
  else {
    const sep = p.format === 'csv' ? ',' : '\t';
    records = values.map((vs) => vs.map((v, i) => csvCell(v, sep, p.fields[i]!.type === 'text' || p.fields[i]!.type === 'json')).join(sep) + '\n').join('');
  }
  // As CKAN's: the same search at another offset (the links had only offset and limit, so a client
  // following `next` lost the resource, the filters, q and the sort).
  const qs = (offset: number | null) => {
    const u = new URLSearchParams();
    if (links.resourceParam) u.set('resource_id', access.resource.id);
    if (Object.keys(p.filters).length) u.set('filters', JSON.stringify(p.filters));
    if (p.q) u.set('q', p.q);
    if (p.fieldIds.length) u.set('fields', p.fieldIds.join(','));
    if (p.sortLink) u.set('sort', p.sortLink);
    if (p.distinct) u.set('distinct', 'true');
    if (!p.includeTotal) u.set('include_total', 'false');
    if (p.format !== 'objects') u.set('records_format', p.format);
    if (p.limit !== DEFAULT_LIMIT) u.set('limit', String(p.limit));
    if (offset !== null) u.set('offset', String(offset));
    const query = u.toString();
    return query ? `${links.base}?${query}` : links.base;
  };
  return {
    include_total: p.includeTotal,
    resource_id: access.resource.id,
    fields: p.fields.map(fieldInfo),
    records_format: p.format,
    records,
    ...(p.includeTotal ? { total, total_was_estimated: false } : {}),
    limit: p.limit,
    ...(p.offset ? { offset: p.offset } : {}),
    ...(Object.keys(p.filters).length ? { filters: { ...p.filters } } : {}),
    ...(p.q ? { q: p.q } : {}),
    ...(p.sortText ? { sort: p.sortText } : {}),
    ...(p.distinct ? { distinct: true } : {}),
    _links: { start: qs(null), next: qs(p.offset + p.limit) },
  };
}
