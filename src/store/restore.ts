import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import type { Store, Tx } from './db.ts';
import { appliedMigrations, describeTables, ident, type TableInfo } from './catalog.ts';
import { MIGRATION_NAMES, migrateTo, migrateToLatest } from './migrate.ts';
import { listFiles, BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type Manifest } from './backup.ts';
import { openTarEntry, readTarIndex, type TarEntry } from './tar.ts';
import { verifyAuditChain } from '../actions/audit.ts';

/** A restore that cannot go ahead; the message says why (exit 1 or 2 in the CLI). */
export class RestoreError extends Error {}

const CHUNK = 500;

export interface RestoreSummary {
  manifest: Manifest;
  rows: number;
  files: number;
  /** Migrations of this banchi version applied after the rows were loaded. */
  upgraded: string[];
}

/** Reads and checks a backup's manifest without touching any store. */
export function readManifest(file: string): { manifest: Manifest; index: Map<string, TarEntry> } {
  const index = readTarIndex(file);
  const entry = index.get('manifest.json');
  if (!entry) throw new RestoreError(`${file} is not a complete banchi backup (no manifest)`);
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(entry.size);
  fs.readSync(fd, buf, 0, entry.size, entry.offset);
  fs.closeSync(fd);
  const manifest = JSON.parse(buf.toString('utf8')) as Manifest;
  if (manifest.format !== BACKUP_FORMAT || manifest.format_version !== BACKUP_FORMAT_VERSION) throw new RestoreError(`${file}: unknown backup format ${manifest.format} ${manifest.format_version}`);
  const unknown = manifest.migrations.filter((m) => !MIGRATION_NAMES.includes(m));
  if (unknown.length) throw new RestoreError(`The backup was made by a newer banchi (${manifest.banchi_version}; migrations ${unknown.join(', ')}): upgrade banchi first`);
  for (const t of manifest.tables) if (!index.has(t.part)) throw new RestoreError(`The backup is missing ${t.part}`);
  for (const f of manifest.files) if (!index.has(`files/${f.path}`)) throw new RestoreError(`The backup is missing files/${f.path}`);
  for (const d of manifest.data_files ?? []) {
    if (!/^[\w.-]+$/.test(d.name) || !index.has(d.part)) throw new RestoreError(`The backup is missing ${d.part}`);
  }
  return { manifest, index };
}

/** Reads every part once and compares it with the manifest, so a damaged backup is refused before any store is touched. */
export async function verifyBackup(file: string): Promise<Manifest> {
  const { manifest, index } = readManifest(file);
  for (const t of manifest.tables) {
    const hash = crypto.createHash('sha256');
    let rows = 0;
    try {
      for await (const line of readline.createInterface({ input: openTarEntry(file, index.get(t.part)!).pipe(zlib.createGunzip()), crlfDelay: Infinity })) {
        hash.update(`${line}\n`);
        rows++;
      }
    } catch (e) {
      throw new RestoreError(`${t.part} is damaged: ${(e as Error).message}`);
    }
    if (rows !== t.rows || hash.digest('hex') !== t.sha256) throw new RestoreError(`${t.part} does not match the manifest: the backup is damaged`);
  }
  for (const f of manifest.files) {
    const hash = crypto.createHash('sha256');
    for await (const c of openTarEntry(file, index.get(`files/${f.path}`)!) as AsyncIterable<Buffer>) hash.update(c);
    if (hash.digest('hex') !== f.sha256) throw new RestoreError(`files/${f.path} does not match the manifest: the backup is damaged`);
  }
  for (const d of manifest.data_files ?? []) {
    const hash = crypto.createHash('sha256');
    for await (const c of openTarEntry(file, index.get(d.part)!) as AsyncIterable<Buffer>) hash.update(c);
    if (hash.digest('hex') !== d.sha256) throw new RestoreError(`${d.part} does not match the manifest: the backup is damaged`);
  }
  return manifest;
}

/**
 * Restores a backup into `store` and `filesRoot`: refused when either holds anything unless
 * `force` (then their content is replaced). The schema is brought to the backup's migration,
 * every table is loaded in one transaction (parents first, triggers off), sequences are set, row
 * counts, part hashes and the audit chain are checked, the files are written and checked, and
 * only then is the transaction committed; finally this version's newer migrations run.
 */
export async function restoreStore(store: Store, filesRoot: string, file: string, opts: { force?: boolean } = {}): Promise<RestoreSummary> {
  const { manifest, index } = readManifest(file);
  const db = store.db;
  const occupied = await nonEmptyTables(store);
  // What an interrupted restore of this same backup left (its files, its temporary copies) does not
  // make the target occupied: running the restore again finishes the job.
  for (const p of listFiles(filesRoot)) if (/\.restore-\d+$/.test(p)) fs.rmSync(path.join(filesRoot, p), { force: true });
  const ours = new Map(manifest.files.map((f) => [f.path, f.size]));
  const existingFiles = listFiles(filesRoot);
  const foreign = existingFiles.filter((p) => ours.get(p) !== fs.statSync(path.join(filesRoot, p)).size);
  if (!opts.force && (occupied.length || foreign.length)) {
    const what = occupied.length ? `tables ${occupied.slice(0, 5).join(', ')}${occupied.length > 5 ? ', …' : ''}` : `${foreign.length} files in ${filesRoot}`;
    throw new RestoreError(`The target is not empty (${what}): restore into an empty data directory or database, or add --force to replace its content`);
  }
  const last = manifest.migrations[manifest.migrations.length - 1];
  if (last) await migrateTo(db, last);
  const now = await appliedMigrations(db);
  if (now.join() !== manifest.migrations.join()) throw new RestoreError(`The schema could not be brought to the backup's (${last})`);

  const written: string[] = [];
  let rows = 0;
  try {
    await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
      const tables = await describeTables(trx);
      const byName = new Map(tables.map((t) => [t.name, t]));
      for (const t of manifest.tables) if (!byName.has(t.name)) throw new RestoreError(`Table ${t.name} of the backup does not exist here`);
      if (tables.length) await sql`TRUNCATE ${sql.join(tables.map((t) => ident(t.name)))} RESTART IDENTITY CASCADE`.execute(trx);
      // Loaded rows are history, not new events: triggers (e.g. re-index jobs) must not fire.
      for (const t of tables) await sql`ALTER TABLE ${ident(t.name)} DISABLE TRIGGER USER`.execute(trx);
      for (const part of [...manifest.tables].sort((a, b) => tables.indexOf(byName.get(a.name)!) - tables.indexOf(byName.get(b.name)!))) {
        const t = byName.get(part.name)!;
        const loaded = await loadTable(trx, t, file, index.get(part.part)!, false);
        if (loaded.rows !== part.rows || loaded.sha256 !== part.sha256) throw new RestoreError(`${part.name}: the backup part does not match its manifest (${loaded.rows} rows, expected ${part.rows})`);
        if (t.selfReferences.length) await loadTable(trx, t, file, index.get(part.part)!, true);
        const n = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${ident(t.name)}`.execute(trx)).rows[0]!.n);
        if (n !== part.rows) throw new RestoreError(`${part.name}: ${n} rows after loading, expected ${part.rows}`);
        rows += n;
      }
      for (const t of tables) await sql`ALTER TABLE ${ident(t.name)} ENABLE TRIGGER USER`.execute(trx);
      for (const s of manifest.sequences) {
        const seq = byName.get(s.table)?.sequences.find((x) => x.column === s.column)?.sequence;
        if (seq) await sql`SELECT setval(${seq}::regclass, ${s.last_value}::bigint, ${s.is_called})`.execute(trx);
      }
      const broken = await verifyAuditChain(trx);
      if (broken) throw new RestoreError(`The audit chain of the backup does not verify at seq ${broken.seq}: ${broken.reason}`);
      // Files before the commit: a restore that cannot write them leaves the database as it was.
      for (const f of manifest.files) {
        await writeFile(file, index.get(`files/${f.path}`)!, filesRoot, f);
        written.push(f.path);
      }
    });
  } catch (e) {
    if (!opts.force) for (const p of written) fs.rmSync(path.join(filesRoot, p), { force: true });
    throw e;
  }
  if (opts.force) {
    const keep = new Set(manifest.files.map((f) => f.path));
    for (const p of existingFiles) if (!keep.has(p)) fs.rmSync(path.join(filesRoot, p), { force: true });
  }
  const upgraded = await migrateToLatest(db);
  return { manifest, rows, files: manifest.files.length, upgraded };
}

async function nonEmptyTables(store: Store): Promise<string[]> {
  const out: string[] = [];
  for (const t of await describeTables(store.db)) {
    const r = await sql<{ e: boolean }>`SELECT EXISTS (SELECT 1 FROM ${ident(t.name)}) AS e`.execute(store.db);
    if (r.rows[0]!.e) out.push(t.name);
  }
  return out;
}

/**
 * One table's part, CHUNK rows per statement through json_populate_recordset (PostgreSQL parses
 * each value as the column's type). Self-referencing columns are loaded as NULL first and set in a
 * second pass (`links`), once every row they may point to is there.
 */
async function loadTable(trx: Tx, t: TableInfo, file: string, entry: TarEntry, links: boolean): Promise<{ rows: number; sha256: string }> {
  const hash = crypto.createHash('sha256');
  const cols = t.columns.filter((c) => !c.generated);
  const names = sql.join(cols.map((c) => ident(c.name)));
  const values = sql.join(cols.map((c) => (t.selfReferences.includes(c.name) ? sql`NULL` : sql`s.${ident(c.name)}`)));
  const overriding = cols.some((c) => c.identityAlways) ? sql`OVERRIDING SYSTEM VALUE` : sql``;
  let rows = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const json = `[${batch.join(',')}]`;
    batch = [];
    if (!links) {
      await sql`INSERT INTO ${ident(t.name)} (${names}) ${overriding} SELECT ${values} FROM json_populate_recordset(NULL::${ident(t.name)}, ${json}::json) s`.execute(trx);
      return;
    }
    const match = sql.join(t.primaryKey.map((c) => sql`t.${ident(c)} = s.${ident(c)}`), sql` AND `);
    const set = sql.join(t.selfReferences.map((c) => sql`${ident(c)} = s.${ident(c)}`));
    await sql`UPDATE ${ident(t.name)} t SET ${set} FROM json_populate_recordset(NULL::${ident(t.name)}, ${json}::json) s WHERE ${match}`.execute(trx);
  };
  const input = readline.createInterface({ input: openTarEntry(file, entry).pipe(zlib.createGunzip()), crlfDelay: Infinity });
  for await (const line of input) {
    hash.update(`${line}\n`);
    rows++;
    batch.push(line);
    if (batch.length >= CHUNK) await flush();
  }
  await flush();
  return { rows, sha256: hash.digest('hex') };
}

async function writeFile(file: string, entry: TarEntry, root: string, f: Manifest['files'][number]): Promise<void> {
  if (f.path.split('/').some((p) => p === '..' || p === '' || p === '.') || path.isAbsolute(f.path)) throw new RestoreError(`Unsafe file path in the backup: ${f.path}`);
  const target = path.join(root, f.path);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.restore-${process.pid}`;
  const hash = crypto.createHash('sha256');
  const out = fs.createWriteStream(tmp);
  try {
    for await (const c of openTarEntry(file, entry) as AsyncIterable<Buffer>) {
      hash.update(c);
      if (!out.write(c)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (hash.digest('hex') !== f.sha256 || fs.statSync(tmp).size !== f.size) throw new RestoreError(`files/${f.path}: the copy in the backup does not match its manifest`);
    fs.renameSync(tmp, target);
  } catch (e) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes the backup's data-directory files (the audit signing key) into `dataDir`, owner-only. An
 * existing file is kept unless `force`: a key already there may have signed this store's own log.
 */
export async function restoreDataFiles(file: string, dataDir: string, opts: { force?: boolean } = {}): Promise<string[]> {
  const { manifest, index } = readManifest(file);
  const written: string[] = [];
  for (const d of manifest.data_files ?? []) {
    const target = path.join(dataDir, d.name);
    if (fs.existsSync(target) && !opts.force) continue;
    const chunks: Buffer[] = [];
    for await (const c of openTarEntry(file, index.get(d.part)!) as AsyncIterable<Buffer>) chunks.push(c);
    fs.mkdirSync(dataDir, { recursive: true });
    const tmp = `${target}.restore-${process.pid}`;
    fs.writeFileSync(tmp, Buffer.concat(chunks), { mode: 0o600 });
    fs.renameSync(tmp, target);
    written.push(d.name);
  }
  return written;
}
