import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Database } from './schema.ts';
import { PGlitePool } from './pglite-pool.ts';
import { BanchiPostgresDialect } from './migration-lock.ts';
import { usePreparedStatements } from './prepared.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type StoreKind = 'pglite' | 'postgres';

export interface Store {
  db: Db;
  kind: StoreKind;
  /** The embedded instance, for what Kysely cannot say (COPY FROM a blob in src/datastore). */
  pglite?: PGlite;
  /** The server's connection pool, for what Kysely cannot say (statements sent together: pipeline.ts). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… for a server; otherwise PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' (or empty) for an in-memory store. */
  dataDir?: string;
  /** Named prepared statements for the hot statements that ask for them (prepared.ts); on unless false. */
  preparedStatements?: boolean;
  /** Connections to a PostgreSQL server at most (BANCHI_PG_POOL_SIZE; default 10). */
  poolSize?: number;
  /** How long opening one PostgreSQL connection may take (CONNECT_TIMEOUT_MS unless given). */
  connectTimeoutMs?: number;
}

/**
 * A server that accepts TCP and never answers (a hung PostgreSQL, a firewall that swallows the
 * handshake) would otherwise hold every request that needs a new connection forever. Bounds the
 * connection's opening only (TCP, TLS, start-up, authentication), never a query nor the wait for a
 * free pooled connection: nothing is added to a statement's round trip.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

function timedClient(ms: number): typeof pg.Client {
  return class TimedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: ms });
      const connect = this.connect.bind(this) as (cb: (err: Error | null) => void) => void;
      // The driver says "timeout expired": said as the network failure it is (ETIMEDOUT), so the
      // CLI and the server print the one-line store error (storeOpenProblem in src/config.ts).
      (this as { connect: unknown }).connect = (cb?: (err: Error | null) => void) => {
        const said = (err: Error | null) => (err?.message === 'timeout expired' ? Object.assign(new Error(`the server accepted the connection but did not answer within ${ms / 1000} s (connect timeout)`, { cause: err }), { code: 'ETIMEDOUT' }) : err);
        if (cb) return connect((err) => cb(said(err)));
        return new Promise<void>((resolve, reject) => connect((err) => (err ? reject(said(err)) : resolve())));
      };
    }
  } as typeof pg.Client;
}

// bigint counts come back as numbers: no count in a catalog nears 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** Another live process holds the embedded store; `msg` is what the CLI prints (Thai or English). */
export class StoreBusyError extends Error {
  readonly msg: { th: string; en: string };
  constructor(msg: { th: string; en: string }) {
    super(msg.en);
    this.msg = msg;
  }
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl) {
    // JIT compilation costs hundreds of milliseconds on catalog-sized queries and never pays back here.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10, options: '-c jit=off', Client: timedClient(opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS) });
    // An idle connection the server closes (restart, failover) must not take the process down;
    // the pool replaces it on the next checkout.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL idle connection closed: ${err.message}`));
    if (opts.preparedStatements !== false) usePreparedStatements(pool);
    const db = new Kysely<Database>({ dialect: new BanchiPostgresDialect(pool) }); // pooler-safe migration lock
    return { db, kind: 'postgres', pool, close: () => db.destroy() };
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
    pglite,
    close: async () => {
      await db.destroy();
      if (dir) releasePGliteLock(dir);
    },
  };
}

/**
 * PGlite is single-process: a second process opening the same directory would corrupt it.
 * A lock file with the owner's pid turns that into a clear error. A process killed with -9 leaves
 * its lock behind; that lock is stale once its process is gone, and PGlite itself recovers the
 * data directory from its write-ahead log on the next open (test/cli/crash.test.ts). The lock also
 * holds the owner's start time where the system tells it (Linux), so a pid reused by an unrelated
 * process after a restart is not taken for the owner.
 */
async function takePGliteLock(dir: string): Promise<void> {
  const lock = path.join(dir, '..', 'banchi.lock');
  let held: string | undefined;
  try {
    held = fs.readFileSync(lock, 'utf8');
  } catch {
    /* no lock */
  }
  if (held !== undefined) {
    const [pidText, started] = held.trim().split(/\s+/);
    const pid = Number(pidText);
    if (pid && pid !== process.pid && isAlive(pid) && (started === undefined || startTime(pid) === undefined || startTime(pid) === started)) {
      throw new StoreBusyError({
        th: `ฐานข้อมูลฝังตัวใน ${path.dirname(lock)} กำลังถูกใช้โดยโปรเซส ${pid} ("banchi serve" ที่ยังทำงานอยู่?) ` +
          'PGlite ใช้ได้ทีละโปรเซส: หยุดเซิร์ฟเวอร์ก่อน หรือตั้ง DATABASE_URL เพื่อใช้ PostgreSQL',
        en: `The embedded store in ${path.dirname(lock)} is in use by process ${pid} (a running "banchi serve"?). ` +
          'PGlite allows one process at a time: stop the server first, or set DATABASE_URL to use PostgreSQL.',
      });
    }
  }
  const me = startTime(process.pid);
  fs.writeFileSync(lock, me === undefined ? String(process.pid) : `${process.pid} ${me}`);
}

function releasePGliteLock(dir: string): void {
  const lock = path.join(dir, '..', 'banchi.lock');
  try {
    if (Number(fs.readFileSync(lock, 'utf8').trim().split(/\s+/)[0]) === process.pid) fs.unlinkSync(lock);
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

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), where there is /proc. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
