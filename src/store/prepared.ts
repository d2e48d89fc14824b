import crypto from 'node:crypto';
import type pg from 'pg';
import { sql } from 'kysely';

/**
 * Named prepared statements for the few statements sent on every write or hot read (the audit
 * append, the dataset-with-rights lookup, the gateway's agreement lookup): a query whose text starts
 * with PREPARED is parsed and planned once per server connection instead of on every call. Only
 * statements whose text does not grow with ids or table names may use it, so a connection keeps a
 * handful. Measured on the audit append: a third less database CPU per write.
 * Poolers in transaction mode need protocol-level prepared statement support for this (PgBouncer
 * 1.21+ with max_prepared_statements); BANCHI_PG_PREPARED_STATEMENTS=off turns it off.
 */
export const PREPARED = '/* prepared */ ';
/** The same marker as a fragment, to begin a sql`` template with. */
export const PREPARED_SQL = sql.raw(PREPARED);

const names = new Map<string, string>();
function nameOf(text: string): string {
  let n = names.get(text);
  if (!n) names.set(text, (n = `banchi_${crypto.hash('sha256', text, 'hex').slice(0, 24)}`));
  return n;
}

/**
 * Besides the marked statements, every parameterised statement is kept prepared on its connection,
 * the most recent LRU_SIZE of them (a page sends a dozen short lookups; their parse and plan were
 * a quarter of PostgreSQL's CPU per request in bench:load). Left out, always planned anew:
 * statements over DataStore tables (a reload replaces a table and may change its columns' types, which a
 * prepared statement cannot follow) and full-text matches (`@@`), whose good plan depends on how
 * common the words are.
 */
const LRU_SIZE = 128;
const UNPREPARED = /\bdatastore"?\.|@@/;

export function keepsPrepared(text: string): boolean {
  return !UNPREPARED.test(text);
}

/** Makes every client the pool creates send PREPARED statements, and recent parameterised ones, as named statements. */
export function usePreparedStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    // Insertion order is recency: a hit is moved to the end, the first entry is the least recent.
    // Names are never reused on a connection, so a statement queued behind its own eviction is safe.
    const recent = new Map<string, string>();
    let seq = 0;
    (client as { query: unknown }).query = (text: unknown, values?: unknown, cb?: unknown) => {
      if (typeof text !== 'string') return query(text, values, cb);
      if (text.startsWith(PREPARED)) return query({ name: nameOf(text), text, values }, cb);
      if (!Array.isArray(values) || !values.length || !keepsPrepared(text)) return query(text, values, cb);
      let name = recent.get(text);
      if (name) recent.delete(text);
      else {
        name = `banchi_r${++seq}`;
        if (recent.size >= LRU_SIZE) {
          const [oldText, oldName] = recent.entries().next().value as [string, string];
          recent.delete(oldText);
          forget(client, oldName);
        }
      }
      recent.set(text, name);
      return query({ name, text, values }, cb);
    };
  });
}

/** DEALLOCATE on the server (queued after what runs on the connection now), then out of pg's own record. */
function forget(client: pg.PoolClient, name: string): void {
  const parsed = (client as unknown as { connection?: { parsedStatements?: Record<string, unknown> } }).connection?.parsedStatements;
  (client.query(`DEALLOCATE ${name}`) as unknown as Promise<unknown>).then(
    () => {
      if (parsed) delete parsed[name];
    },
    () => undefined,
  );
}
