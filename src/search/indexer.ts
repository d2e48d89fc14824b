import { sql } from 'kysely';
import type { Tx } from '../store/db.ts';
import { spacedWords } from './segment.ts';
import { tsvectorLiteral, type DocumentPart } from './document.ts';
import { documentsOf } from './segment-pool.ts';

export { tsvectorLiteral } from './document.ts';
import type { DatasetSearchTable } from '../store/schema.ts';
import { rememberLexemes } from './vocab.ts';

/**
 * Supporting text repeats itself: the organisation title is also the maintainer and the source,
 * resource names often equal the title. Each distinct text once keeps the search row small.
 */
function supporting(texts: string[], title: string): string[] {
  const seen = new Set([title.trim()]);
  return texts.filter((t) => {
    const k = t.trim();
    if (!k || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Markup and entities in descriptions (real records carry &nbsp;) are not words. */
export function plain(text: string): string {
  // [^<>]: a run of '<' without '>' is scanned once, not once per '<' (quadratic on 20,000 of them).
  return text.replace(/<[^<>]*>/g, ' ').replace(/&(?:[a-z]+|#\d+|#x[0-9a-f]+);/gi, ' ');
}

function metaText(meta: Record<string, unknown>, key: string): string {
  const v = meta[key];
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string').join(' ');
  return typeof v === 'string' ? v : '';
}

/** What a dataset's search row is built from (loadSources reads it; a bulk import builds it from what it wrote). */
export interface SourceRow {
  id: string;
  name: string;
  title: string;
  notes: string;
  tags: string[];
  data_type: string;
  data_classification: string;
  license_id: string;
  metadata: Record<string, unknown> | null;
  view_count: number;
  org_title: string | null;
  org_name: string | null;
  formats: string[] | null;
  res_text: string[] | null;
  group_ids: string[] | null;
  state: string;
  private: boolean;
  data_category: string;
  owner_org: string | null;
  metadata_modified: Date;
  metadata_created: Date;
}

/** What writeSearchRows stores: exactly the columns of the search table. */
export type SearchRow = Omit<DatasetSearchTable, 'changed_xid'>;

/** What a search row's text is made of, and its other columns (document and title words still to segment). */
function rowParts(r: SourceRow): { parts: DocumentPart[]; title: string; row: Omit<SearchRow, 'document' | 'title_text'> } {
  const meta = r.metadata ?? {};
  const other = ['maintainer', 'data_source', 'objective', 'geo_coverage', 'data_type', 'unit_of_measure', 'disaggregate', 'data_support', 'data_collect'].map((k) => metaText(meta, k));
  return {
    parts: [
      { text: r.title, weight: 'A' },
      { text: r.name, weight: 'A' },
      { text: r.tags, weight: 'B' },
      { text: plain(r.notes), weight: 'C' },
      { text: supporting([r.org_title ?? '', r.org_name ?? '', ...other, (r.formats ?? []).join(' '), ...(r.res_text ?? [])], r.title), weight: 'D' },
    ],
    title: r.title,
    row: {
      dataset_id: r.id,
      tags_text: '', // superseded by the tags array; left empty to keep rows narrow
      res_formats: r.formats ?? [],
      groups: [], // superseded by group_ids, named at query time
      group_ids: r.group_ids ?? [],
      popularity: r.view_count,
      tags: r.tags,
      data_type: r.data_type,
      data_classification: r.data_classification,
      license_id: r.license_id,
      update_frequency_unit: metaText(meta, 'update_frequency_unit'),
      geo_coverage: metaText(meta, 'geo_coverage'),
      state: r.state,
      private: r.private,
      data_category: r.data_category,
      owner_org: r.owner_org,
      metadata_modified: r.metadata_modified,
      metadata_created: r.metadata_created,
      title: r.title,
      name: r.name,
    },
  };
}

/** The search row of one dataset: pure, so the benchmark can measure it apart from SQL. Its words are added to `vocab`. */
export function searchRow(r: SourceRow, vocab?: Set<string>): SearchRow {
  const { parts, title, row } = rowParts(r);
  return { ...row, document: tsvectorLiteral(parts, vocab), title_text: spacedWords(title) };
}

/**
 * The search rows of many datasets. Word segmentation is most of an import's or a rebuild's
 * CPU: a large batch is segmented on a worker thread (the second core) while this thread goes on
 * with the next batch; a small one (a single edit) right here.
 */
export async function searchRows(sources: SourceRow[], vocab: Set<string>): Promise<SearchRow[]> {
  const prepared = sources.map(rowParts);
  const docs = await documentsOf(prepared.map((p) => ({ parts: p.parts, title: p.title })));
  for (const d of docs) for (const w of d.words) vocab.add(w);
  return prepared.map((p, i) => ({ ...p.row, document: docs[i]!.document, title_text: docs[i]!.title_text }));
}

/**
 * The datasets' current text, locked until the caller commits: a rebuild running beside live
 * edits either sees an edit that committed first, or makes it wait, so it never writes a
 * search row older than the dataset.
 */
async function loadSources(db: Tx, ids: string[]): Promise<SourceRow[]> {
  const r = await sql<SourceRow>`
    SELECT d.id, d.name, d.title, d.notes, d.tags, d.data_type, d.data_classification, d.license_id, d.metadata, d.view_count, o.title AS org_title, o.name AS org_name,
      d.state, d.private, d.data_category, d.owner_org, d.metadata_modified, d.metadata_created,
      (SELECT coalesce(array_agg(DISTINCT upper(r.format) COLLATE "C") FILTER (WHERE r.format <> ''), '{}') FROM resources r WHERE r.dataset_id = d.id AND r.state = 'active') AS formats,
      (SELECT array_agg(x.t ORDER BY r.position, x.n) FROM resources r, unnest(ARRAY[r.name, r.description]) WITH ORDINALITY AS x(t, n) WHERE r.dataset_id = d.id AND r.state = 'active' AND x.t <> '') AS res_text,
      (SELECT coalesce(array_agg(dg.group_id ORDER BY dg.group_id), '{}') FROM dataset_groups dg WHERE dg.dataset_id = d.id) AS group_ids
    FROM datasets d LEFT JOIN groups o ON o.id = d.owner_org
    WHERE d.id = ANY(${ids}::uuid[])
    FOR SHARE OF d`.execute(db);
  return r.rows;
}

/** Writes prepared search rows, one statement for the whole batch. */
export async function writeSearchRows(db: Tx, rows: SearchRow[]): Promise<void> {
  if (!rows.length) return;
  await sql`
    INSERT INTO dataset_search (dataset_id, document, title_text, tags_text, res_formats, groups, group_ids, popularity,
      tags, data_type, data_classification, license_id, update_frequency_unit, geo_coverage, state, private, data_category, owner_org, metadata_modified, metadata_created, title, name)
    SELECT x.dataset_id, x.document::tsvector, x.title_text, x.tags_text, x.res_formats, x.groups, x.group_ids, x.popularity,
      x.tags, x.data_type, x.data_classification, x.license_id, x.update_frequency_unit, x.geo_coverage, x.state, x.private, x.data_category, x.owner_org, x.metadata_modified, x.metadata_created, x.title, x.name
    FROM json_to_recordset(${JSON.stringify(rows)}::json)
      AS x(dataset_id uuid, document text, title_text text, tags_text text, res_formats text[], groups text[], group_ids uuid[], popularity integer,
        tags text[], data_type text, data_classification text, license_id text, update_frequency_unit text, geo_coverage text,
        state text, private boolean, data_category text, owner_org uuid, metadata_modified timestamptz, metadata_created timestamptz, title text, name text)
    ON CONFLICT (dataset_id) DO UPDATE SET
      document = excluded.document, title_text = excluded.title_text, tags_text = excluded.tags_text,
      res_formats = excluded.res_formats, groups = excluded.groups, group_ids = excluded.group_ids, popularity = excluded.popularity,
      tags = excluded.tags, data_type = excluded.data_type, data_classification = excluded.data_classification, license_id = excluded.license_id,
      update_frequency_unit = excluded.update_frequency_unit, geo_coverage = excluded.geo_coverage,
      state = excluded.state, private = excluded.private, data_category = excluded.data_category, owner_org = excluded.owner_org,
      metadata_modified = excluded.metadata_modified, metadata_created = excluded.metadata_created, title = excluded.title, name = excluded.name`.execute(db);
}

/** Adds tags to the autocomplete vocabulary, in a fixed order so concurrent writers cannot deadlock. */
export async function rememberTags(db: Tx, tags: string[]): Promise<void> {
  const list = [...new Set(tags.filter((t) => t && t.length <= 200))].sort();
  if (!list.length) return;
  await sql`INSERT INTO search_tags (tag) SELECT unnest(${list}::text[]) ON CONFLICT DO NOTHING`.execute(db);
}

/** Rewrites the search rows of these datasets inside the caller's transaction, so search is never stale. */
export async function indexDatasets(db: Tx, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await indexSources(db, await loadSources(db, ids));
}

/**
 * Writes the search rows of datasets this transaction has just inserted, from the same facts
 * loadSources would read back (formats upper-cased and distinct, resource names and descriptions
 * in position order, group ids sorted): no other writer can see those rows yet, so nothing to lock.
 */
export async function indexSources(db: Tx, sources: SourceRow[]): Promise<void> {
  if (!sources.length) return;
  const vocab = new Set<string>();
  await writeSearchRows(db, await searchRows(sources, vocab));
  await rememberTags(db, sources.flatMap((s) => s.tags));
  await rememberLexemes(db, vocab);
}
