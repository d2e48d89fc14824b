import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Database } from './schema.ts';
import { PGlitePool } from './pglite-pool.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type StoreKind = 'pglite' | 'postgres';

export interface Store {
  db: Db;
  kind: StoreKind;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… for a server; otherwise PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' (or empty) for an in-memory store. */
  dataDir?: string;
}

// bigint counts come back as numbers: no count in a catalog nears 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export class StoreBusyError extends Error {}

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl) {
    // JIT compilation costs hundreds of milliseconds on catalog-sized queries and never pays back here.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, options: '-c jit=off' });
    // An idle connection the server closes (restart, failover) must not take the process down;
    // the pool replaces it on the next checkout.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL idle connection closed: ${err.message}`));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = opts.dataDir && opts.dataDir !== 'memory://' ? path.join(opts.dataDir, 'pgdata') : undefined;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    await takePGliteLock(dir);
  }
  const pglite = await PGlite.create(dir, {
    extensions: { pg_trgm },
    parsers: { [pgliteTypes.INT8]: (v: string) => Number(v) },
  });
  const pool = new PGlitePool(pglite);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as never }) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      if (dir) releasePGliteLock(dir);
    },
  };
}

/**
 * PGlite is single-process: a second process opening the same directory would corrupt it.
 * A lock file with the owner's pid turns that into a clear error.
 */
async function takePGliteLock(dir: string): Promise<void> {
  const lock = path.join(dir, '..', 'banchi.lock');
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new StoreBusyError(
        `The embedded store in ${path.dirname(lock)} is in use by process ${pid} (a running "banchi serve"?). ` +
          'PGlite allows one process at a time: stop the server first, or set DATABASE_URL to use PostgreSQL.',
      );
    }
  } catch (e) {
    if (e instanceof StoreBusyError) throw e;
  }
  fs.writeFileSync(lock, String(process.pid));
}

function releasePGliteLock(dir: string): void {
  const lock = path.join(dir, '..', 'banchi.lock');
  try {
    if (Number(fs.readFileSync(lock, 'utf8')) === process.pid) fs.unlinkSync(lock);
  } catch {
    /* already gone */
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
