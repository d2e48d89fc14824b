import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import type { Services } from '../actions/context.ts';
import type { DataDictionaryField } from '../store/schema.ts';
import { isResourceId, quoteIdent, tableName } from './ident.ts';
import { recordResourceDelivery } from '../exchange/monitoring/deliveries.ts';
import { SQL_TYPE } from './types.ts';
import { sniffKind, sourceKind, type EncodingStats, type SourceItem, type SourceKind } from './source.ts';
import { pgCopy, pgliteCopy, type CopySink } from './copy.ts';
import { getTable, liveProgress, setLoadState, type DsField, type LoadErrorItem } from './meta.ts';
import { encodingOf, encodingWarnings, fullPlan, LoadError, rows, samplePlan, type Opened, type Plan } from './load-plan.ts';
import { RowEncoder, Widen } from './load-rows.ts';
import type { ClaimedJob } from '../jobs/queue.ts';

export { LoadError };

export const DATASTORE_QUEUE = 'datastore_load';
/** Errors kept per load (all are counted). */
const MAX_ERRORS = 1000;
/** XLSX is read row by row, but its shared strings are held: files past this are refused. */
const XLSX_MAX_BYTES = 100 * 1024 * 1024;

export interface LoadResult {
  rows: number;
  errors: LoadErrorItem[];
  error_count: number;
  warnings: string[];
  encoding: string;
  fields: DsField[];
}

/** A file pulled by the exchange's data integration (src/exchange/integration), loaded in place of the resource's upload. */
export interface PulledFile {
  path: string;
  kind: SourceKind;
}

async function openResource(services: Services, resourceId: string, pulled?: PulledFile): Promise<Opened> {
  const res = await services.store.db.selectFrom('resources').select(['storage_key', 'format', 'url', 'state', 'data_dictionary']).where('id', '=', resourceId).executeTakeFirst();
  if (!res || res.state === 'deleted') throw new LoadError('resource not found');
  if (pulled) {
    return {
      kind: pulled.kind,
      dictionary: (res.data_dictionary as DataDictionaryField[] | null) ?? [],
      async open() {
        return { stream: fs.createReadStream(pulled.path), size: (await fs.promises.stat(pulled.path)).size };
      },
    };
  }
  if (!res.storage_key) throw new LoadError('the resource is a link, not an uploaded file');
  const kind = sourceKind(res.format, res.url);
  if (!kind) throw new LoadError(`format ${res.format || '(none)'} is not tabular (CSV, TSV or XLSX)`);
  const key = res.storage_key;
  return {
    kind,
    dictionary: (res.data_dictionary as DataDictionaryField[] | null) ?? [],
    async open() {
      const f = await services.files.read(key);
      if (!f) throw new LoadError('the stored file is missing');
      return { stream: f.stream, size: f.size };
    },
  };
}

/** The first bytes of a stream (then closed), to tell what the file is. */
async function readHead(stream: Readable, max = 4096): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      parts.push(c);
      n += c.length;
      if (n >= max) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, max);
}

/** Where a load writes: its own connection (PostgreSQL) or the one embedded connection (PGlite). */
interface Session {
  exec(text: string): Promise<void>;
  copy(statement: string): CopySink;
}

/**
 * Loads a resource's file into datastore."<resource id>" in one streamed pass: the types come from
 * a leading sample and every later value is checked against them; a value that breaks an inferred
 * type rolls the load back and it is redone with the types of the whole file (a pass to infer, a
 * pass to load), so the table always has the types a look at every value gives. The new table is
 * created, filled by COPY and swapped in by rename inside ONE transaction, so readers see the old
 * table until the commit and a killed load leaves it intact.
 */
export async function loadResource(services: Services, resourceId: string, pulled?: PulledFile): Promise<LoadResult> {
  if (!isResourceId(resourceId)) throw new LoadError('not a resource id');
  const opened = await openResource(services, resourceId, pulled);
  const db = services.store.db;
  const previous = await getTable(db, resourceId);
  const { size: total, head } = await opened.open().then(async (f) => ({ size: f.size, head: await readHead(f.stream) }));
  // What the bytes are, not what the name says: an XLSX called .csv is read as XLSX, a PDF or .xls is refused.
  const src: Opened = { ...opened, kind: sniffKind(head, opened.kind) };
  if (src.kind === 'xlsx' && total > XLSX_MAX_BYTES) throw new LoadError(`XLSX files over ${XLSX_MAX_BYTES / 1048576} MB are not loaded; save the sheet as CSV`);
  await setLoadState(db, resourceId, { load_state: 'running', load_rows: 0, load_bytes: 0, load_total_bytes: total, load_error: null, load_started: new Date(), load_finished: null });
  let mark = performance.now();
  // BANCHI_DATASTORE_TIMING=1 prints where a load spends its time (bench:datastore sets it).
  const phase = (name: string) => {
    if (process.env.BANCHI_DATASTORE_TIMING) console.log(`  load phase ${name}: ${((performance.now() - mark) / 1000).toFixed(2)} s`);
    mark = performance.now();
  };
  try {
    const first = await attempt(services, src, resourceId, total, previous, phase, null);
    if (first) return first;
    phase('sampled types widened, inspect the whole file');
    const p = await fullPlan(src, resourceId, total);
    phase('inspect (whole file)');
    return (await attempt(services, src, resourceId, total, previous, phase, p))!;
  } finally {
    liveProgress.delete(resourceId);
  }
}

/**
 * One load in one transaction: with no plan, the types come from the stream's first rows and the
 * answer is null when a later value breaks one (the transaction rolled back, nothing changed).
 */
async function attempt(
  services: Services,
  src: Opened,
  resourceId: string,
  total: number,
  previous: Awaited<ReturnType<typeof getTable>>,
  phase: (name: string) => void,
  fixed: Plan | null,
): Promise<LoadResult | null> {
  const db = services.store.db;
  const stats: EncodingStats = { utf8Lines: 0, thaiLines: 0, bom: false };
  const { stream } = await src.open();
  let bytes = 0;
  // A pass after a whole-file inspection is the second half of the work, for progress.
  const done = (b: number) => Math.round(fixed ? total / 2 + b / 2 : b);
  let p: Plan;
  let items: AsyncGenerator<SourceItem[]>;
  try {
    const source = rows(src.kind, stream, stats, (n) => (bytes += n));
    if (fixed) {
      p = fixed;
      items = source;
    } else {
      ({ plan: p, all: items } = await samplePlan(src, source));
      phase('sample');
    }
  } catch (e) {
    stream.destroy();
    throw e;
  }
  const pk = (previous?.primary_key ?? []).filter((k) => p.fields.some((f) => f.id === k));
  const indexes = (previous?.indexes ?? []).filter((k) => p.fields.some((f) => f.id === k));
  const errors: LoadErrorItem[] = [];
  let errorCount = 0;
  const addError = (e: LoadErrorItem) => {
    errorCount++;
    // jsonb holds no NUL: a value quoted in an error shows it as U+FFFD.
    if (errors.length < MAX_ERRORS) errors.push({ ...e, message: e.message.replace(/\u0000/g, '\uFFFD'), ...(e.value !== undefined ? { value: e.value.replace(/\u0000/g, '\uFFFD') } : {}) });
  };
  let loaded = 0;
  let encoding = '';
  let warnings: string[] = [];
  const work = async (s: Session) => {
    await s.exec(`SET LOCAL maintenance_work_mem = '256MB'`);
    await s.exec(`SELECT pg_advisory_xact_lock(hashtext('datastore:' || '${resourceId}'))`);
    const tmp = `${resourceId}~new`;
    const tmpRef = `datastore.${quoteIdent(tmp)}`;
    await s.exec(`DROP TABLE IF EXISTS ${tmpRef}`);
    const cols = p.fields.map((f) => `${quoteIdent(f.id)} ${SQL_TYPE[f.type]}`).join(', ');
    await s.exec(`CREATE TABLE ${tmpRef} (_id bigint GENERATED BY DEFAULT AS IDENTITY, ${cols}, _full_text tsvector)`);
    const sink = s.copy(`COPY ${tmpRef} (${[...p.fields.map((f) => quoteIdent(f.id)), '_full_text'].join(', ')}) FROM ${services.store.kind === 'pglite' ? "'/dev/blob'" : 'STDIN'}`);
    let lastReport = Date.now();
    const encoder = new RowEncoder(p, addError);
    try {
      for await (const batch of items) {
        for (const item of batch) {
          if ('error' in item) {
            addError({ line: item.line, message: item.error });
            continue;
          }
          // The header and any title rows above it.
          if (item.line <= p.headerLine) continue;
          const line = encoder.line(item.line, item.cells);
          if (line === null) continue;
          // A promise only when a batch went out: no await (and no microtask) per row.
          const sent = sink.write(line);
          if (sent) await sent;
          loaded++;
        }
        if (Date.now() - lastReport > 1000) {
          lastReport = Date.now();
          liveProgress.set(resourceId, { rows: loaded, bytes: done(bytes), total, phase: 'loading' });
          // PostgreSQL: progress is visible to every process (a pool connection, outside the load's transaction).
          if (services.store.kind === 'postgres') await setLoadState(db, resourceId, { load_rows: loaded, load_bytes: done(bytes) });
        }
      }
      if (encoder.widened()) throw new Widen();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    await sink.end();
    phase('copy');
    encoding = encodingOf(src.kind, stats);
    warnings = [...p.warnings, ...encodingWarnings(encoding, stats), ...encoder.warnings()];
    const live = tableName(resourceId);
    const suffix = Date.now().toString(36);
    await s.exec(`ALTER TABLE ${tmpRef} ADD CONSTRAINT ${quoteIdent(`pk_${suffix}_${resourceId.slice(0, 8)}`)} PRIMARY KEY (_id)`);
    await s.exec(`CREATE INDEX ${quoteIdent(`ft_${suffix}_${resourceId.slice(0, 8)}`)} ON ${tmpRef} USING gin (_full_text)`);
    if (pk.length) await s.exec(`CREATE UNIQUE INDEX ${quoteIdent(`uk_${suffix}_${resourceId.slice(0, 8)}`)} ON ${tmpRef} (${pk.map(quoteIdent).join(', ')})`);
    for (const [n, c] of indexes.entries()) await s.exec(`CREATE INDEX ${quoteIdent(`ix${n}_${suffix}_${resourceId.slice(0, 8)}`)} ON ${tmpRef} (${quoteIdent(c)})`);
    phase('indexes');
    await s.exec(`DROP TABLE IF EXISTS ${live}`);
    await s.exec(`ALTER TABLE ${tmpRef} RENAME TO ${quoteIdent(resourceId)}`);
    await s.exec(`ANALYZE ${live}`);
    phase('swap + analyze');
    const meta = JSON.stringify(p.fields).replace(/'/g, "''");
    const errs = JSON.stringify(errors).replace(/'/g, "''");
    const warns = JSON.stringify(warnings).replace(/'/g, "''");
    // Literals quoted above: this runs on a raw session where parameters are not at hand for both stores alike.
    await s.exec(
      `UPDATE datastore_tables SET fields = '${meta}'::jsonb, primary_key = ARRAY[${pk.map((k) => `'${k}'`).join(',')}]::text[], active = true, row_count = ${loaded}, ` +
        `load_state = 'done', load_rows = ${loaded}, load_bytes = ${total}, load_errors = '${errs}'::jsonb, load_error_count = ${errorCount}, load_warnings = '${warns}'::jsonb, ` +
        `load_encoding = '${encoding}', load_finished = clock_timestamp(), updated = clock_timestamp() WHERE resource_id = '${resourceId}'`,
    );
  };
  try {
    if (services.store.kind === 'pglite') {
      const pglite = services.store.pglite!;
      await db.transaction().execute(async (tx) => {
        await work({ exec: async (t) => void (await sql.raw(t).execute(tx)), copy: (st) => pgliteCopy(pglite, st) });
      });
    } else {
      const client = new pg.Client({ connectionString: services.config.databaseUrl, options: '-c jit=off' });
      await client.connect();
      try {
        await client.query('BEGIN');
        await work({ exec: async (t) => void (await client.query(t)), copy: (st) => pgCopy(client, st) });
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  } catch (e) {
    if (e instanceof Widen && !fixed) return null;
    throw e;
  } finally {
    stream.destroy();
  }
  return { rows: loaded, errors, error_count: errorCount, warnings, encoding, fields: p.fields };
}

/**
 * What PostgreSQL refuses in the data itself, whatever the retry: a data exception (22: a value,
 * an encoding), an integrity violation (23: duplicates under the primary key) or a limit (54: a
 * row or index entry too big, too many columns). Anything else (a lost connection, a lock or
 * statement time-out, a full disk) may pass, and is retried.
 */
export function permanentDbError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * The job: a load that cannot work is recorded as failed and not retried; anything else is retried
 * by the queue, and its last attempt's failure is recorded as failed (nothing more will happen).
 */
export async function runLoadJob(services: Services, payload: Record<string, unknown>, job?: ClaimedJob): Promise<void> {
  const id = String(payload.resource_id ?? '');
  try {
    const r = await loadResource(services, id);
    // Integration monitoring (src/exchange/monitoring): a load is a delivery of the resource's dataset.
    await recordResourceDelivery(services.store.db, id, { kind: 'datastore_load', rows: r.rows, detail: { errors: r.error_count } });
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const permanent = e instanceof LoadError || permanentDbError(e);
    const last = !permanent && job !== undefined && job.attempts >= job.max_attempts;
    const msg =
      e instanceof LoadError ? raw
      : permanent ? `ฐานข้อมูลรับข้อมูลของไฟล์นี้ไม่ได้ ลองใหม่ก็ไม่สำเร็จ: แก้ไฟล์แล้วอัปโหลดอีกครั้ง / the database cannot take this file's data, and a retry would not change that: fix the file and upload it again (${raw})`
      : last ? `โหลดไม่สำเร็จ ${job.attempts} ครั้ง จะไม่ลองอีก: สั่งโหลดใหม่เมื่อแก้สาเหตุแล้ว / the load failed ${job.attempts} times and is not retried again: start it again once the cause is fixed (${raw})`
      : raw;
    await setLoadState(services.store.db, id, { load_state: permanent || last ? 'failed' : 'retrying', load_error: msg.slice(0, 2000), load_finished: new Date() }).catch(() => undefined);
    if (permanent || last) await recordResourceDelivery(services.store.db, id, { kind: 'datastore_load', ok: false, detail: { error: msg.slice(0, 300) } }).catch(() => undefined);
    if (!permanent) throw e;
  }
}
