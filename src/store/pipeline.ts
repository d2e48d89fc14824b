import type { CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Store } from './db.ts';

/**
 * Statements sent together on one server connection, each answered on its own (each ends in its own
 * Sync, so one failing does not touch the other), in one round trip instead of one each: pg's
 * pipeline mode, switched on for this use only, because a connection in that mode refuses the
 * portal-keeping queries (COPY streams, cursors) other code runs on the same pool. Each result is
 * a result or the error its statement got. PostgreSQL only (the embedded store has no round trips).
 */
export async function pipelined(store: Store, queries: CompiledQuery[]): Promise<Array<pg.QueryResult<Record<string, unknown>> | Error>> {
  if (!store.pool) throw new Error('pipelined statements need a PostgreSQL server');
  const client = await store.pool.connect();
  const c = client as unknown as { pipeline: boolean };
  // A statement's error from the server (it has a severity) leaves the connection usable; any other does not.
  let broken: Error | undefined;
  try {
    c.pipeline = true;
    // pg writes each statement as it is given; held together they leave in one write (one system call).
    const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
    stream?.cork?.();
    let sent;
    try {
      sent = queries.map((q) => client.query(q.sql, q.parameters as unknown[]));
    } finally {
      stream?.uncork?.();
    }
    const settled = await Promise.allSettled(sent);
    const out = settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error)));
    broken = out.find((r): r is Error => r instanceof Error && !('severity' in r));
    return out;
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    c.pipeline = false;
    client.release(broken);
  }
}
