import { sql, type RawBuilder } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { ErrorBag, ValidationError, type Msg } from '../actions/errors.ts';
import { tokenize } from '../search/segment.ts';
import { openTable, readResourceId } from './access.ts';
import { isSafeId, quoteIdent, tableName } from './ident.ts';
import { ckanType, convert, SQL_TYPE, typeMessage, type ColumnType } from './types.ts';
import { ensureTableRow, type DsField } from './meta.ts';
import { queueLoad } from './actions.ts';
import { fieldInfo, readSearch } from './query.ts';
import { sourceKind } from './source.ts';

const MAX_RECORDS = 10_000;
const MAX_FIELDS = 1598;
const MAX_KEY_FIELDS = 32;
const msg = (th: string, en: string): Msg => ({ th, en });

function readFields(v: unknown, bag: ErrorBag): DsField[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? (() => { try { return JSON.parse(v); } catch { return null; } })() : v;
  if (!Array.isArray(list)) {
    bag.add('fields', msg('ต้องเป็นรายการฟิลด์', 'Must be a list of {id, type}'));
    return [];
  }
  const out: DsField[] = [];
  const seen = new Set<string>();
  list.forEach((f: unknown, i) => {
    const r = (f && typeof f === 'object' ? f : {}) as Record<string, unknown>;
    const id = typeof r.id === 'string' ? r.id : '';
    if (!isSafeId(id)) bag.add(`fields[${i}].id`, msg('รหัสฟิลด์ต้องเป็น a-z 0-9 _ ขึ้นต้นด้วยตัวอักษร ยาวไม่เกิน 63', 'Field ids are a-z, 0-9 and _, start with a letter, at most 63 characters'));
    else if (seen.has(id)) bag.add(`fields[${i}].id`, msg(`รหัสฟิลด์ "${id}" ซ้ำ`, `Duplicate field id "${id}"`));
    const type = ckanType(r.type);
    if (!type) bag.add(`fields[${i}].type`, msg('ชนิดข้อมูลไม่รองรับ', `Unsupported type ${JSON.stringify(String(r.type ?? '')).slice(0, 40)}`));
    const info = (r.info && typeof r.info === 'object' ? r.info : {}) as Record<string, unknown>;
    seen.add(id);
    out.push({ id, label: typeof info.label === 'string' && info.label ? info.label.slice(0, 200) : id, type: type ?? 'text', personal_data: info.personal_data === true, description_th: typeof info.notes === 'string' ? info.notes.slice(0, 2000) : '' });
  });
  return out;
}

function readRecords(v: unknown): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? (() => { try { return JSON.parse(v); } catch { return null; } })() : v;
  if (!Array.isArray(list) || list.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) throw ValidationError.field('records', msg('ต้องเป็นรายการของออบเจกต์', 'Must be a list of objects'));
  if (list.length > MAX_RECORDS) throw ValidationError.field('records', msg(`ส่งได้ไม่เกิน ${MAX_RECORDS} แถวต่อครั้ง`, `At most ${MAX_RECORDS} records per call`));
  return list as Record<string, unknown>[];
}

/** Record values in their column types; every bad value is a field error named records[i].field. */
function typedRecords(records: Record<string, unknown>[], fields: DsField[], bag: ErrorBag, method = 'insert'): Array<Map<string, string | null>> {
  const byId = new Map(fields.map((f) => [f.id, f]));
  return records.map((r, i) => {
    const out = new Map<string, string | null>();
    for (const [k, v] of Object.entries(r)) {
      // As CKAN: update and upsert may name the row by its _id (the store numbers rows; insert cannot).
      if (k === '_id' && method !== 'insert') {
        const c = typeof v === 'number' || typeof v === 'string' ? convert('int', String(v).trim()) : null;
        if (c === null) bag.add(`records[${i}]._id`, typeMessage('int'));
        else out.set(k, c);
        continue;
      }
      const f = byId.get(k);
      if (!f) {
        bag.add(`records[${i}].${k.slice(0, 80)}`, msg('ไม่มีฟิลด์นี้ในตาราง', 'Field not in table'));
        continue;
      }
      if (v === null || v === '') {
        out.set(k, null);
        continue;
      }
      const s = typeof v === 'object' ? (f.type === 'json' ? JSON.stringify(v) : null) : String(v);
      const c = s === null ? null : f.type === 'text' ? s : convert(f.type, s.trim());
      if (c === null) bag.add(`records[${i}].${k}`, typeMessage(f.type));
      else out.set(k, c);
    }
    return out;
  });
}

function fullText(fields: DsField[], row: Map<string, string | null>): string {
  const ws: string[] = [];
  for (const f of fields) if (f.type === 'text') ws.push(...tokenize(row.get(f.id) ?? ''));
  return ws.map((w) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(' ');
}

const col = (id: string) => sql.raw(quoteIdent(id));
const typed = (f: DsField, v: string | null): RawBuilder<unknown> => sql`${v}::${sql.raw(SQL_TYPE[f.type])}`;

async function writeRecords(ctx: ActionContext, resourceId: string, fields: DsField[], pk: string[], rows: Array<Map<string, string | null>>, method: string): Promise<void> {
  const table = sql.raw(tableName(resourceId));
  const byId = new Map(fields.map((f) => [f.id, f]));
  for (const [i, row] of rows.entries()) {
    if (method !== 'insert') {
      const rowId = row.get('_id');
      row.delete('_id');
      const missing = pk.filter((k) => !row.has(k) || row.get(k) === null);
      if (!pk.length && !rowId) throw ValidationError.field('method', msg('ตารางไม่มี primary_key ใช้ method insert หรือระบุ _id ของแถว', 'The table has no primary_key: use method "insert", or give the row\'s _id'));
      if (missing.length && !rowId) throw ValidationError.field(`records[${i}].${missing[0]}`, msg('ต้องระบุค่าของ primary key', 'Primary key value missing'));
      const keyCond = rowId ? sql`_id = ${rowId}::bigint` : sql.join(pk.map((k) => sql`${col(k)} = ${typed(byId.get(k)!, row.get(k)!)}`), sql` AND `);
      const existing = (await sql<Record<string, unknown>>`SELECT ${sql.join(fields.map((f) => sql`${col(f.id)}::text AS ${col(f.id)}`), sql`, `)} FROM ${table} WHERE ${keyCond} FOR UPDATE`.execute(ctx.db)).rows[0];
      if (existing) {
        const merged = new Map<string, string | null>(fields.map((f) => [f.id, (existing[f.id] as string | null) ?? null]));
        for (const [k, v] of row) merged.set(k, v);
        const sets = [...row.keys()].filter((k) => rowId || !pk.includes(k)).map((k) => sql`${col(k)} = ${typed(byId.get(k)!, row.get(k)!)}`);
        sets.push(sql`_full_text = ${fullText(fields, merged)}::tsvector`);
        await rowWrite(ctx, i, sql`UPDATE ${table} SET ${sql.join(sets, sql`, `)} WHERE ${keyCond}`);
        continue;
      }
      // An _id is the store's own number: one that no row has is not found, never a row inserted under it.
      if (rowId) throw ValidationError.field(`records[${i}]._id`, msg('ไม่พบแถวที่มี _id นี้', '_id not found'));
      if (method === 'update') throw ValidationError.field(`records[${i}]`, msg('ไม่พบแถวที่มี primary key นี้', 'key not found'));
    }
    const keys = [...row.keys()];
    const names = sql.join([...keys.map(col), sql`_full_text`], sql`, `);
    const values = sql.join([...keys.map((k) => typed(byId.get(k)!, row.get(k)!)), sql`${fullText(fields, row)}::tsvector`], sql`, `);
    await rowWrite(ctx, i, sql`INSERT INTO ${table} (${names}) VALUES (${values})`);
  }
}

/**
 * One record's INSERT or UPDATE. Values were checked against their types in JS, but PostgreSQL still
 * refuses some: a key repeated, a value too big for a btree entry (about 2,700 bytes in the primary
 * key or an index) or for a tsvector, a number out of range. Each is that record's field error.
 */
async function rowWrite(ctx: ActionContext, i: number, statement: RawBuilder<unknown>): Promise<void> {
  try {
    await sql.raw('SAVEPOINT ds_row').execute(ctx.db);
    await statement.execute(ctx.db);
    await sql.raw('RELEASE SAVEPOINT ds_row').execute(ctx.db);
  } catch (e) {
    await sql.raw('ROLLBACK TO SAVEPOINT ds_row').execute(ctx.db);
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === '23505') throw ValidationError.field(`records[${i}]`, msg('primary key ซ้ำกับแถวที่มีอยู่', 'Duplicate primary key'));
    if (code === '54000') throw ValidationError.field(`records[${i}]`, msg('ค่ายาวเกินกว่าจะทำดัชนีได้ (ฟิลด์ใน primary key หรือ indexes ยาวได้ราว 2,000 ไบต์) หรือข้อความยาวเกินกว่าจะค้นได้', 'A value is too long to index (a primary key or indexes field holds about 2,000 bytes) or its text too long to search'));
    if (code.startsWith('22')) throw ValidationError.field(`records[${i}]`, msg(`ค่าไม่เข้ากับชนิดของฟิลด์: ${(e as Error).message.slice(0, 200)}`, `A value does not fit its field: ${(e as Error).message.slice(0, 200)}`));
    throw e;
  }
}

/** The unique indexes of a table's primary_key (every unique index but _id's own). */
async function dropKeyIndexes(ctx: ActionContext, id: string): Promise<void> {
  const rows = (await sql<{ name: string }>`SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = ${tableName(id)}::regclass AND i.indisunique AND NOT i.indisprimary`.execute(ctx.db)).rows;
  for (const r of rows) await sql`DROP INDEX ${sql.id('datastore', r.name)}`.execute(ctx.db);
}

/**
 * Fields for record keys that no field names, in the order first seen, as CKAN's datastore_create
 * adds them: the type is guessed from every value sent for the key (null ignored): whole numbers →
 * int, numbers → numeric, true/false → bool, objects and lists → json, ISO date-times → timestamp,
 * anything else (or a mix) → text.
 */
function guessFields(records: Record<string, unknown>[], known: DsField[], bag: ErrorBag): DsField[] {
  const have = new Set(known.map((f) => f.id));
  const seen = new Map<string, Set<ColumnType>>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (have.has(k) || k === '_id') continue;
      if (!seen.has(k)) {
        if (seen.size + known.length >= MAX_FIELDS) continue; // reported as too many fields below
        seen.set(k, new Set());
      }
      if (v !== null && v !== undefined) seen.get(k)!.add(guessType(v));
    }
  }
  const out: DsField[] = [];
  for (const [k, types] of seen) {
    if (!isSafeId(k)) {
      bag.add(`records.${k.slice(0, 80)}`, msg('ไม่มีฟิลด์นี้ และชื่อนี้ใช้เป็นรหัสฟิลด์ไม่ได้ (a-z 0-9 _ ขึ้นต้นด้วยตัวอักษร) ระบุใน fields', 'No such field, and the name cannot be a field id (a-z, 0-9, _, starting with a letter): declare it in fields'));
      continue;
    }
    const t = types.size === 1 ? [...types][0]! : types.size === 2 && types.has('int') && types.has('numeric') ? 'numeric' : 'text';
    out.push({ id: k, label: k, type: t, personal_data: false, description_th: '' });
  }
  return out;
}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
function guessType(v: unknown): ColumnType {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'int' : 'numeric';
  if (typeof v === 'object') return 'json';
  const s = String(v).trim();
  if (/^[+-]?(0|[1-9]\d{0,17})$/.test(s)) return 'int'; // a leading zero is a code (0105), kept as text
  if (/^[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/.test(s)) return 'numeric';
  if (ISO_DATETIME.test(s) && !Number.isNaN(Date.parse(s))) return 'timestamp';
  return 'text';
}

/** An index over existing rows: rows that repeat the key, or a value too long to index, are the parameter's error. */
async function indexOn(ctx: ActionContext, key: 'primary_key' | 'indexes', statement: RawBuilder<unknown>): Promise<void> {
  await sql.raw('SAVEPOINT ds_ix').execute(ctx.db);
  try {
    await statement.execute(ctx.db);
    await sql.raw('RELEASE SAVEPOINT ds_ix').execute(ctx.db);
  } catch (e) {
    await sql.raw('ROLLBACK TO SAVEPOINT ds_ix').execute(ctx.db);
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === '23505') throw ValidationError.field(key, msg('ค่าใน primary key ซ้ำกันในแถวที่มีอยู่', 'Existing rows repeat this primary key'));
    if (code === '54000') throw ValidationError.field(key, msg('แถวที่มีอยู่มีค่ายาวเกินกว่าจะทำดัชนีได้ (ราว 2,000 ไบต์)', 'Existing rows hold a value too long to index (about 2,000 bytes)'));
    throw e;
  }
}

async function saveMeta(ctx: ActionContext, resourceId: string, fields: DsField[], pk: string[], indexes: string[]): Promise<void> {
  const count = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.raw(tableName(resourceId))}`.execute(ctx.db)).rows[0]?.n ?? 0);
  await sql`UPDATE datastore_tables SET fields = ${JSON.stringify(fields)}::jsonb, primary_key = ${pk}::text[], indexes = ${indexes}::text[], active = true, row_count = ${count}, updated = now() WHERE resource_id = ${resourceId}`.execute(ctx.db);
}

export const datastoreCreate = defineAction({
  name: 'datastore_create',
  readOnly: false,
  summary: 'Create or extend a resource\'s DataStore table from fields and records; without fields, load the resource\'s own uploaded file (queued).',
  params: {
    resource_id: { type: 'string', description: 'resource id', required: true },
    fields: { type: 'array', description: '[{id, type, info: {label, notes}}]; types text, int, numeric, date, timestamp, bool, time, json' },
    records: { type: 'array', description: 'rows to insert (objects of field id → value)' },
    primary_key: { type: 'array', description: 'field ids that identify a row (needed for upsert/update)' },
    indexes: { type: 'array', description: 'field ids to index for filters' },
  },
  async run(ctx, input) {
    const id = readResourceId(input);
    const access = await openTable(ctx, id, 'datastore_create', { write: true, needTable: false, personal: true });
    const bag = new ErrorBag();
    const given = readFields(input.fields, bag);
    const records = readRecords(input.records);
    const listOf = (v: unknown, key: string): string[] => {
      if (v === undefined || v === null || v === '') return [];
      const l = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
      if (!Array.isArray(l) || l.some((x) => typeof x !== 'string')) {
        bag.add(key, msg('ต้องเป็นรายการรหัสฟิลด์', 'Must be a list of field ids'));
        return [];
      }
      return l as string[];
    };
    const pkIn = listOf(input.primary_key, 'primary_key');
    const ixIn = listOf(input.indexes, 'indexes');
    bag.throwIfAny();
    const existing = access.table?.active ? access.table : undefined;
    if (!existing && !given.length && !records.length) {
      if (!access.resource.storage_key || !sourceKind(access.resource.format, access.resource.url)) throw ValidationError.field('fields', msg('ต้องระบุ fields หรือทรัพยากรต้องเป็นไฟล์ตาราง', 'Give fields, or the resource must be an uploaded CSV/TSV/XLSX file to load'));
      await queueLoad(ctx, id);
      return { resource_id: id, state: 'queued' };
    }
    const fields: DsField[] = existing ? [...existing.fields] : [];
    for (const [i, f] of given.entries()) {
      const old = fields.find((x) => x.id === f.id);
      if (old && old.type !== f.type) bag.add(`fields[${i}].type`, msg(`ฟิลด์ ${f.id} มีชนิด ${old.type} อยู่แล้ว`, `Field ${f.id} already has type ${old.type}`));
      else if (!old) fields.push(f);
    }
    // As CKAN: a record's field that no given or existing field names is added, its type guessed from the values sent.
    for (const f of guessFields(records, fields, bag)) fields.push(f);
    if (!fields.length) bag.add('fields', msg('ต้องระบุ fields', 'Missing value'));
    // PostgreSQL's limits, checked here so they are field errors: 1,600 columns a table (_id and
    // _full_text are two of them) and 32 columns a key.
    if (fields.length > MAX_FIELDS) bag.add('fields', msg(`ตารางมีได้ไม่เกิน ${MAX_FIELDS} ฟิลด์ (ขอ ${fields.length})`, `A table has at most ${MAX_FIELDS} fields (${fields.length} asked)`));
    if (new Set(pkIn).size !== pkIn.length) bag.add('primary_key', msg('รหัสฟิลด์ใน primary key ซ้ำกัน', 'A field is repeated in primary_key'));
    else if (pkIn.length > MAX_KEY_FIELDS) bag.add('primary_key', msg(`primary key มีได้ไม่เกิน ${MAX_KEY_FIELDS} ฟิลด์`, `A primary key has at most ${MAX_KEY_FIELDS} fields`));
    for (const k of [...pkIn, ...ixIn]) if (!fields.some((f) => f.id === k)) bag.add(pkIn.includes(k) ? 'primary_key' : 'indexes', msg(`ไม่มีฟิลด์ ${k.slice(0, 80)}`, `field "${k.slice(0, 80)}" not in table`));
    bag.throwIfAny();
    const table = sql.raw(tableName(id));
    await ensureTableRow(ctx.db, id);
    await sql`SELECT pg_advisory_xact_lock(hashtext(${'datastore:' + id}))`.execute(ctx.db);
    if (!existing) {
      await sql.raw(`DROP TABLE IF EXISTS ${tableName(id)}`).execute(ctx.db);
      await sql`CREATE TABLE ${table} (_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, ${sql.join(fields.map((f) => sql`${col(f.id)} ${sql.raw(SQL_TYPE[f.type])}`), sql`, `)}, _full_text tsvector)`.execute(ctx.db);
      await sql`CREATE INDEX ON ${table} USING gin (_full_text)`.execute(ctx.db);
    } else {
      for (const f of fields.slice(existing.fields.length)) await sql`ALTER TABLE ${table} ADD COLUMN ${col(f.id)} ${sql.raw(SQL_TYPE[f.type])}`.execute(ctx.db);
    }
    const pk = pkIn.length ? pkIn : (existing?.primary_key ?? []);
    if (pkIn.length && pkIn.join() !== (existing?.primary_key ?? []).join()) {
      // A new key replaces the old one: its unique index goes (else the old key stayed enforced beside the new).
      if (existing?.primary_key.length) await dropKeyIndexes(ctx, id);
      await indexOn(ctx, 'primary_key', sql`CREATE UNIQUE INDEX ON ${table} (${sql.join(pk.map(col), sql`, `)})`);
    }
    const indexes = [...new Set([...(existing?.indexes ?? []), ...ixIn])];
    for (const k of new Set(ixIn)) if (!(existing?.indexes ?? []).includes(k)) await indexOn(ctx, 'indexes', sql`CREATE INDEX ON ${table} (${col(k)})`);
    const rows = typedRecords(records, fields, bag);
    bag.throwIfAny();
    await writeRecords(ctx, id, fields, pk, rows, 'insert');
    await saveMeta(ctx, id, fields, pk, indexes);
    return { resource_id: id, fields: fields.map(fieldInfo), primary_key: pk, indexes, records_written: rows.length };
  },
});

export const datastoreUpsert = defineAction({
  name: 'datastore_upsert',
  readOnly: false,
  summary: 'Insert, update or upsert rows of a DataStore table (method insert | update | upsert; update and upsert match on the primary key).',
  params: {
    resource_id: { type: 'string', description: 'resource id', required: true },
    records: { type: 'array', description: 'rows (objects of field id → value)', required: true },
    method: { type: 'string', description: 'upsert (default), insert or update' },
  },
  async run(ctx, input) {
    const id = readResourceId(input);
    const access = await openTable(ctx, id, 'datastore_upsert', { write: true, personal: true });
    const method = String(input.method ?? 'upsert');
    if (!['upsert', 'insert', 'update'].includes(method)) throw ValidationError.field('method', msg('ต้องเป็น upsert, insert หรือ update', 'Must be upsert, insert or update'));
    const bag = new ErrorBag();
    const rows = typedRecords(readRecords(input.records), access.fields, bag, method);
    bag.throwIfAny();
    const t = access.table!;
    await writeRecords(ctx, id, t.fields, t.primary_key, rows, method);
    await saveMeta(ctx, id, t.fields, t.primary_key, t.indexes);
    return { resource_id: id, method, records_written: rows.length };
  },
});

export const datastoreDelete = defineAction({
  name: 'datastore_delete',
  readOnly: false,
  summary: 'Delete rows matching filters, or (without filters) the whole DataStore table.',
  params: {
    resource_id: { type: 'string', description: 'resource id', required: true },
    filters: { type: 'object', description: 'field id → value(s); rows matching all are deleted' },
  },
  async run(ctx, input) {
    const id = readResourceId(input);
    const access = await openTable(ctx, id, 'datastore_delete', { write: true, personal: true });
    // As CKAN: no filters (absent or null) drops the table; any other value must be an object of
    // filters, and `{}` deletes every row but keeps the table (`[]` or '' dropped the table here).
    if (input.filters === undefined || input.filters === null) {
      await sql.raw(`DROP TABLE IF EXISTS ${tableName(id)}`).execute(ctx.db);
      await sql`UPDATE datastore_tables SET active = false, fields = '[]'::jsonb, row_count = 0, primary_key = '{}', indexes = '{}', updated = now() WHERE resource_id = ${id}`.execute(ctx.db);
      return { resource_id: id, deleted: 'table' };
    }
    const p = readSearch({ filters: input.filters }, access);
    const r = await sql`DELETE FROM ${sql.raw(tableName(id))} WHERE ${p.where}`.execute(ctx.db);
    const t = access.table!;
    await saveMeta(ctx, id, t.fields, t.primary_key, t.indexes);
    return { resource_id: id, filters: { ...p.filters }, deleted: Number(r.numAffectedRows ?? 0) };
  },
});
