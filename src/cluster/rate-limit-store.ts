import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

type Result = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Result) => void;

/**
 * A store for @fastify/rate-limit in the `rate_limits` table (migration 019), so the sign-in
 * pages' request limit holds across every app process of one catalog instead of multiplying
 * by their number. A fixed window per key, counted in one statement (row-locked by the upsert)
 * on the database's clock, so processes on machines with drifting clocks agree.
 */
export function sharedRateLimitStore(db: Db) {
  let calls = 0;
  return class SharedRateLimitStore {
    private readonly prefix: string;
    constructor(_options?: unknown, prefix = 'global|') {
      this.prefix = prefix;
    }

    incr(key: string, cb: Callback, timeWindow: number): void {
      const k = (this.prefix + key).slice(0, 300);
      const ms = Math.max(1, Math.trunc(timeWindow));
      sql<{ hits: number; ttl: number }>`
        INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES (${k}, 1, now() + make_interval(secs => ${ms / 1000}))
        ON CONFLICT (key) DO UPDATE SET
          hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
          reset_at = CASE WHEN r.reset_at <= now() THEN EXCLUDED.reset_at ELSE r.reset_at END
        RETURNING hits, GREATEST(0, ceil(extract(epoch FROM (reset_at - now())) * 1000))::int AS ttl`
        .execute(db)
        .then((r) => {
          const row = r.rows[0]!;
          cb(null, { current: Number(row.hits), ttl: Number(row.ttl) });
          // Expired windows are dropped now and then, by whichever process counts.
          if (++calls % 200 === 0) void sql`DELETE FROM rate_limits WHERE reset_at < now() - interval '1 hour'`.execute(db).catch(() => undefined);
        }, (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    }

    read(key: string, cb: Callback): void {
      const k = (this.prefix + key).slice(0, 300);
      sql<{ hits: number; ttl: number }>`
        SELECT hits, GREATEST(0, ceil(extract(epoch FROM (reset_at - now())) * 1000))::int AS ttl FROM rate_limits WHERE key = ${k} AND reset_at > now()`
        .execute(db)
        .then((r) => cb(null, r.rows[0] ? { current: Number(r.rows[0].hits), ttl: Number(r.rows[0].ttl) } : { current: 0, ttl: 0 }), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    }

    /** One counter per route, as the plugin's own stores keep. */
    child(routeOptions: object): SharedRateLimitStore {
      const info = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ?? {};
      const method = Array.isArray(info.method) ? info.method.join(',') : (info.method ?? '');
      return new SharedRateLimitStore(undefined, `${method}${info.url ?? ''}|`);
    }
  };
}
