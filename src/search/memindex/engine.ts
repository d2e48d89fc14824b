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
import { and, andNot, count, i32, isEmpty, keep, members, or, withArena, type Bits } from './bitset.ts';
import { evaluateNode, lookups, SetCache, visibleBits } from './plan.ts';
import { evaluate, parseTsquery, TsContext, Unsupported } from './tsquery.ts';
import { compareCodePoints, topK } from './order.ts';

/** Catalogs up to this size load inside the first search; larger ones in the background, while SQL answers. */
const INLINE_ROWS = 50_000;
/** A copy not brought up to date for this long is loaded afresh (removal notes are kept a day). */
const STALE_MS = 6 * 3600_000;

/** Searches answered each way in this process (tests check that memory answered). */
export const memCounters = { memory: 0, sql: 0, last: '' };
/** Milliseconds spent per step, summed (the benchmark prints them). */
export const memTimes: Record<string, number> = {};
export const lap = (name: string, t: number): number => {
  const now = performance.now();
  memTimes[name] = (memTimes[name] ?? 0) + now - t;
  return now;
};

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

/**
 * Relevance in tenths, as exact as PostgreSQL's numeric sum of 4, 2, 1, 0.4, 0.2, 0.1: for each
 * positive term, its matched rows split by the first tier that matches (CASE), the rest at 0.
 * Null without free text (no score); an empty list when every term is a field query (all 0).
 */
/**
 * One term's tiers, computed on demand in order (a tier is what the earlier ones left): the
 * default order often needs only the title tier of each term to fill a page.
 */
class TermLevels {
  /** Points of each level; the last is the rest of the matched rows, at 0. */
  readonly points: number[];
  private readonly queries: string[];
  private readonly sets: Bits[] = [];
  private left: Bits;
  private readonly ts: TsContext;
  constructor(t: Tiers, matched: Bits, ts: TsContext) {
    const levels: Array<[string, number]> = [[t.A, 40], [t.B, 20], [t.C, 10]];
    if (t.loose) levels.push([t.loose.A, 4], [t.loose.B, 2], [t.loose.C, 1]);
    const used = levels.filter(([q]) => q);
    this.queries = used.map(([q]) => q);
    this.points = [...used.map(([, p]) => p), 0];
    this.left = matched;
    this.ts = ts;
  }

  get(i: number): Bits {
    while (this.sets.length <= i && this.sets.length < this.queries.length) {
      const left = this.left;
      const hit = isEmpty(left) ? left : and(evaluate(parseTsquery(this.queries[this.sets.length]!), this.ts, left), left);
      this.sets.push(hit);
      this.left = andNot(left, hit);
    }
    return i < this.queries.length ? this.sets[i]! : this.left;
  }
}

type Levels = TermLevels[];

function tierSets(tiers: Array<Tiers | null>, matched: Bits, ts: TsContext): Levels | null {
  if (!tiers.length) return null;
  return tiers.filter((t): t is Tiers => t !== null).map((t) => new TermLevels(t, matched, ts));
}

/** Every matched row's score (rows outside `matched` keep 0). */
function scoreArray(cat: MemCatalog, levels: Levels): Int32Array {
  const score = i32(cat.n);
  for (const term of levels) term.points.forEach((points, i) => points && members(term.get(i)).forEach((r) => (score[r]! += points)));
  return score;
}

/** Terms whose score combinations are walked in order instead of scoring every row. */
const MAX_COMBINED_TERMS = 3;

/**
 * The rows that can be among the first k by score: whole score classes, best first, until they
 * hold k rows (a class is taken whole, so ties are then broken by the other sort keys). Their
 * scores are written to `score`. Null when there are too many terms to combine.
 */
function bestClasses(levels: Levels, k: number, score: Int32Array): Bits | null {
  if (levels.length > MAX_COMBINED_TERMS) return null;
  let combos: Array<{ total: number; at: number[] }> = [{ total: 0, at: [] }];
  for (const term of levels) combos = combos.flatMap((c) => term.points.map((p, i) => ({ total: c.total + p, at: [...c.at, i] })));
  combos.sort((a, b) => b.total - a.total);
  let taken: Bits | null = null;
  let n = 0;
  for (let i = 0; i < combos.length; ) {
    const total = combos[i]!.total;
    for (; i < combos.length && combos[i]!.total === total; i++) {
      const at = combos[i]!.at;
      let bits = levels[0]!.get(at[0]!);
      for (let j = 1; j < at.length && !isEmpty(bits); j++) bits = and(bits, levels[j]!.get(at[j]!));
      const rows = members(bits);
      if (!rows.length) continue;
      for (const r of rows) score[r] = total;
      n += rows.length;
      taken = taken ? or(taken, bits) : bits;
    }
    if (n >= k) break;
  }
  return taken;
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
  let t = performance.now();
  const cat = await current(ctx);
  if (!cat) return no('not loaded');
  t = lap('sync', t);
  const h = holderOf(ctx.services.store);
  // Names to ids (organisations, groups, the organisation tree), from the database as SQL reads them.
  for (const node of lookups(query.mem)) {
    const r = await sql<{ ids: string[] }>`SELECT coalesce(array_agg(x.id::text), '{}') AS ids FROM (${node.query!}) x(id)`.execute(ctx.db);
    node.ids = r.rows[0]!.ids;
  }
  // Every set of this search lives in one synchronous stretch, on buffers handed back at its end.
  const answer = withArena(() => {
    try {
      const visKey = JSON.stringify(rule);
      const visible = h.cache.get(cat, `vis:${visKey}`, () => visibleBits(cat, rule));
      const ts = new TsContext(cat.segments(), cat.n);
      t = lap('lookups', t);
      const matched = and(visible, evaluateNode(cat, query.mem!, h.cache, ts));
      t = lap('match', t);
      const levels = tierSets(query.tiers, matched, ts);
      t = lap('score', t);
      const rows = members(matched);
      const ids = req.rows > 0 ? page(cat, rows, levels, req) : [];
      t = lap('page', t);
      const counted = req.facetFields.length ? countFacets(cat, matched, rows, visible, visKey, req) : null;
      return { count: rows.length, ids, counted };
    } catch (e) {
      if (e instanceof Unsupported) return e;
      throw e;
    }
  });
  if (answer instanceof Unsupported) return no(answer.message);
  const { count: n, ids, counted } = answer;
  const facets = counted ? await facetRows(ctx, cat, counted, req) : [];
  lap('facets', t);
  return { count: n, ids, facets };
}

function page(cat: MemCatalog, all: Int32Array, levels: Levels | null, req: MemRequest): string[] {
  const k = req.start + req.rows;
  let rows = all;
  let score: Int32Array | null = null;
  if (levels && levels.length) {
    const first = req.sortKeys[0];
    // The default order (score first): only the best score classes can hold the page.
    const best = first?.column === 'score' && first.desc && all.length > k ? bestClasses(levels, k, (score = i32(cat.n))) : null;
    if (best) rows = members(best);
    else score = scoreArray(cat, levels);
  }
  const values: Record<string, (a: number, b: number) => number> = {
    metadata_modified: (a, b) => cat.modified[a]! - cat.modified[b]!,
    metadata_created: (a, b) => cat.created[a]! - cat.created[b]!,
    title: (a, b) => compareCodePoints(cat.title[a]!, cat.title[b]!),
    name: (a, b) => compareCodePoints(cat.name[a]!, cat.name[b]!),
  };
  const byId = (a: number, b: number) => (cat.ids[a]! < cat.ids[b]! ? -1 : cat.ids[a]! > cat.ids[b]! ? 1 : 0);
  const keys: Array<(a: number, b: number) => number> = [];
  const real = req.sortKeys.filter((k) => k.column !== 'score' || score);
  for (const [i, k] of real.entries()) {
    const dir = k.desc ? -1 : 1;
    if (k.column === 'score') {
      const sc = score!;
      keys.push((a, b) => dir * (sc[a]! - sc[b]!));
      continue;
    }
    const value = values[k.column];
    if (!value) throw new Error(`sort ${k.column}`);
    const rank = i === real.length - 1 ? cat.ranks.get(`${k.column}:${k.desc}`) : undefined;
    const base = cat.baseRows;
    // The last key: base rows compare by their precomputed rank (value, then id), others by value then id.
    if (rank) keys.push((a, b) => (a < base && b < base ? rank[a]! - rank[b]! : dir * value(a, b) || byId(a, b)));
    else keys.push((a, b) => dir * value(a, b));
  }
  // Ties go by id, as `ORDER BY …, m.id` does (a uuid orders as its lower-case hex).
  keys.push(byId);
  const cmp = (a: number, b: number) => {
    for (const k of keys) {
      const c = k(a, b);
      if (c) return c;
    }
    return 0;
  };
  return topK(rows, k, cmp).slice(req.start).map((r) => cat.ids[r]!);
}

/** facetSql's rows: values other than NULL and '' (lists: every element), top `limit` by count then value. */
/** Counts of one facet's values (by dictionary code) over these rows. */
function countFacet(cat: MemCatalog, f: FacetField, rows: ArrayLike<number>): Int32Array<ArrayBuffer> {
  const counts = i32((f === 'organization' || f === 'groups' ? cat.uuid : cat.text).values.length);
  if (f === 'tags' || f === 'res_format' || f === 'groups') {
    const { start, vals } = cat.lists[f === 'tags' ? 'tags' : f === 'res_format' ? 'res_formats' : 'group_ids'];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      for (let k = start[r]!, end = start[r + 1]!; k < end; k++) counts[vals[k]!]!++;
    }
  } else {
    const col = f === 'organization' ? cat.owner : cat.scalar[f];
    for (let i = 0; i < rows.length; i++) {
      const c = col[rows[i]!]!;
      if (c >= 0) counts[c]!++;
    }
  }
  return counts;
}

/** Facet counts over everything a visibility class sees, per catalog version: a broad match is counted as that minus the rest. */
const classCounts = new WeakMap<MemCatalog, { version: number; counts: Map<string, Int32Array<ArrayBuffer>> }>();

function visibleCounts(cat: MemCatalog, visKey: string, visible: Bits, f: FacetField): Int32Array {
  let entry = classCounts.get(cat);
  if (!entry || entry.version !== cat.version) classCounts.set(cat, (entry = { version: cat.version, counts: new Map() }));
  const key = `${f}|${visKey}`;
  let counts = entry.counts.get(key);
  if (!counts) {
    if (entry.counts.size >= 256) entry.counts.clear();
    entry.counts.set(key, (counts = keep(countFacet(cat, f, members(visible)))));
  }
  return counts;
}

function countFacets(cat: MemCatalog, matched: Bits, rows: Int32Array, visible: Bits, visKey: string, req: MemRequest): Map<FacetField, Map<number, number>> {
  // A match of most of what the caller sees is counted as the whole class minus the rows it leaves out.
  let rest: Int32Array | null = null;
  const visibleRows = count(visible);
  if (rows.length * 2 > visibleRows) rest = members(andNot(visible, matched));
  const counted = new Map<FacetField, Map<number, number>>();
  for (const f of req.facetFields) {
    let counts: Int32Array;
    if (rest) {
      const whole = visibleCounts(cat, visKey, visible, f);
      counts = i32(whole.length, false);
      counts.set(whole);
      const minus = countFacet(cat, f, rest);
      for (let c = 0; c < counts.length; c++) counts[c]! -= minus[c]!;
    } else counts = countFacet(cat, f, rows);
    const m = new Map<number, number>();
    for (let c = 0; c < counts.length; c++) if (counts[c]) m.set(c, counts[c]!);
    counted.set(f, m);
  }
  return counted;
}

async function facetRows(ctx: ActionContext, cat: MemCatalog, counted: Map<FacetField, Map<number, number>>, req: MemRequest): Promise<FacetRow[]> {
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
