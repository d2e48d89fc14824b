import { sql } from 'kysely';
import type { Tx } from '../store/db.ts';
import { spacedWords, wordSlots } from './segment.ts';
import type { DatasetSearchTable } from '../store/schema.ts';
import { rememberLexemes } from './vocab.ts';

type Weight = 'A' | 'B' | 'C' | 'D';

function lexeme(token: string): string {
  return `'${token.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** PostgreSQL keeps at most this many positions per word and positions below 16384. */
const MAX_POSITIONS = 255;
const MAX_POSITION = 16383;
/** tsvector values are limited to 1 MB; a pathological description must not make a write fail. */
const MAX_LEXEME_BYTES = 256 * 1024;

/**
 * A tsvector literal with positions and weights, built from our own word slots, because
 * PostgreSQL's parser does not split Thai. Alternatives of a word share its position, and fields
 * are kept apart so a phrase never runs from one field into the next.
 * Weights: A title and name, B tags, C description, D everything else.
 */
/**
 * Segmentation is the costly part of indexing, and catalogs repeat themselves (organisation
 * titles, maintainers, sources, resource names equal to the title): short texts are segmented
 * once per rebuild batch.
 */
const slotCache = new Map<string, string[][]>();
const CACHE_LIMIT = 20000;

function cachedSlots(text: string): string[][] {
  if (text.length > 300) return wordSlots(text);
  let slots = slotCache.get(text);
  if (!slots) {
    if (slotCache.size >= CACHE_LIMIT) slotCache.clear();
    slots = wordSlots(text);
    slotCache.set(text, slots);
  }
  return slots;
}

export function tsvectorLiteral(parts: Array<{ text: string | string[]; weight: Weight }>, vocab?: Set<string>): string {
  const positions = new Map<string, string[]>();
  let pos = 1;
  let bytes = 0;
  for (const part of parts) {
    // Separate texts of one field (tags, resource names) are a position apart, so a phrase never
    // joins the end of one to the start of the next.
    for (const text of Array.isArray(part.text) ? part.text : [part.text]) {
      for (const slot of cachedSlots(text)) {
        if (pos > MAX_POSITION) break;
        for (const tok of slot) {
          let list = positions.get(tok);
          if (!list) {
            bytes += Buffer.byteLength(tok) + 8;
            if (bytes > MAX_LEXEME_BYTES) continue;
            positions.set(tok, (list = []));
          }
          if (list.length < MAX_POSITIONS) list.push(`${pos}${part.weight}`);
        }
        pos++;
      }
      pos++;
    }
    pos += 10;
  }
  if (vocab) for (const tok of positions.keys()) vocab.add(tok);
  return [...positions.entries()].map(([tok, ps]) => `${lexeme(tok)}:${ps.join(',')}`).join(' ');
}

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

interface SourceRow {
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
}

/** What writeSearchRows stores: exactly the columns of the search table. */
export type SearchRow = DatasetSearchTable;

/** The search row of one dataset: pure, so the benchmark can measure it apart from SQL. Its words are added to `vocab`. */
export function searchRow(r: SourceRow, vocab?: Set<string>): SearchRow {
  const meta = r.metadata ?? {};
  const other = ['maintainer', 'data_source', 'objective', 'geo_coverage', 'data_type', 'unit_of_measure', 'disaggregate', 'data_support', 'data_collect'].map((k) => metaText(meta, k));
  return {
    dataset_id: r.id,
    document: tsvectorLiteral([
      { text: r.title, weight: 'A' },
      { text: r.name, weight: 'A' },
      { text: r.tags, weight: 'B' },
      { text: plain(r.notes), weight: 'C' },
      { text: supporting([r.org_title ?? '', r.org_name ?? '', ...other, (r.formats ?? []).join(' '), ...(r.res_text ?? [])], r.title), weight: 'D' },
    ], vocab),
    title_text: spacedWords(r.title),
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
  };
}

/**
 * The datasets' current text, locked until the caller commits: a rebuild running beside live
 * edits either sees an edit that committed first, or makes it wait, so it never writes a
 * search row older than the dataset.
 */
async function loadSources(db: Tx, ids: string[]): Promise<SourceRow[]> {
  const r = await sql<SourceRow>`
    SELECT d.id, d.name, d.title, d.notes, d.tags, d.data_type, d.data_classification, d.license_id, d.metadata, d.view_count, o.title AS org_title, o.name AS org_name,
      (SELECT coalesce(array_agg(DISTINCT upper(r.format)) FILTER (WHERE r.format <> ''), '{}') FROM resources r WHERE r.dataset_id = d.id AND r.state = 'active') AS formats,
      (SELECT array_agg(x.t) FROM resources r, unnest(ARRAY[r.name, r.description]) AS x(t) WHERE r.dataset_id = d.id AND r.state = 'active' AND x.t <> '') AS res_text,
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
      tags, data_type, data_classification, license_id, update_frequency_unit, geo_coverage)
    SELECT x.dataset_id, x.document::tsvector, x.title_text, x.tags_text, x.res_formats, x.groups, x.group_ids, x.popularity,
      x.tags, x.data_type, x.data_classification, x.license_id, x.update_frequency_unit, x.geo_coverage
    FROM json_to_recordset(${JSON.stringify(rows)}::json)
      AS x(dataset_id uuid, document text, title_text text, tags_text text, res_formats text[], groups text[], group_ids uuid[], popularity integer,
        tags text[], data_type text, data_classification text, license_id text, update_frequency_unit text, geo_coverage text)
    ON CONFLICT (dataset_id) DO UPDATE SET
      document = excluded.document, title_text = excluded.title_text, tags_text = excluded.tags_text,
      res_formats = excluded.res_formats, groups = excluded.groups, group_ids = excluded.group_ids, popularity = excluded.popularity,
      tags = excluded.tags, data_type = excluded.data_type, data_classification = excluded.data_classification, license_id = excluded.license_id,
      update_frequency_unit = excluded.update_frequency_unit, geo_coverage = excluded.geo_coverage`.execute(db);
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
  const sources = await loadSources(db, ids);
  if (!sources.length) return;
  const vocab = new Set<string>();
  await writeSearchRows(db, sources.map((s) => searchRow(s, vocab)));
  await rememberTags(db, sources.flatMap((s) => s.tags));
  await rememberLexemes(db, vocab);
}
