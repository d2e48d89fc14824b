import { PostgresAdapter, PostgresDialect } from 'kysely';
import type pg from 'pg';

/**
 * Kysely's migrator takes a session-level advisory lock on one connection and releases it later on
 * "the same" connection; through a pooler in transaction mode (PgBouncer) those two statements can
 * reach different server connections, so the lock stays held and the next start waits an hour. Here
 * the lock is a transaction-level one, held by a transaction of its own on a separate pool client
 * for as long as the migrations run: app servers starting together still migrate one at a time,
 * with or without a pooler. (Same lock id as Kysely's, so an older banchi still excludes this one.)
 */
const LOCK_ID = '3853314791062309107';

class PoolerSafeAdapter extends PostgresAdapter {
  private readonly pool: pg.Pool;
  private held: pg.PoolClient | null = null;
  constructor(pool: pg.Pool) {
    super();
    this.pool = pool;
  }

  override async acquireMigrationLock(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SET LOCAL lock_timeout = '1h'");
      await client.query(`SELECT pg_advisory_xact_lock(${LOCK_ID})`);
    } catch (e) {
      client.release(true);
      throw e;
    }
    this.held = client;
  }

  override async releaseMigrationLock(): Promise<void> {
    const client = this.held;
    this.held = null;
    if (!client) return;
    try {
      await client.query('COMMIT');
      client.release();
    } catch {
      client.release(true); // a broken connection ends its transaction, and the lock with it
    }
  }
}

export class BanchiPostgresDialect extends PostgresDialect {
  private readonly lockPool: pg.Pool;
  constructor(pool: pg.Pool) {
    super({ pool });
    this.lockPool = pool;
  }

  override createAdapter(): PostgresAdapter {
    return new PoolerSafeAdapter(this.lockPool);
  }
}
