import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import type { Services } from '../actions/context.ts';
import type { DataDictionaryField } from '../store/schema.ts';
import { tokenize } from '../search/segment.ts';
import { columnIds, isResourceId, quoteIdent, tableName } from './ident.ts';
import { recordResourceDelivery } from '../exchange/monitoring/deliveries.ts';
import { convert, dictionaryType, SQL_TYPE, TypeGuess, type ColumnType } from './types.ts';
import { delimitedRows, sourceKind, xlsxRows, type EncodingStats, type SourceItem, type SourceKind } from './source.ts';
import { copyValue, pgCopy, pgliteCopy, type CopySink } from './copy.ts';
import { getTable, liveProgress, setLoadState, type DsField, type LoadErrorItem } from './meta.ts';

export const DATASTORE_QUEUE = 'datastore_load';
/** Errors kept per load (all are counted). */
const MAX_ERRORS = 1000;
/** XLSX is read row by row, but its shared strings are held: files past this are refused. */
const XLSX_MAX_BYTES = 100 * 1024 * 1024;

/** A load that cannot succeed whatever the retry (not a table, no file): recorded, not retried. */
export class LoadError extends Error {}

export interface LoadResult {
  rows: number;
  errors: LoadErrorItem[];
  error_count: number;
  warnings: string[];
  encoding: string;
  fields: DsField[];
}

interface Opened {
  kind: SourceKind;
  open(): Promise<{ stream: Readable; size: number }>;
  dictionary: DataDictionaryField[];
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

function rows(kind: SourceKind, stream: Readable, stats: EncodingStats, onBytes: (n: number) => void): AsyncGenerator<SourceItem> {
  if (kind === 'xlsx') {
    stream.on('data', (c: Buffer) => onBytes(c.length));
    return xlsxRows(stream);
  }
  return delimitedRows(stream, kind, stats, onBytes);
}

/** Segmented words per distinct cell: agency tables repeat their categories, so most cells are hits. */
class TokenCache {
  private map = new Map<string, string>();
  get(v: string): string {
    let t = this.map.get(v);
    if (t === undefined) {
      t = tokenize(v)
        .map((w) => `'${w.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`)
        .join(' ');
      if (this.map.size > 50_000) this.map.clear();
      this.map.set(v, t);
    }
    return t;
  }
}

interface Plan {
  fields: DsField[];
  warnings: string[];
  width: number;
}

/** Pass 1: the header, every value's type fit, and the dictionary's say. */
async function plan(src: Opened, resourceId: string, total: number): Promise<Plan & { encoding: string }> {
  const stats: EncodingStats = { utf8Lines: 0, thaiLines: 0, bom: false };
  const { stream } = await src.open();
  let header: string[] | null = null;
  let guesses: TypeGuess[] = [];
  let bytes = 0;
  for await (const item of rows(src.kind, stream, stats, (n) => (bytes += n))) {
    if ('error' in item) continue;
    if (!header) {
      header = item.cells;
      guesses = header.map(() => new TypeGuess());
      continue;
    }
    if (item.cells.length !== header.length) continue; // a ragged row is reported in pass 2
    for (let i = 0; i < guesses.length; i++) guesses[i]!.add(item.cells[i]!.trim());
    liveProgress.set(resourceId, { rows: 0, bytes: Math.round(bytes / 2), total, phase: 'inspecting' });
  }
  if (!header || !header.length) throw new LoadError('the file has no header row');
  const byName = new Map(src.dictionary.map((d) => [d.name.trim(), d]));
  const dict = header.map((h, i) => byName.get(h.trim()) ?? (src.dictionary.length === header!.length ? src.dictionary[i] : undefined));
  const { columns, warnings } = columnIds(header, dict.map((d) => d?.name));
  const fields = columns.map((c, i): DsField => {
    const d = dict[i];
    const type: ColumnType = dictionaryType(d?.type) ?? guesses[i]!.result();
    return { id: c.id, label: c.label, type, ...(d ? { personal_data: d.personal_data, description_th: d.description_th, description_en: d.description_en, unit: d.unit } : {}) };
  });
  const encoding = src.kind === 'xlsx' ? 'xlsx' : stats.thaiLines && stats.utf8Lines > 1 ? 'mixed' : stats.thaiLines ? 'windows-874' : stats.bom ? 'utf-8-bom' : 'utf-8';
  if (encoding === 'mixed') warnings.push(`mixed encodings: ${stats.thaiLines} line(s) read as Windows-874 (TIS-620), the rest as UTF-8`);
  return { fields, warnings, width: header.length, encoding };
}

/** Where a load writes: its own connection (PostgreSQL) or the one embedded connection (PGlite). */
interface Session {
  exec(text: string): Promise<void>;
  copy(statement: string): CopySink;
}

/**
 * Loads a resource's file into datastore."<resource id>": read twice (types, then rows), streamed
 * both times; the new table is created, filled by COPY and swapped in by rename inside ONE
 * transaction, so readers see the old table until the commit and a killed load leaves it intact.
 */
export async function loadResource(services: Services, resourceId: string, pulled?: PulledFile): Promise<LoadResult> {
  if (!isResourceId(resourceId)) throw new LoadError('not a resource id');
  const src = await openResource(services, resourceId, pulled);
  const db = services.store.db;
  const previous = await getTable(db, resourceId);
  const { size: total } = await src.open().then((f) => (f.stream.destroy(), f));
  if (src.kind === 'xlsx' && total > XLSX_MAX_BYTES) throw new LoadError(`XLSX files over ${XLSX_MAX_BYTES / 1048576} MB are not loaded; save the sheet as CSV`);
  await setLoadState(db, resourceId, { load_state: 'running', load_rows: 0, load_bytes: 0, load_total_bytes: total, load_error: null, load_started: new Date(), load_finished: null });
  let mark = performance.now();
  // BANCHI_DATASTORE_TIMING=1 prints where a load spends its time (bench:datastore sets it).
  const phase = (name: string) => {
    if (process.env.BANCHI_DATASTORE_TIMING) console.log(`  load phase ${name}: ${((performance.now() - mark) / 1000).toFixed(2)} s`);
    mark = performance.now();
  };
  const p = await plan(src, resourceId, total);
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
  phase('inspect (pass 1)');
  const work = async (s: Session) => {
    await s.exec(`SET LOCAL maintenance_work_mem = '256MB'`);
    await s.exec(`SELECT pg_advisory_xact_lock(hashtext('datastore:' || '${resourceId}'))`);
    const tmp = `${resourceId}~new`;
    const tmpRef = `datastore.${quoteIdent(tmp)}`;
    await s.exec(`DROP TABLE IF EXISTS ${tmpRef}`);
    const cols = p.fields.map((f) => `${quoteIdent(f.id)} ${SQL_TYPE[f.type]}`).join(', ');
    await s.exec(`CREATE TABLE ${tmpRef} (_id bigint GENERATED BY DEFAULT AS IDENTITY, ${cols}, _full_text tsvector)`);
    const sink = s.copy(`COPY ${tmpRef} (${[...p.fields.map((f) => quoteIdent(f.id)), '_full_text'].join(', ')}) FROM ${services.store.kind === 'pglite' ? "'/dev/blob'" : 'STDIN'}`);
    const stats: EncodingStats = { utf8Lines: 0, thaiLines: 0, bom: false };
    const { stream } = await src.open();
    let bytes = 0;
    let lastReport = Date.now();
    let header = true;
    const tokens = new TokenCache();
    const textCols = p.fields.map((f) => f.type === 'text');
    for await (const item of rows(src.kind, stream, stats, (n) => (bytes += n))) {
      if ('error' in item) {
        addError({ line: item.line, message: item.error });
        continue;
      }
      if (header) {
        header = false;
        continue;
      }
      const cells = item.cells;
      if (cells.length !== p.width) {
        addError({ line: item.line, message: `${cells.length} values where the header has ${p.width} columns` });
        continue;
      }
      let line = '';
      let words = '';
      let bad = false;
      for (let i = 0; i < p.width; i++) {
        const f = p.fields[i]!;
        const raw = f.type === 'text' ? cells[i]! : cells[i]!.trim();
        let v: string | null = null;
        if (raw.includes('\u0000')) {
          // PostgreSQL text cannot hold NUL: the row is reported, the load goes on.
          addError({ line: item.line, field: f.id, message: `column ${f.label}: contains a NUL (0x00) character` });
          bad = true;
          break;
        }
        if (raw !== '') {
          v = convert(f.type, raw);
          if (v === null) {
            addError({ line: item.line, field: f.id, value: raw.slice(0, 200), message: `column ${f.label}: ${JSON.stringify(raw.slice(0, 50))} is not ${f.type}` });
            bad = true;
            break;
          }
          if (textCols[i]) {
            const t = tokens.get(raw);
            if (t) words += words ? ` ${t}` : t;
          }
        }
        line += `${copyValue(v)}\t`;
      }
      if (bad) continue;
      await sink.write(`${line}${copyValue(words)}\n`);
      loaded++;
      if (loaded % 2048 === 0 && Date.now() - lastReport > 1000) {
        lastReport = Date.now();
        liveProgress.set(resourceId, { rows: loaded, bytes: Math.round(total / 2 + bytes / 2), total, phase: 'loading' });
        // PostgreSQL: progress is visible to every process (a pool connection, outside the load's transaction).
        if (services.store.kind === 'postgres') await setLoadState(db, resourceId, { load_rows: loaded, load_bytes: Math.round(total / 2 + bytes / 2) });
      }
    }
    await sink.end();
    phase('copy');
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
    const warns = JSON.stringify(p.warnings).replace(/'/g, "''");
    // Literals quoted above: this runs on a raw session where parameters are not at hand for both stores alike.
    await s.exec(
      `UPDATE datastore_tables SET fields = '${meta}'::jsonb, primary_key = ARRAY[${pk.map((k) => `'${k}'`).join(',')}]::text[], active = true, row_count = ${loaded}, ` +
        `load_state = 'done', load_rows = ${loaded}, load_bytes = ${total}, load_errors = '${errs}'::jsonb, load_error_count = ${errorCount}, load_warnings = '${warns}'::jsonb, ` +
        `load_encoding = '${p.encoding}', load_finished = now(), updated = now() WHERE resource_id = '${resourceId}'`,
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
  } finally {
    liveProgress.delete(resourceId);
  }
  return { rows: loaded, errors, error_count: errorCount, warnings: p.warnings, encoding: p.encoding, fields: p.fields };
}

/** The job: a load that cannot work is recorded as failed and not retried; anything else is retried by the queue. */
export async function runLoadJob(services: Services, payload: Record<string, unknown>): Promise<void> {
  const id = String(payload.resource_id ?? '');
  try {
    const r = await loadResource(services, id);
    // Integration monitoring (src/exchange/monitoring): a load is a delivery of the resource's dataset.
    await recordResourceDelivery(services.store.db, id, { kind: 'datastore_load', rows: r.rows, detail: { errors: r.error_count } });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    await setLoadState(services.store.db, id, { load_state: e instanceof LoadError ? 'failed' : 'retrying', load_error: msg.slice(0, 2000), load_finished: new Date() }).catch(() => undefined);
    if (e instanceof LoadError) await recordResourceDelivery(services.store.db, id, { kind: 'datastore_load', ok: false, detail: { error: msg.slice(0, 300) } }).catch(() => undefined);
    if (!(e instanceof LoadError)) throw e;
  }
}
