import { sql } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import type { Db } from '../store/db.ts';
import type { SearchRequest } from './package-search.ts';

/**
 * Answers repeated anonymous searches (the portal's default listing, popular words, facet pages)
 * without recounting every facet. An entry is valid only while the database is unchanged, and a
 * transaction snapshot (pg_current_snapshot(): xmin, xmax and the transactions in progress) names
 * that state conservatively: two equal snapshots see identical committed data, and every writing
 * transaction that ends changes xmax or the in-progress list, whatever order the writers commit
 * in. (The audit log's last row is no such name: appends take no lock, so a write with a lower seq
 * can commit after a higher one.) Unrelated writes only cost a recount. While a search re-index
 * job is pending, nothing is stored.
 */
const MAX_ENTRIES = 128;
const MAX_ROWS = 100;
const entries = new Map<string, { stamp: string; value: unknown }>();

export function cacheKey(ctx: ActionContext, req: SearchRequest): string | null {
  if (ctx.actor.kind !== 'anonymous' || req.rows > MAX_ROWS) return null;
  // View counts are flushed in bulk every few seconds (a recount would be stale in between), and NOW moves on its own.
  if (req.sortKeys.some((k) => k.column === 'popularity')) return null;
  const key = `${ctx.lang}|${JSON.stringify(req)}`;
  return /NOW/.test(key) ? null : key;
}

/**
 * The state of the committed data, as this statement's snapshot sees it: changes whenever any
 * writing transaction ends (or conservatively more often), never stays put across a commit.
 * Read it before the data it stamps, so an answer is never newer-stamped than what it saw.
 */
export async function catalogHead(db: Db): Promise<string> {
  const r = await sql<{ snap: string }>`SELECT pg_current_snapshot()::text AS snap`.execute(db);
  return r.rows[0]!.snap;
}

export async function catalogStamp(ctx: ActionContext): Promise<{ stamp: string; storable: boolean }> {
  const r = await sql<{ snap: string; pending: boolean }>`
    SELECT pg_current_snapshot()::text AS snap,
           EXISTS (SELECT 1 FROM jobs WHERE queue = 'search_index' AND state IN ('queued', 'running')) AS pending`.execute(ctx.db);
  const row = r.rows[0]!;
  return { stamp: row.snap, storable: !row.pending };
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

/** Forgets every stored answer (tests that compare two ways of answering the same search). */
export function forgetSearches(): void {
  entries.clear();
}
