import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';

/**
 * Runs `fn` in at most one app process of the catalog at a time; the others skip this round
 * (answer null). A transaction-level advisory lock, held by a transaction that stays open (and
 * writes nothing, so it holds back no snapshot) while `fn` runs on other connections: it works
 * through a pooler in transaction mode, and a process that dies releases it with its connection.
 * PGlite is one process (and one connection): no lock.
 */
export async function exclusive<T>(services: Services, name: string, fn: () => Promise<T>): Promise<T | null> {
  if (services.store.kind === 'pglite') return fn();
  return services.store.db.transaction().execute(async (tx) => {
    const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext(${'banchi:' + name})) AS ok`.execute(tx);
    return got.rows[0]?.ok ? fn() : null;
  });
}
