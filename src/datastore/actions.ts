import { sql } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { ValidationError, type Msg } from '../actions/errors.ts';
import { enqueue } from '../jobs/queue.ts';
import { openTable, readResourceId } from './access.ts';
import { fieldInfo, readSearch, runSearch, ROWS_MAX } from './query.ts';
import { checkSql } from './sql-check.ts';
import { tableName } from './ident.ts';
import { liveProgress, setLoadState } from './meta.ts';
import { DATASTORE_QUEUE } from './load.ts';
import { sourceKind } from './source.ts';
import { columnItemNames, inputFromItemNames, renameAnswer } from '../exchange/items/mapping.ts';

const SQL_TIMEOUT_MS = 5000;
/** The most text (values as PostgreSQL writes them) a datastore_search_sql answer carries. */
export const SQL_BYTES_MAX = 32 * 1024 * 1024;

function searchLinks(_ctx: ActionContext) {
  return { base: '/api/3/action/datastore_search', resourceParam: true };
}

export const datastoreSearch = defineAction({
  name: 'datastore_search',
  readOnly: true,
  summary: 'Rows of a resource\'s DataStore table (CKAN datastore_search). Personal-data fields need the owning organisation\'s read_sensitive right.',
  params: {
    resource_id: { type: 'string', description: 'resource id (its table)', required: true },
    filters: { type: 'object', description: 'field id → value or list of values (exact match, typed)' },
    q: { type: 'string', description: 'full-text words, Thai segmented as catalog search does; all must match' },
    fields: { type: 'array', description: 'field ids to return (list or comma-separated)' },
    sort: { type: 'string', description: 'e.g. "province asc, year desc"' },
    limit: { type: 'integer', description: `rows, default 100, at most ${ROWS_MAX}` },
    offset: { type: 'integer', description: 'rows to skip' },
    distinct: { type: 'boolean', description: 'distinct rows only' },
    include_total: { type: 'boolean', description: 'count matching rows (default true)' },
    records_format: { type: 'string', description: 'objects (default), lists, csv or tsv' },
    item_names: { type: 'boolean', description: 'answer (and read filters/fields) in exchange data item names where fields are mapped to items' },
  },
  async run(ctx, input) {
    const access = await openTable(ctx, readResourceId(input), 'datastore_search', { timeoutMs: ctx.services.config.datastoreTimeoutMs });
    const { item_names: byItem, ...rest } = input;
    if (byItem !== true && byItem !== 'true') return runSearch(ctx, access, readSearch(rest, access), searchLinks(ctx));
    // Exchange data items (src/exchange/items/mapping.ts): partners read every agency's table in the same names.
    const names = await columnItemNames(ctx.db, access.resource.id, access.fields);
    return renameAnswer(await runSearch(ctx, access, readSearch(inputFromItemNames(rest, names), access), searchLinks(ctx)), names);
  },
});

export const datastoreInfo = defineAction({
  name: 'datastore_info',
  readOnly: true,
  summary: 'Fields, row count and the last load of a resource\'s DataStore table.',
  params: { id: { type: 'string', description: 'resource id', required: true } },
  async run(ctx, input) {
    const id = readResourceId(input, input.resource_id !== undefined ? 'resource_id' : 'id');
    const access = await openTable(ctx, id, 'datastore_info', { needTable: false });
    const t = access.table;
    if (!t) return { meta: { id, count: 0, datastore_active: false }, fields: [], load: { state: 'none' } };
    const live = liveProgress.get(id);
    // What the caller may not read stays out of the answer: a load error of a hidden field (personal
    // data, a grant's fields) is dropped, since its value and message are that field's value; a
    // caller limited to some rows gets errors without values (any may be of a row it may not see)
    // and the count of its own rows.
    const readable = new Set(access.fields.map((f) => f.id));
    const errors = t.load_errors.filter((e) => !e.field || readable.has(e.field)).map((e) => (access.rows ? { line: e.line, ...(e.field ? { field: e.field } : {}) } : e));
    const count = access.rows && t.active ? Number((await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.raw(tableName(id))} WHERE ${access.rows}`.execute(ctx.db)).rows[0]?.n ?? 0) : t.row_count;
    return {
      meta: { id, count, datastore_active: t.active, primary_key: t.primary_key, indexes: t.indexes },
      fields: access.fields.map(fieldInfo),
      load: {
        state: t.load_state,
        rows: live?.rows ?? t.load_rows,
        bytes: live?.bytes ?? t.load_bytes,
        total_bytes: t.load_total_bytes,
        progress: t.load_total_bytes ? Math.min(1, (live?.bytes ?? t.load_bytes) / t.load_total_bytes) : t.load_state === 'done' ? 1 : 0,
        error: t.load_error,
        errors,
        error_count: t.load_error_count,
        warnings: t.load_warnings,
        encoding: t.load_encoding,
        started: t.load_started?.toISOString() ?? null,
        finished: t.load_finished?.toISOString() ?? null,
      },
    };
  },
});

/**
 * The planner's cost a datastore_search_sql statement may have on PGlite, where the time-out cannot
 * stop it. Measured on PGlite (2 cores): count(*) over 1,000,000 rows estimates 17,906 and ran 234 ms;
 * a five-way join of 40 rows estimates 1,568,827 and ran 15 s; about 100 cost units a millisecond,
 * so this cap is about the 5 s time-out PostgreSQL enforces.
 */
export const PGLITE_SQL_COST_MAX = 500_000;

class SqlRefused extends Error {
  readonly msg: Msg;
  constructor(msg: Msg) {
    super(msg.en);
    this.msg = msg;
  }
}

export const datastoreSearchSql = defineAction({
  name: 'datastore_search_sql',
  readOnly: true,
  summary: `One read-only SELECT over DataStore tables you may read (tables named by resource id, e.g. SELECT * FROM "<id>"); allow-listed functions only, ${SQL_TIMEOUT_MS / 1000} s time-out, ${ROWS_MAX} rows at most.`,
  params: { sql: { type: 'string', description: 'a single SELECT statement', required: true } },
  async run(ctx, input) {
    const checked = checkSql(input.sql);
    ctx.authorize('datastore_search_sql_any');
    for (const id of checked.tables) {
      const access = await openTable(ctx, id, 'datastore_search_sql');
      // Personal-data columns or a grant's limits cannot be enforced on free SQL: such tables answer through datastore_search.
      if (access.rows || access.fields.length !== (access.table?.fields.length ?? 0)) {
        throw ValidationError.field('sql', { th: `ตาราง ${id} มีฟิลด์ที่จำกัดสิทธิ์ ใช้ datastore_search แทน`, en: `Table ${id} has fields you may not read; use datastore_search` });
      }
    }
    // The audit row of reading non-open tables goes in before the transaction turns read-only.
    await ctx.flushDisclosures();
    await sql`SET TRANSACTION READ ONLY`.execute(ctx.db);
    await sql.raw(`SET LOCAL statement_timeout = ${SQL_TIMEOUT_MS}`).execute(ctx.db);
    await sql.raw(`SET LOCAL search_path = datastore`).execute(ctx.db);
    // A role that can read the DataStore schema and nothing else, where the migration could make one
    // (PGlite too: it runs as a superuser, so without the role one gap in the SQL check reads every table).
    const role = await sql<{ ok: boolean }>`SELECT pg_has_role(current_user, 'banchi_datastore_reader', 'MEMBER') AS ok FROM pg_roles WHERE rolname = 'banchi_datastore_reader'`.execute(ctx.db);
    if (role.rows[0]?.ok) await sql.raw('SET LOCAL ROLE banchi_datastore_reader').execute(ctx.db);
    let rows: Record<string, unknown>[];
    // Rows are bounded by count and by bytes, both in the database: the driver reads the whole answer
    // into memory, and one row of lpad('x', 100000000) over a cross join would fill the server's.
    // ds_w keeps the first ROWS_MAX + 1 rows with their running size; the LEFT JOIN answers one row
    // (columns null) when none fits, so ds_all__ still tells how many there were.
    const statement = `WITH ds_w AS MATERIALIZED (SELECT ds_q.*, sum(octet_length(ds_q::text)) OVER (ROWS UNBOUNDED PRECEDING) AS ds_bytes__ FROM (${checked.sql}\n) AS ds_q LIMIT ${ROWS_MAX + 1}) SELECT ds_w.*, ds_n.n AS ds_all__ FROM (SELECT count(*) AS n FROM ds_w) AS ds_n LEFT JOIN ds_w ON ds_w.ds_bytes__ <= ${SQL_BYTES_MAX}`;
    try {
      await sql.raw('SAVEPOINT ds_sql').execute(ctx.db);
      if (ctx.services.store.kind === 'pglite') {
        // PGlite cannot interrupt a running statement (no timer reaches the WebAssembly backend), so
        // statement_timeout does nothing there and one heavy join would hold the embedded store's only
        // connection for every user. The planner's estimate is asked first and a costly plan refused.
        const plan = (await sql.raw<{ 'QUERY PLAN': Array<{ Plan: { 'Total Cost': number } }> }>(`EXPLAIN (FORMAT JSON) ${statement}`).execute(ctx.db)).rows[0]!['QUERY PLAN'];
        const cost = (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan['Total Cost'];
        if (!(cost <= PGLITE_SQL_COST_MAX)) {
          throw new SqlRefused({ th: `คำสั่งนี้หนักเกินไปสำหรับฐานข้อมูลแบบฝังตัว (ค่าประมาณ ${Math.round(cost).toLocaleString('en-US')} เกิน ${PGLITE_SQL_COST_MAX.toLocaleString('en-US')}) ลดการ join หรือกรองข้อมูลให้แคบลง`, en: `This statement is too heavy for the embedded store (estimated cost ${Math.round(cost).toLocaleString('en-US')}, more than ${PGLITE_SQL_COST_MAX.toLocaleString('en-US')}); join fewer tables or filter more` });
        }
      }
      rows = (await sql.raw<Record<string, unknown>>(statement).execute(ctx.db)).rows;
    } catch (e) {
      await sql.raw('ROLLBACK TO SAVEPOINT ds_sql').execute(ctx.db).catch(() => undefined);
      if (e instanceof SqlRefused) throw ValidationError.field('sql', e.msg);
      const msg = e instanceof Error ? e.message : String(e);
      const timeout = /statement timeout|canceling statement/i.test(msg);
      throw ValidationError.field('sql', timeout ? { th: `คำสั่งใช้เวลาเกิน ${SQL_TIMEOUT_MS / 1000} วินาที`, en: `Statement took longer than ${SQL_TIMEOUT_MS / 1000} s` } : { th: `คำสั่ง SQL ผิดพลาด: ${msg.slice(0, 300)}`, en: `SQL error: ${msg.slice(0, 300)}` });
    }
    const all = Number(rows[0]?.ds_all__ ?? 0);
    if (rows.length === 1 && rows[0]!.ds_bytes__ === null) rows = [];
    const truncated = rows.length < all || rows.length > ROWS_MAX;
    if (rows.length > ROWS_MAX) rows = rows.slice(0, ROWS_MAX);
    const names = rows[0] ? Object.keys(rows[0]).filter((n) => n !== 'ds_bytes__' && n !== 'ds_all__') : [];
    const records = rows.map((r) => Object.fromEntries(names.map((n) => [n, r[n] instanceof Date ? (r[n] as Date).toISOString() : r[n]])));
    return { sql: checked.sql, records, fields: names.map((id) => ({ id })), ...(truncated ? { records_truncated: true } : {}) };
  },
});

export const datastoreLoad = defineAction({
  name: 'datastore_load',
  readOnly: false,
  summary: 'Queue a load of a resource\'s uploaded CSV/TSV/XLSX file into its DataStore table (as CKAN\'s datapusher_submit / xloader_submit).',
  params: { resource_id: { type: 'string', description: 'resource id', required: true } },
  async run(ctx, input) {
    const id = readResourceId(input);
    const access = await openTable(ctx, id, 'datastore_load', { write: true, needTable: false, personal: true });
    if (!access.resource.storage_key || !sourceKind(access.resource.format, access.resource.url)) {
      throw ValidationError.field('resource_id', { th: 'ทรัพยากรต้องเป็นไฟล์ CSV, TSV หรือ XLSX ที่อัปโหลด', en: 'The resource must be an uploaded CSV, TSV or XLSX file' });
    }
    await queueLoad(ctx, id);
    return { resource_id: id, state: 'queued' };
  },
});

/** Queues a load inside the caller's transaction: the job exists only if the write commits. */
export async function queueLoad(ctx: ActionContext, resourceId: string): Promise<void> {
  await enqueue(ctx.db, DATASTORE_QUEUE, { resource_id: resourceId }, { maxAttempts: 3 });
  await setLoadState(ctx.db, resourceId, { load_state: 'queued', load_error: null });
}

