import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import type { Store, Tx } from './db.ts';
import { appliedMigrations, describeTables, ident, type TableInfo } from './catalog.ts';
import { TarWriter } from './tar.ts';

/**
 * `banchi backup`: one consistent snapshot of the database and the stored files, in a tar file.
 * Every table is read inside one REPEATABLE READ transaction (one snapshot, while the server may go
 * on writing on PostgreSQL), one JSON object per row (row_to_json, so the same on PGlite and a
 * server, and loadable into either), in primary-key order. The manifest, last in the archive, holds
 * the banchi version, the migrations applied, each table's row count and the SHA-256 of every part.
 * Restore: src/store/restore.ts.
 */
export const BACKUP_FORMAT = 'banchi-backup';
export const BACKUP_FORMAT_VERSION = 1;
const PAGE = 2000;

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  banchi_version: string;
  created: string;
  store: string;
  migrations: string[];
  tables: Array<{ name: string; part: string; rows: number; sha256: string; bytes: number }>;
  sequences: Array<{ table: string; column: string; last_value: string; is_called: boolean }>;
  files: Array<{ path: string; size: number; sha256: string }>;
  /** Storage keys that rows refer to and whose file was not there when the backup was made. */
  missing_files: string[];
  /**
   * Files of the data directory the database depends on, e.g. the key that signed the audit
   * checkpoints (without it a restored log no longer verifies). Absent in older backups.
   */
  data_files?: Array<{ name: string; part: string; size: number; sha256: string }>;
}

/** A file of the data directory to carry along (its name there, and where it is now). */
export interface DataFile {
  name: string;
  source: string;
}

export interface BackupSummary {
  manifest: Manifest;
  bytes: number;
}

/** Writes `file` (refused if it exists); a failed backup leaves nothing behind. */
export async function backupStore(store: Store, filesRoot: string, file: string, banchiVersion: string, dataFiles: DataFile[] = []): Promise<BackupSummary> {
  if (fs.existsSync(file)) throw new Error(`${file} already exists`);
  const partial = `${file}.partial-${process.pid}`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-backup-'));
  const tar = new TarWriter(partial);
  try {
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      format_version: BACKUP_FORMAT_VERSION,
      banchi_version: banchiVersion,
      created: new Date().toISOString(),
      store: store.kind,
      migrations: [],
      tables: [],
      sequences: [],
      files: [],
      missing_files: [],
      data_files: [],
    };
    const keys: string[] = [];
    await store.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        // Times as UTC text, so the same database always gives the same bytes.
        await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
        manifest.migrations = await appliedMigrations(trx);
        const tables = await describeTables(trx);
        for (const [i, t] of tables.entries()) {
          const part = `db/${String(i + 1).padStart(3, '0')}-${t.name}.jsonl.gz`;
          const local = path.join(scratch, path.basename(part));
          const { rows, sha256, bytes } = await dumpTable(trx, t, local);
          await tar.addFile(part, local);
          fs.rmSync(local);
          manifest.tables.push({ name: t.name, part, rows, sha256, bytes });
          for (const s of t.sequences) {
            const r = (await sql<{ last_value: string; is_called: boolean }>`SELECT last_value::text AS last_value, is_called FROM ${sql.raw(s.sequence)}`.execute(trx)).rows[0]!;
            manifest.sequences.push({ table: t.name, column: s.column, last_value: r.last_value, is_called: r.is_called });
          }
          if (t.columns.some((c) => c.name === 'storage_key')) {
            const rows = await sql<{ k: string }>`SELECT DISTINCT storage_key AS k FROM ${ident(t.name)} WHERE storage_key IS NOT NULL`.execute(trx);
            keys.push(...rows.rows.map((r) => r.k));
          }
        }
      });
    // The files that snapshot rows name (a storage_key column, in any table), found by name under
    // files/ whatever its folder layout. Copied after the snapshot: a file is stored before its row
    // commits and removed after, so each is there and complete unless it was purged meanwhile.
    // Files no row names (an upload still in progress, leftovers) are not part of the catalog.
    const wanted = new Set(keys);
    const stored = listFiles(filesRoot).filter((p) => wanted.has(path.basename(p)));
    const present = new Set(stored.map((p) => path.basename(p)));
    manifest.missing_files = [...wanted].filter((k) => !present.has(k)).sort();
    for (const rel of stored) {
      const { size, sha256 } = await tar.addFile(`files/${rel}`, path.join(filesRoot, rel));
      manifest.files.push({ path: rel, size, sha256 });
    }
    for (const d of dataFiles) {
      if (!/^[\w.-]+$/.test(d.name) || !fs.existsSync(d.source)) continue;
      const part = `data/${d.name}`;
      const { size, sha256 } = await tar.addFile(part, d.source);
      manifest.data_files!.push({ name: d.name, part, size, sha256 });
    }
    tar.addBuffer('manifest.json', Buffer.from(JSON.stringify(manifest, null, 1)));
    tar.close();
    fs.renameSync(partial, file);
    return { manifest, bytes: fs.statSync(file).size };
  } catch (e) {
    try {
      tar.close();
    } catch {
      /* already closed */
    }
    fs.rmSync(partial, { force: true });
    throw e;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Rows in primary-key order, a page at a time (keyset), gzip'd; the hash is of the JSON lines. */
async function dumpTable(trx: Tx, t: TableInfo, target: string): Promise<{ rows: number; sha256: string; bytes: number }> {
  const hash = crypto.createHash('sha256');
  const gzip = zlib.createGzip();
  const out = fs.createWriteStream(target);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
    gzip.on('error', reject);
  });
  gzip.pipe(out);
  const pk = t.primaryKey;
  const types = new Map(t.columns.map((c) => [c.name, c.type]));
  const order = sql.raw(pk.length ? pk.map((c) => `t."${c.replace(/"/g, '""')}"`).join(', ') : 't.ctid');
  let after: string[] | null = null;
  let rows = 0;
  let bytes = 0;
  for (;;) {
    const where: ReturnType<typeof sql> = after
      ? sql`WHERE (${sql.join(pk.map((c) => sql`t.${ident(c)}`))}) > (${sql.join(pk.map((c, i) => sql`${after![i]}::${sql.raw(types.get(c)!)}`))})`
      : sql``;
    const keyList = pk.length ? sql.join(pk.map((c) => sql`t.${ident(c)}::text`)) : sql`''`;
    const limit = pk.length ? sql`LIMIT ${PAGE}` : sql``;
    const page = await sql<{ j: string; k: string[] }>`
      SELECT row_to_json(t)::text AS j, ARRAY[${keyList}] AS k FROM ${ident(t.name)} t ${where} ORDER BY ${order} ${limit}`.execute(trx);
    for (const r of page.rows) {
      const line = `${r.j}\n`;
      hash.update(line);
      bytes += Buffer.byteLength(line);
      if (!gzip.write(line)) await new Promise((resolve) => gzip.once('drain', resolve));
    }
    rows += page.rows.length;
    if (!pk.length || page.rows.length < PAGE) break;
    after = page.rows[page.rows.length - 1]!.k;
  }
  gzip.end();
  await done;
  return { rows, sha256: hash.digest('hex'), bytes };
}

/** Every regular file under root, as paths relative to it, sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}
