/**
 * package_search from the in-memory copy (catalog.ts): the same count, page order and facet
 * counts as the SQL statement in package-search.ts, which stays the reference and the fallback.
 * Returns null whenever the copy cannot answer exactly (see README.md), and the caller runs SQL.
 */
import { sql } from 'kysely';
import type { ActionContext } from '../../actions/context.ts';
import type { Store } from '../../store/db.ts';
import type { VisibilityRule } from '../../access/visibility.ts';
import type { FacetField, FacetRow } from '../facets.ts';
import type { CompiledQuery, Tiers } from '../query-sql.ts';
import { MemCatalog } from './catalog.ts';
import { and, andInPlace, count, members, type Bits } from './bitset.ts';
import { evaluateNode, lookups, SetCache, visibleBits } from './plan.ts';
import { evaluate, parseTsquery, TsContext, Unsupported } from './tsquery.ts';
import { compareCodePoints, topK } from './order.ts';

/** Catalogs up to this size load inside the first search; larger ones in the background, while SQL answers. */
const INLINE_ROWS = 50_000;
/** A copy not brought up to date for this long is loaded afresh (removal notes are kept a day). */
const STALE_MS = 6 * 3600_000;

/** Searches answered each way in this process (tests check that memory answered). */
export const memCounters = { memory: 0, sql: 0, last: '' };

export function memorySearchEnabled(): boolean {
  return (process.env.BANCHI_SEARCH_MEMORY ?? 'on') !== 'off';
}

interface Holder {
  cat: MemCatalog | null;
  loading: Promise<MemCatalog | null> | null;
  collation: boolean | null;
  cache: SetCache;
  failures: number;
}
const holders = new WeakMap<Store, Holder>();

function holderOf(store: Store): Holder {
  let h = holders.get(store);
  if (!h) holders.set(store, (h = { cat: null, loading: null, collation: null, cache: new SetCache(), failures: 0 }));
  return h;
}

/** What the statistics page and the benchmark print. */
export function memStats(store: Store): { rows: number; live: number; changed: number; bytes: number; loadedAt: number } | null {
  const cat = holders.get(store)?.cat;
  if (!cat) return null;
  return { rows: cat.n, live: cat.ordOf.size, changed: cat.changed, bytes: cat.bytes(), loadedAt: cat.loadedAt };
}

function startLoad(h: Holder, db: Parameters<typeof MemCatalog.load>[0]): Promise<MemCatalog | null> {
  h.loading ??= MemCatalog.load(db).then(
    (cat) => {
      h.cat = cat;
      h.loading = null;
      h.failures = 0;
      return cat;
    },
    () => {
      h.loading = null;
      h.failures++;
      return null;
    },
  );
  return h.loading;
}

/** Loads the copy now (the benchmark, after a bulk load) and waits for it. */
export async function warmMemIndex(store: Store): Promise<void> {
  const h = holderOf(store);
  h.cat = null;
  await startLoad(h, store.db);
}

/** A catalog brought up to what `ctx.db` sees now, or null (SQL answers meanwhile). */
async function current(ctx: ActionContext): Promise<MemCatalog | null> {
  const store = ctx.services.store;
  const h = holderOf(store);
  if (h.collation === null) {
    // Titles and facet values are ordered by code point in memory: so must the database order them.
    const r = await sql<{ c: string }>`SELECT datcollate AS c FROM pg_database WHERE datname = current_database()`.execute(ctx.db);
    h.collation = ['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(r.rows[0]?.c ?? '');
  }
  if (!h.collation || h.failures > 3) return null;
  let cat = h.cat;
  if (cat && Date.now() - cat.lastSync > STALE_MS) cat = h.cat = null;
  if (cat) {
    const s = await cat.sync(ctx.db);
    if (s === 'ok') return cat;
    if (s === 'own-writes') return null;
    h.cat = null;
  }
  if (h.loading) return null;
  const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT 1 FROM dataset_search LIMIT ${INLINE_ROWS + 1}) x`.execute(ctx.db);
  if (n.rows[0]!.n > INLINE_ROWS) {
    void startLoad(h, store.db);
    return null;
  }
  // Small catalogs load inside the search, in its own transaction's view.
  const loaded = await MemCatalog.load(ctx.db);
  h.cat = loaded;
  return loaded;
}

export interface MemSortKey {
  column: string;
  desc: boolean;
}

export interface MemRequest {
  rows: number;
  start: number;
  sortKeys: MemSortKey[];
  facetFields: FacetField[];
  facetLimit: number | null;
  facetMincount: number;
}

/** Relevance in tenths, as exact as PostgreSQL's numeric sum of 4, 2, 1, 0.4, 0.2, 0.1. */
function scores(cat: MemCatalog, tiers: Array<Tiers | null>, matched: Bits, ts: TsContext): Int32Array | null {
  const real = tiers.filter((t): t is Tiers => t !== null);
  if (!tiers.length) return null;
  const score = new Int32Array(cat.n);
  for (const t of real) {
    const levels: Array<[string, number]> = [[t.A, 40], [t.B, 20], [t.C, 10]];
    if (t.loose) levels.push([t.loose.A, 4], [t.loose.B, 2], [t.loose.C, 1]);
    let left = matched.slice();
    for (const [q, points] of levels) {
      if (!q) continue;
      const hit = andInPlace(evaluate(parseTsquery(q), ts, left), left);
      for (const r of members(hit)) score[r]! += points;
      // CASE takes the first tier that matches.
      for (let i = 0; i < left.length; i++) left[i]! &= ~hit[i]!;
      if (!count(left)) break;
    }
  }
  return score;
}

export interface MemAnswer {
  count: number;
  ids: string[];
  facets: FacetRow[];
}

export async function memSearch(ctx: ActionContext, query: CompiledQuery, rule: VisibilityRule, req: MemRequest): Promise<MemAnswer | null> {
  const no = (why: string) => {
    memCounters.last = why;
    return null;
  };
  if (query.fuzzyTexts.length) return no('fuzzy');
  if (!query.mem) return no('condition');
  if (req.sortKeys.some((k) => k.column === 'popularity')) return no('popularity');
  const cat = await current(ctx);
  if (!cat) return no('not loaded');
  const h = holderOf(ctx.services.store);
  // Names to ids (organisations, groups, the organisation tree), from the database as SQL reads them.
  for (const node of lookups(query.mem)) {
    const r = await sql<{ ids: string[] }>`SELECT coalesce(array_agg(x.id::text), '{}') AS ids FROM (${node.query!}) x(id)`.execute(ctx.db);
    node.ids = r.rows[0]!.ids;
  }
  let matched: Bits;
  let score: Int32Array | null;
  try {
    const visible = h.cache.get(cat, `vis:${JSON.stringify(rule)}`, () => visibleBits(cat, rule));
    const ts = new TsContext(cat.segments(), cat.n);
    matched = and(visible, evaluateNode(cat, query.mem, h.cache, ts));
    score = scores(cat, query.tiers, matched, ts);
  } catch (e) {
    if (e instanceof Unsupported) return no(e.message);
    throw e;
  }
  const rows = members(matched);
  const ids = req.rows > 0 ? page(cat, rows, score, req) : [];
  const facets = req.facetFields.length ? await facetRows(ctx, cat, rows, req) : [];
  return { count: rows.length, ids, facets };
}

function page(cat: MemCatalog, rows: Int32Array, score: Int32Array | null, req: MemRequest): string[] {
  const keys: Array<(a: number, b: number) => number> = [];
  for (const k of req.sortKeys) {
    const dir = k.desc ? -1 : 1;
    if (k.column === 'score') {
      if (score) keys.push((a, b) => dir * (score[a]! - score[b]!));
    } else if (k.column === 'metadata_modified') keys.push((a, b) => dir * (cat.modified[a]! - cat.modified[b]!));
    else if (k.column === 'metadata_created') keys.push((a, b) => dir * (cat.created[a]! - cat.created[b]!));
    else if (k.column === 'title') keys.push((a, b) => dir * compareCodePoints(cat.title[a]!, cat.title[b]!));
    else if (k.column === 'name') keys.push((a, b) => dir * compareCodePoints(cat.name[a]!, cat.name[b]!));
    else throw new Error(`sort ${k.column}`);
  }
  // Ties go by id, as `ORDER BY …, m.id` does (a uuid orders as its lower-case hex).
  keys.push((a, b) => (cat.ids[a]! < cat.ids[b]! ? -1 : cat.ids[a]! > cat.ids[b]! ? 1 : 0));
  const cmp = (a: number, b: number) => {
    for (const k of keys) {
      const c = k(a, b);
      if (c) return c;
    }
    return 0;
  };
  return topK(rows, req.start + req.rows, cmp).slice(req.start).map((r) => cat.ids[r]!);
}

/** facetSql's rows: values other than NULL and '' (lists: every element), top `limit` by count then value. */
async function facetRows(ctx: ActionContext, cat: MemCatalog, rows: Int32Array, req: MemRequest): Promise<FacetRow[]> {
  // Counts by dictionary code in typed arrays: a broad match at a million rows is a few million increments.
  const counted = new Map<FacetField, Map<number, number>>();
  for (const f of req.facetFields) {
    const uuidCoded = f === 'organization' || f === 'groups';
    const counts = new Int32Array((uuidCoded ? cat.uuid : cat.text).values.length);
    const touched: number[] = [];
    if (f === 'tags' || f === 'res_format' || f === 'groups') {
      const { start, vals } = cat.lists[f === 'tags' ? 'tags' : f === 'res_format' ? 'res_formats' : 'group_ids'];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        for (let k = start[r]!, end = start[r + 1]!; k < end; k++) if (counts[vals[k]!]!++ === 0) touched.push(vals[k]!);
      }
    } else {
      const col = f === 'organization' ? cat.owner : cat.scalar[f];
      for (let i = 0; i < rows.length; i++) {
        const c = col[rows[i]!]!;
        if (c >= 0 && counts[c]!++ === 0) touched.push(c);
      }
    }
    counted.set(f, new Map(touched.map((c) => [c, counts[c]!])));
  }
  const uuids = [...new Set([...(counted.get('organization')?.keys() ?? []), ...(counted.get('groups')?.keys() ?? [])])].map((c) => cat.uuid.values[c]!);
  const groups = new Map<string, { name: string; title: string | null; state: string }>();
  if (uuids.length) {
    const r = await sql<{ id: string; name: string; title: string | null; state: string }>`SELECT g.id::text AS id, g.name, g.title, g.state FROM groups g WHERE g.id = ANY(${uuids}::uuid[])`.execute(ctx.db);
    for (const g of r.rows) groups.set(g.id, g);
  }
  const out: FacetRow[] = [];
  for (const f of [...req.facetFields].sort()) {
    const items: FacetRow[] = [];
    for (const [c, n] of counted.get(f)!) {
      if (n < req.facetMincount) continue;
      if (f === 'organization') {
        const id = cat.uuid.values[c]!;
        const g = groups.get(id);
        items.push({ k: f, v: g?.name ?? id, label: g?.title ?? null, n });
      } else if (f === 'groups') {
        const g = groups.get(cat.uuid.values[c]!);
        if (g && g.state === 'active') items.push({ k: f, v: g.name, label: g.title, n });
      } else {
        const v = cat.text.values[c]!;
        if (v === '' && f !== 'tags' && f !== 'res_format') continue;
        items.push({ k: f, v, label: null, n });
      }
    }
    items.sort((a, b) => b.n - a.n || compareCodePoints(a.v, b.v));
    out.push(...(req.facetLimit === null ? items : items.slice(0, req.facetLimit)));
  }
  return out;
}
