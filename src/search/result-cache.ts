import { sql } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import type { Db } from '../store/db.ts';
import type { SearchRequest } from './package-search.ts';

/**
 * Answers repeated anonymous searches (the portal's default listing, popular words, facet pages)
 * without recounting every facet. An entry is valid only while the catalog is unchanged, and the
 * catalog's state has an exact name: the head of the audit hash chain. Every write that can change
 * what an anonymous caller sees (datasets, resources, groups, organisations) appends to the chain
 * in its own transaction, under a lock held until commit, so the head moves exactly when such a
 * write commits. While a search re-index job is pending, nothing is stored.
 */
const MAX_ENTRIES = 128;
const MAX_ROWS = 100;
const entries = new Map<string, { stamp: string; value: unknown }>();

export function cacheKey(ctx: ActionContext, req: SearchRequest): string | null {
  if (ctx.actor.kind !== 'anonymous' || req.rows > MAX_ROWS) return null;
  // View counts change without a write to the chain, and NOW moves on its own.
  if (req.sortKeys.some((k) => k.column === 'popularity')) return null;
  const key = `${ctx.lang}|${JSON.stringify(req)}`;
  return /NOW/.test(key) ? null : key;
}

/** The head of the audit chain: changes exactly when a write that others could notice commits. */
export async function catalogHead(db: Db): Promise<string> {
  const r = await db.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return r?.hash ?? '';
}

export async function catalogStamp(ctx: ActionContext): Promise<{ stamp: string; storable: boolean }> {
  const r = await sql<{ head: string | null; pending: boolean }>`
    SELECT (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS head,
           EXISTS (SELECT 1 FROM jobs WHERE queue = 'search_index' AND state IN ('queued', 'running')) AS pending`.execute(ctx.db);
  const row = r.rows[0]!;
  return { stamp: row.head ?? '', storable: !row.pending };
}

export function cached<T>(key: string, stamp: string): T | undefined {
  const hit = entries.get(key);
  if (!hit || hit.stamp !== stamp) return undefined;
  entries.delete(key);
  entries.set(key, hit); // most recently used last
  return structuredClone(hit.value) as T; // callers may shape what they get
}

export function remember(key: string, stamp: string, value: unknown): void {
  entries.delete(key);
  entries.set(key, { stamp, value: structuredClone(value) });
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
}
