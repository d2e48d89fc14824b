/**
 * One process's copy of `dataset_search`: columns by row ordinal, and posting lists for the
 * documents. A row that changes gets a new ordinal at the end (the old one is marked dead), so
 * posting lists only ever grow at their ends; once changed rows pass a share of the base, the
 * whole copy is loaded again.
 *
 * Freshness (migration 029): before answering, `sync` reads, in one statement and so in one
 * snapshot, every row whose writing transaction the last snapshot could not see (xid ≥ its xmax,
 * or in its in-progress list) and every id deleted by such a transaction. Whatever order writers
 * commit in, and whichever process wrote, a search sees every change committed before it began.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { BasePostings, DeltaPostings, PostingsBuilder, type Segment } from './postings.ts';
import { compareCodePoints } from './order.ts';

/** Strings of one column as small integers. */
export class Dict {
  readonly codes = new Map<string, number>();
  readonly values: string[] = [];
  code(v: string): number {
    let c = this.codes.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.codes.set(v, c);
      this.values.push(v);
    }
    return c;
  }
}

/** A list column (tags, formats, group ids): row r's codes are vals[start[r] .. start[r + 1]). */
export class Lists {
  readonly start: number[] = [0];
  readonly vals: number[] = [];
  add(codes: number[]): void {
    for (const c of codes) this.vals.push(c);
    this.start.push(this.vals.length);
  }
}

export const SCALARS = ['data_type', 'data_classification', 'license_id', 'update_frequency_unit', 'geo_coverage', 'state', 'data_category'] as const;
export type ScalarColumn = (typeof SCALARS)[number];
export const LISTS = ['tags', 'res_formats', 'group_ids'] as const;
export type SortColumn = 'metadata_modified' | 'metadata_created' | 'title' | 'name';
export type ListColumn = (typeof LISTS)[number];

interface LoadedRow {
  dataset_id: string;
  document: string;
  res_formats: string[];
  group_ids: string[];
  tags: string[];
  data_type: string | null;
  data_classification: string | null;
  license_id: string | null;
  update_frequency_unit: string | null;
  geo_coverage: string | null;
  state: string | null;
  data_category: string | null;
  private: boolean;
  owner_org: string | null;
  modified_us: number;
  created_us: number;
  title: string;
  name: string;
}

const COLUMNS = sql`s.dataset_id::text AS dataset_id, s.document::text AS document, s.res_formats, s.group_ids::text[] AS group_ids, s.tags,
  s.data_type, s.data_classification, s.license_id, s.update_frequency_unit, s.geo_coverage, s.state, s.data_category, s.private, s.owner_org::text AS owner_org,
  (extract(epoch FROM s.metadata_modified) * 1000000)::float8 AS modified_us, (extract(epoch FROM s.metadata_created) * 1000000)::float8 AS created_us, s.title, s.name`;

/** Rows read per statement while loading. */
const CHUNK = 5000;
/** Changed rows one sync takes before it asks for a full load instead. */
export const DELTA_LIMIT = 5000;
const NIL = '00000000-0000-0000-0000-000000000000';

interface Snapshot {
  xmax: string;
  xip: string[];
}

/**
 * Is snapshot a at least as new as b? Later snapshots have a larger or equal xmax, and for an
 * equal xmax fewer transactions still in progress.
 */
export function notOlder(a: Snapshot, b: Snapshot): boolean {
  const x = BigInt(a.xmax);
  const y = BigInt(b.xmax);
  if (x !== y) return x > y;
  const inB = new Set(b.xip);
  return a.xip.every((t) => inB.has(t));
}

function readSnapshot(text: string): Snapshot {
  const [, xmax, xip] = text.split(':');
  return { xmax: xmax!, xip: xip ? xip.split(',').filter(Boolean) : [] };
}

export class MemCatalog {
  n = 0;
  /** Bumped by every change, so cached sets of an older version are never used. */
  version = 0;
  readonly ids: string[] = [];
  readonly ordOf = new Map<string, number>();
  readonly live: number[] = [];
  readonly private: number[] = [];
  readonly owner: number[] = [];
  readonly modified: number[] = [];
  readonly created: number[] = [];
  readonly title: string[] = [];
  readonly name: string[] = [];
  readonly scalar = Object.fromEntries(SCALARS.map((c) => [c, [] as number[]])) as Record<ScalarColumn, number[]>;
  readonly lists = Object.fromEntries(LISTS.map((c) => [c, new Lists()])) as Record<ListColumn, Lists>;
  /** One dictionary for every text value, one for uuids (owner_org and group ids). */
  readonly text = new Dict();
  readonly uuid = new Dict();
  base: BasePostings | null = null;
  readonly delta = new DeltaPostings();
  /** Rows appended since the base was built. */
  changed = 0;
  baseRows = 0;
  snapshot: Snapshot = { xmax: '0', xip: [] };
  loadedAt = Date.now();
  lastSync = Date.now();

  /** Position of each base row in each sort order (value, then id), built with the base. */
  readonly ranks = new Map<string, Int32Array>();

  /** Builds the rank arrays of the sortable columns (both directions; ties by id as SQL's ORDER BY …, id). */
  buildRanks(): void {
    const ids = this.ids;
    const byId = (a: number, b: number) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0);
    const columns: Record<SortColumn, (a: number, b: number) => number> = {
      metadata_modified: (a, b) => this.modified[a]! - this.modified[b]!,
      metadata_created: (a, b) => this.created[a]! - this.created[b]!,
      title: (a, b) => compareCodePoints(this.title[a]!, this.title[b]!),
      name: (a, b) => compareCodePoints(this.name[a]!, this.name[b]!),
    };
    for (const [col, cmp] of Object.entries(columns))
      for (const desc of [false, true]) {
        const order = Int32Array.from({ length: this.baseRows }, (_, i) => i).sort((a, b) => (desc ? cmp(b, a) : cmp(a, b)) || byId(a, b));
        const rank = new Int32Array(this.baseRows);
        for (let i = 0; i < order.length; i++) rank[order[i]!] = i;
        this.ranks.set(`${col}:${desc}`, rank);
      }
  }

  segments(): Segment[] {
    return this.base ? [this.base, this.delta] : [this.delta];
  }

  private append(r: LoadedRow, builder: PostingsBuilder | null): void {
    const ord = this.n++;
    const old = this.ordOf.get(r.dataset_id);
    if (old !== undefined) this.live[old] = 0;
    this.ordOf.set(r.dataset_id, ord);
    this.ids.push(r.dataset_id);
    this.live.push(1);
    this.private.push(r.private ? 1 : 0);
    this.owner.push(r.owner_org === null ? -1 : this.uuid.code(r.owner_org));
    this.modified.push(r.modified_us);
    this.created.push(r.created_us);
    this.title.push(r.title);
    this.name.push(r.name);
    for (const c of SCALARS) this.scalar[c].push(r[c] === null ? -1 : this.text.code(r[c]!));
    this.lists.tags.add((r.tags ?? []).map((v) => this.text.code(v)));
    this.lists.res_formats.add((r.res_formats ?? []).map((v) => this.text.code(v)));
    this.lists.group_ids.add((r.group_ids ?? []).map((v) => this.uuid.code(v)));
    if (builder) builder.addText(r.document);
    else this.delta.add(ord, r.document);
  }

  private remove(id: string): void {
    const ord = this.ordOf.get(id);
    if (ord === undefined) return;
    this.live[ord] = 0;
    this.ordOf.delete(id);
  }

  /** A full copy, read in chunks after one snapshot (rows read newer than it are simply read again later). */
  static async load(db: Kysely<Database>): Promise<MemCatalog> {
    const cat = new MemCatalog();
    // Removal notes older than any copy can be are of no more use.
    await sql`DELETE FROM dataset_search_removed WHERE removed_at < now() - interval '1 day'`.execute(db);
    const snap = await sql<{ snap: string }>`SELECT pg_current_snapshot()::text AS snap`.execute(db);
    cat.snapshot = readSnapshot(snap.rows[0]!.snap);
    const builder = new PostingsBuilder();
    let last = NIL;
    for (;;) {
      const r = await sql<LoadedRow>`SELECT ${COLUMNS} FROM dataset_search s WHERE s.dataset_id > ${last}::uuid ORDER BY s.dataset_id LIMIT ${CHUNK}`.execute(db);
      for (const row of r.rows) cat.append(row, builder);
      if (r.rows.length < CHUNK) break;
      last = r.rows[r.rows.length - 1]!.dataset_id;
    }
    cat.base = builder.build();
    cat.baseRows = cat.n;
    cat.buildRanks();
    cat.loadedAt = cat.lastSync = Date.now();
    return cat;
  }

  /**
   * Brings the copy up to what `db` sees now, in one round trip. Returns false when it cannot:
   * the transaction has written (its rows are not committed), a TRUNCATE happened, or more rows
   * changed than a delta should hold — the caller then searches in SQL and loads again.
   */
  async sync(db: Kysely<Database>): Promise<'ok' | 'own-writes' | 'reload'> {
    const { xmax, xip } = this.snapshot;
    const r = await sql<{ snap: string; wrote: boolean; removed: string[]; rows: LoadedRow[] }>`
      SELECT pg_current_snapshot()::text AS snap, pg_current_xact_id_if_assigned() IS NOT NULL AS wrote,
        ARRAY(SELECT x.dataset_id::text FROM dataset_search_removed x WHERE x.changed_xid >= ${xmax}::xid8 OR x.changed_xid = ANY(${xip}::xid8[]) LIMIT ${DELTA_LIMIT + 1}) AS removed,
        (SELECT coalesce(json_agg(c), '[]'::json) FROM (SELECT ${COLUMNS} FROM dataset_search s WHERE s.changed_xid >= ${xmax}::xid8 OR s.changed_xid = ANY(${xip}::xid8[]) LIMIT ${DELTA_LIMIT + 1}) c) AS rows`.execute(db);
    const row = r.rows[0]!;
    if (row.wrote) return 'own-writes';
    if (row.removed.length > DELTA_LIMIT || row.rows.length > DELTA_LIMIT || row.removed.includes(NIL) || this.changed + row.rows.length > Math.max(DELTA_LIMIT, this.baseRows * 0.05)) return 'reload';
    const snap = readSnapshot(row.snap);
    // Two searches may sync at once and their answers arrive in either order: an older answer
    // than the one applied holds nothing the copy lacks, and must not bring back older rows.
    if (!notOlder(snap, this.snapshot)) return 'ok';
    if (snap.xmax === this.snapshot.xmax && snap.xip.join() === this.snapshot.xip.join()) {
      this.lastSync = Date.now();
      return 'ok';
    }
    if (row.removed.length || row.rows.length) {
      for (const id of row.removed) this.remove(id);
      for (const x of row.rows) this.append(x, null);
      this.changed += row.rows.length;
      this.version++;
    }
    this.snapshot = snap;
    this.lastSync = Date.now();
    return 'ok';
  }

  /** Memory held, roughly, for the statistics. */
  bytes(): number {
    return (this.base?.bytes() ?? 0) + this.n * 120 + this.ranks.size * this.baseRows * 4;
  }
}
