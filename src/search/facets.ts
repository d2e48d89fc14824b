import { sql, type RawBuilder } from 'kysely';
import type { Lang } from '../actions/errors.ts';
import { licenseFor } from '../actions/licenses.ts';
import { currentStandard } from '../standard/index.ts';

/**
 * Facets package_search can count, with their Thai (and English) titles and value labels, so the
 * API's search_facets and the portal's sidebar say the same thing. Stored values of code lists
 * are their Thai labels already; English comes from the standard.
 */
export const FACET_FIELDS = [
  'organization',
  'groups',
  'tags',
  'res_format',
  'license_id',
  'data_type',
  'data_category',
  'data_classification',
  'update_frequency_unit',
  'geo_coverage',
] as const;
export type FacetField = (typeof FACET_FIELDS)[number];

export function isFacetField(name: string): name is FacetField {
  return (FACET_FIELDS as readonly string[]).includes(name);
}

/** Titles of facets that are not fields of the metadata standard. */
const OWN_TITLES: Record<string, { th: string; en: string }> = {
  organization: { th: 'หน่วยงาน', en: 'Organizations' },
  groups: { th: 'กลุ่ม', en: 'Groups' },
  tags: { th: 'คำสำคัญ', en: 'Tags' },
  res_format: { th: 'รูปแบบไฟล์', en: 'Formats' },
};

/** The heading of a facet in the caller's language (Thai by default). */
export function facetTitle(field: string, lang: Lang = 'th'): string {
  const own = OWN_TITLES[field];
  if (own) return own[lang];
  const f = currentStandard().datasetFields.get(field);
  return f ? f.label[lang] : field;
}

/** Every facet's heading, for a page that lists them all. */
export function facetTitles(lang: Lang = 'th'): Record<FacetField, string> {
  return Object.fromEntries(FACET_FIELDS.map((f) => [f, facetTitle(f, lang)])) as Record<FacetField, string>;
}

const CODE_LISTS: Partial<Record<FacetField, string>> = {
  data_type: 'data_type',
  data_category: 'data_category',
  data_classification: 'data_classification',
  update_frequency_unit: 'update_frequency_unit',
  geo_coverage: 'geo_coverage',
};

/**
 * How a facet value is shown: organisation and group titles (passed in, looked up with the
 * counts), licence titles, code-list labels; tags and formats as they are.
 */
export function facetDisplayName(field: string, value: string, lang: Lang = 'th', groupTitle?: string | null): string {
  if (field === 'organization' || field === 'groups') return groupTitle && groupTitle.trim() ? groupTitle : value;
  if (field === 'license_id') return licenseFor(value)?.title ?? value;
  const list = CODE_LISTS[field as FacetField];
  if (list) return currentStandard().codeLabel(list, value, lang);
  return value;
}

/** The column each facet needs in the matched set `m`. */
export const FACET_COLUMNS: Record<FacetField, string> = {
  organization: 's.owner_org',
  groups: 's.group_ids',
  tags: 's.tags',
  res_format: 's.res_formats',
  license_id: 's.license_id',
  data_type: 's.data_type',
  data_category: 's.data_category',
  data_classification: 's.data_classification',
  update_frequency_unit: 's.update_frequency_unit',
  geo_coverage: 's.geo_coverage',
};

/** Alias of a facet's column inside `m`. */
export function facetAlias(field: FacetField): string {
  return `f_${field}`;
}

const ARRAY_FACETS = new Set<FacetField>(['tags', 'res_format']);

/**
 * Counts the requested facets over the matched, visible rows in `m` in one statement: the
 * single-valued facets in one pass (GROUPING SETS), list-valued ones (tags, formats) and groups
 * beside it; then the top `limit` per facet (null = all) with at least `mincount`.
 * Rows: k (facet), v (value), label (group title), n (count).
 */
export function facetSql(fields: FacetField[], mincount: number, limit: number | null): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  const scalar = fields.filter((f) => !ARRAY_FACETS.has(f) && f !== 'groups');
  if (scalar.length) {
    const col = (f: FacetField) => sql.raw(`m.${facetAlias(f)}`);
    const kind = sql.join(scalar.map((f) => sql`WHEN grouping(${col(f)}) = 0 THEN ${f}::text`), sql` `);
    const value = sql.join(scalar.map((f) => (f === 'organization' ? sql`${col(f)}::text` : col(f))));
    const sets = sql.join(scalar.map((f) => sql`(${col(f)})`));
    parts.push(sql`
      SELECT sp.k, coalesce(g.name, sp.v) AS v, g.title AS label, sp.n FROM (
        SELECT CASE ${kind} END AS k, coalesce(${value}) AS v, count(*)::int AS n FROM m GROUP BY GROUPING SETS (${sets})
      ) sp LEFT JOIN groups g ON sp.k = 'organization' AND g.id::text = sp.v
      WHERE sp.v IS NOT NULL AND sp.v <> ''`);
  }
  for (const f of fields.filter((x) => ARRAY_FACETS.has(x))) {
    // unnest in the select list (ProjectSet) is several times cheaper than a lateral function scan.
    parts.push(sql`SELECT ${f}::text AS k, x.v AS v, NULL::text AS label, count(*)::int AS n FROM (SELECT unnest(${sql.raw(`m.${facetAlias(f)}`)}) AS v FROM m) x GROUP BY x.v`);
  }
  if (fields.includes('groups')) {
    // Counted by id, named from groups now: a renamed group shows its new title, a deleted one nothing.
    parts.push(sql`
      SELECT 'groups'::text AS k, g.name AS v, g.title AS label, x.n FROM (SELECT gid, count(*)::int AS n FROM (SELECT unnest(m.f_groups) AS gid FROM m) u GROUP BY gid) x
      JOIN groups g ON g.id = x.gid AND g.state = 'active'`);
  }
  return sql`
    SELECT f.k, f.v, f.label, f.n FROM (
      SELECT u.k, u.v, u.label, u.n, row_number() OVER (PARTITION BY u.k ORDER BY u.n DESC, u.v) AS rk
      FROM (${sql.join(parts, sql` UNION ALL `)}) u WHERE u.n >= ${mincount}
    ) f ${limit === null ? sql`` : sql`WHERE f.rk <= ${limit}`}
    ORDER BY f.k, f.rk`;
}

export interface FacetRow {
  k: string;
  v: string;
  label: string | null;
  n: number;
}

export interface SearchFacet {
  title: string;
  items: Array<{ name: string; display_name: string; count: number }>;
}

/** CKAN's two facet shapes: `facets` {field: {value: count}} and `search_facets` with display names. */
export function shapeFacets(fields: FacetField[], rows: FacetRow[], lang: Lang): { facets: Record<string, Record<string, number>>; search_facets: Record<string, SearchFacet> } {
  const facets: Record<string, Record<string, number>> = {};
  const search_facets: Record<string, SearchFacet> = {};
  for (const f of fields) {
    facets[f] = {};
    search_facets[f] = { title: f, items: [] };
  }
  for (const r of rows) {
    facets[r.k]![r.v] = r.n;
    search_facets[r.k]!.items.push({ name: r.v, display_name: facetDisplayName(r.k, r.v, lang, r.label), count: r.n });
  }
  return { facets, search_facets };
}
