import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';

/**
 * Runs `fn` in at most one app process of the catalog at a time; the others skip this round
 * (answer null). A session advisory lock held on one pooled connection while `fn` runs on the
 * others; a process that dies releases it with its connection. PGlite is one process: no lock.
 */
export async function exclusive<T>(services: Services, name: string, fn: () => Promise<T>): Promise<T | null> {
  if (services.store.kind === 'pglite') return fn();
  return services.store.db.connection().execute(async (conn) => {
    const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(hashtext(${'banchi:' + name})) AS ok`.execute(conn);
    if (!got.rows[0]?.ok) return null;
    try {
      return await fn();
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${'banchi:' + name}))`.execute(conn);
    }
  });
}
