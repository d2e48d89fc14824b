import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { SearchQueryError } from '../actions/errors.ts';
import { fieldsOf, type QueryNode } from './query-parser.ts';
import { normalizeText, words } from './segment.ts';

/**
 * Turns a parsed query into one parameterised SQL condition over `d` (datasets) and `s`
 * (dataset_search). User text only ever travels as bind parameters, including the tsquery
 * literals we build from our own word segmentation.
 */

type Column = { kind: 'column'; expr: string } | { kind: 'array'; expr: string; upper?: boolean };
type FieldDef =
  | { kind: 'text'; weight: '' | 'A' | 'C'; fuzzy: boolean }
  | { kind: 'exact'; column: Column }
  | { kind: 'uuid'; expr: string }
  | { kind: 'organization' }
  | { kind: 'groups' }
  | { kind: 'bool'; expr: string; trueWord: string; falseWord: string }
  | { kind: 'date'; expr: string };

const col = (expr: string): Column => ({ kind: 'column', expr });

/** The fields q and fq understand; their names are CKAN's Solr field names. */
export const QUERY_FIELDS: Record<string, FieldDef> = {
  text: { kind: 'text', weight: '', fuzzy: true },
  title: { kind: 'text', weight: 'A', fuzzy: true },
  notes: { kind: 'text', weight: 'C', fuzzy: false },
  name: { kind: 'exact', column: col('d.name') },
  tags: { kind: 'exact', column: { kind: 'array', expr: 's.tags' } },
  organization: { kind: 'organization' },
  owner_org: { kind: 'uuid', expr: 'd.owner_org' },
  groups: { kind: 'groups' },
  res_format: { kind: 'exact', column: { kind: 'array', expr: 's.res_formats', upper: true } },
  license_id: { kind: 'exact', column: col('s.license_id') },
  data_type: { kind: 'exact', column: col('s.data_type') },
  data_category: { kind: 'exact', column: col('d.data_category') },
  data_classification: { kind: 'exact', column: col('s.data_classification') },
  update_frequency_unit: { kind: 'exact', column: col('s.update_frequency_unit') },
  geo_coverage: { kind: 'exact', column: col('s.geo_coverage') },
  id: { kind: 'uuid', expr: 'd.id' },
  state: { kind: 'exact', column: col('d.state') },
  dataset_type: { kind: 'exact', column: col('d.type') },
  type: { kind: 'exact', column: col('d.type') },
  private: { kind: 'bool', expr: 'd.private', trueWord: 'true', falseWord: 'false' },
  capacity: { kind: 'bool', expr: 'd.private', trueWord: 'private', falseWord: 'public' },
  metadata_modified: { kind: 'date', expr: 'd.metadata_modified' },
  metadata_created: { kind: 'date', expr: 'd.metadata_created' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Partial words shorter than this would match half the index. */
const MIN_PREFIX = 2;
/** pg_trgm compares a typed word with title words; shorter input has too few trigrams to judge. */
const MIN_FUZZY = 3;

/** How far a term is loosened: as a partial word, then also as a typo. */
export type Looseness = 'prefix' | 'typo';

export interface CompileOptions {
  /** Free-text terms (by key) that match nothing the caller can see as typed. */
  loosen?: ReadonlyMap<string, Looseness>;
}

/** A free-text term: the tsquery that finds it as typed, and the one that finds it as a partial word. */
export interface LooseCandidate {
  key: string;
  tsquery: string;
  prefixQuery: string;
}

export interface CompiledQuery {
  /** What matches: the words as typed, and for loosened terms partial words and typos. */
  where: RawBuilder<SqlBool>;
  /** The same query with exact words only: these rows rank first. */
  exact: RawBuilder<SqlBool>;
  /**
   * Relevance of a matched row: for each positive free-text term, 4 when the title (or name)
   * has it, 2 when a tag has it, 1 when the description has it; null without free text.
   */
  relevance: RawBuilder<number> | null;
  /** Typed text compared with titles by pg_trgm (loosened terms only). */
  fuzzyTexts: string[];
  /** Positive free-text terms that could be loosened if they match nothing. */
  candidates: LooseCandidate[];
}

export function assertKnownFields(node: QueryNode, param: string): void {
  for (const f of fieldsOf(node)) if (!Object.hasOwn(QUERY_FIELDS, f)) throw new SearchQueryError(`undefined field ${f} in ${param}`);
}

function lexeme(word: string, weight: string, prefix = false): string {
  const quoted = `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  return prefix || weight ? `${quoted}:${prefix ? '*' : ''}${weight}` : quoted;
}

const graphemeSegmenter = new Intl.Segmenter('th', { granularity: 'grapheme' });

/** Length as a reader counts it: a Thai consonant with its vowel and tone marks is one. */
function graphemes(text: string): number {
  return [...graphemeSegmenter.segment(text)].length;
}

interface TextParts {
  /** The term as typed: its words next to each other, in order. */
  exact: string | null;
  /** The term as the start of a word, or null when it cannot be loosened (phrases, explicit prefixes). */
  prefix: string | null;
  /** Still looser: the words anywhere, or a partial word. */
  typo: string | null;
  /** Texts pg_trgm compares with title words when the term may be misspelt. */
  fuzzy: string[];
}

/**
 * tsqueries for one free-text term. Thai is typed without spaces, so the words the dictionary
 * finds in one typed chunk must stand together (ว่างงาน "unemployment" is ว่าง|งาน adjacent, not
 * งานว่าง "vacancy"). Loosened, the chunk may be the start of a word: whole (แรงงา → แรงงาน) or
 * with its last word cut short (ท่อง|เที่ → ท่องเที่ยว); loosest, its words anywhere.
 */
function textParts(value: string, phrase: boolean, prefix: boolean, weight: string, fuzzy: boolean): TextParts {
  const ws = words(value);
  const none: TextParts = { exact: null, prefix: null, typo: null, fuzzy: [] };
  if (!ws.length) return none;
  const lex = ws.map((w) => lexeme(w, weight));
  const lastAsPrefix = [...lex.slice(0, -1), lexeme(ws[ws.length - 1]!, weight, true)].join(' <-> ');
  if (phrase) return { ...none, exact: lex.join(' <-> ') };
  if (prefix) return { ...none, exact: lastAsPrefix };
  const exact = lex.join(' <-> ');
  const prefixForms: string[] = [];
  const joined = ws.join('');
  if (graphemes(joined) >= MIN_PREFIX) prefixForms.push(lexeme(joined, weight, true));
  if (ws.length > 1) prefixForms.push(lastAsPrefix);
  const prefixQuery = prefixForms.length ? prefixForms.map((f) => `(${f})`).join(' | ') : exact;
  const typo = ws.length > 1 ? `(${prefixQuery}) | (${lex.join(' & ')})` : prefixQuery;
  const norm = normalizeText(value).trim();
  const texts = fuzzy && graphemes(norm) >= MIN_FUZZY ? [...new Set([norm, ws.join(' ')])] : [];
  return { exact, prefix: prefixQuery, typo, fuzzy: texts };
}

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => '\\' + c);
}

function exactValue(column: Column, value: string, prefix: boolean): RawBuilder<SqlBool> {
  const v = column.kind === 'array' && column.upper ? value.toUpperCase() : value;
  const e = sql.raw(column.expr);
  if (column.kind === 'array') {
    if (prefix && v === '') return sql<SqlBool>`cardinality(${e}) > 0`;
    if (prefix) return sql<SqlBool>`EXISTS (SELECT 1 FROM unnest(${e}) AS x(v) WHERE x.v LIKE ${escapeLike(v) + '%'})`;
    return sql<SqlBool>`${e} @> ARRAY[${v}]::text[]`;
  }
  if (prefix) return v === '' ? sql<SqlBool>`${e} <> ''` : sql<SqlBool>`${e} LIKE ${escapeLike(v) + '%'}`;
  return sql<SqlBool>`${e} = ${v}`;
}

const UNITS: Record<string, string> = { SECOND: 'seconds', MINUTE: 'minutes', HOUR: 'hours', DAY: 'days', MONTH: 'months', YEAR: 'years' };

/** Years a date in a query may name: PostgreSQL's timestamps and ISO 8601's four digits both hold them. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/** A Solr date: ISO 8601, or NOW with an optional offset such as NOW-7DAYS; years 1 to 9999. */
export function parseSolrDate(v: string, now = new Date()): Date {
  const d = readSolrDate(v, now);
  const year = d.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) throw new SearchQueryError(`date out of range (years ${MIN_YEAR} to ${MAX_YEAR}): ${v}`);
  return d;
}

function readSolrDate(v: string, now: Date): Date {
  const m = /^NOW(?:([+-])(\d{1,6})(SECOND|MINUTE|HOUR|DAY|MONTH|YEAR)S?)?$/.exec(v);
  if (m) {
    const d = new Date(now);
    if (m[1]) {
      const n = Number(m[2]) * (m[1] === '-' ? -1 : 1);
      const unit = UNITS[m[3]!]!;
      if (unit === 'months') d.setUTCMonth(d.getUTCMonth() + n);
      else if (unit === 'years') d.setUTCFullYear(d.getUTCFullYear() + n);
      else d.setTime(d.getTime() + n * { seconds: 1e3, minutes: 6e4, hours: 36e5, days: 864e5 }[unit as 'days']!);
    }
    if (!Number.isNaN(d.getTime())) return d;
    throw new SearchQueryError(`date out of range: ${v}`);
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$/.test(v)) {
    const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v.endsWith('Z') ? v : `${v}Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new SearchQueryError(`cannot read date ${v}`);
}

/** The same term restricted to title (A), tag (B) and description (C) words. */
interface Tiers {
  A: string;
  B: string;
  C: string;
}

interface Acc {
  rank: Array<Tiers | null>;
  fuzzy: string[];
  candidates: LooseCandidate[];
  loosen: ReadonlyMap<string, Looseness>;
}

function leaf(node: Extract<QueryNode, { kind: 'term' | 'range' }>, exactOnly: boolean, positive: boolean, acc: Acc): RawBuilder<SqlBool> | null {
  const def = Object.hasOwn(QUERY_FIELDS, node.field ?? 'text') ? QUERY_FIELDS[node.field ?? 'text'] : undefined;
  if (!def) throw new SearchQueryError(`undefined field ${node.field}`);
  if (node.kind === 'range') {
    if (def.kind !== 'date') throw new SearchQueryError(`range queries are not supported on ${node.field}`);
    const e = sql.raw(def.expr);
    const parts: RawBuilder<SqlBool>[] = [];
    if (node.from !== null) parts.push(node.fromInclusive ? sql<SqlBool>`${e} >= ${parseSolrDate(node.from)}` : sql<SqlBool>`${e} > ${parseSolrDate(node.from)}`);
    if (node.to !== null) parts.push(node.toInclusive ? sql<SqlBool>`${e} <= ${parseSolrDate(node.to)}` : sql<SqlBool>`${e} < ${parseSolrDate(node.to)}`);
    return parts.length ? sql<SqlBool>`(${sql.join(parts, sql` AND `)})` : sql<SqlBool>`TRUE`;
  }
  const value = node.value.normalize('NFC');
  switch (def.kind) {
    case 'text': {
      const p = textParts(value, node.phrase, node.prefix, def.weight, def.fuzzy);
      if (!p.exact) return node.prefix && value === '' ? sql<SqlBool>`TRUE` : null;
      const key = `${def.weight}:${normalizeText(value).trim()}`;
      const looseness = positive && !exactOnly && p.prefix !== null ? acc.loosen.get(key) : undefined;
      if (positive && p.prefix !== null) acc.candidates.push({ key, tsquery: p.exact, prefixQuery: p.prefix });
      const pick = (t: TextParts) => (looseness === 'typo' ? t.typo! : looseness === 'prefix' ? t.prefix! : t.exact!);
      const tsq = pick(p);
      if (positive) {
        // Free text is ranked by where it occurs; a field query (title:, notes:) occurs in one place.
        const tiers = def.weight === '' ? (['A', 'B', 'C'] as const).map((w) => pick(textParts(value, node.phrase, node.prefix, w, false))) : null;
        acc.rank.push(tiers ? { A: tiers[0]!, B: tiers[1]!, C: tiers[2]! } : null);
      }
      const match = sql<SqlBool>`s.document @@ ${tsq}::tsquery`;
      if (looseness !== 'typo' || !p.fuzzy.length) return match;
      acc.fuzzy.push(...p.fuzzy);
      return sql<SqlBool>`(${sql.join([match, ...p.fuzzy.map((f) => sql<SqlBool>`s.title_text %> ${f}`)], sql` OR `)})`;
    }
    case 'exact':
      return exactValue(def.column, value, node.prefix);
    case 'uuid':
      if (node.prefix && value === '') return sql<SqlBool>`${sql.raw(def.expr)} IS NOT NULL`;
      return UUID.test(value) ? sql<SqlBool>`${sql.raw(def.expr)} = ${value.toLowerCase()}::uuid` : sql<SqlBool>`FALSE`;
    case 'organization':
      if (node.prefix && value === '') return sql<SqlBool>`d.owner_org IS NOT NULL`;
      return sql<SqlBool>`d.owner_org IN (SELECT g.id FROM groups g WHERE g.is_organization AND ${node.prefix ? sql`g.name LIKE ${escapeLike(value) + '%'}` : sql`g.name = ${value}`})`;
    case 'groups': {
      // The group ids are looked up once (an InitPlan), then matched by the GIN index on group_ids.
      const which = node.prefix && value === '' ? sql`TRUE` : node.prefix ? sql`g.name LIKE ${escapeLike(value) + '%'}` : sql`g.name = ${value}`;
      return sql<SqlBool>`s.group_ids && ARRAY(SELECT g.id FROM groups g WHERE NOT g.is_organization AND g.state = 'active' AND ${which})`;
    }
    case 'bool': {
      const v = value.toLowerCase();
      if (node.prefix && v === '') return sql<SqlBool>`TRUE`;
      if (v !== def.trueWord && v !== def.falseWord) throw new SearchQueryError(`${node.field} is ${def.trueWord} or ${def.falseWord}`);
      return v === def.trueWord ? sql<SqlBool>`${sql.raw(def.expr)}` : sql<SqlBool>`NOT ${sql.raw(def.expr)}`;
    }
    case 'date':
      if (node.prefix && value === '') return sql<SqlBool>`TRUE`;
      throw new SearchQueryError(`${node.field} takes a range such as [2024-01-01 TO *]`);
  }
}

function compile(node: QueryNode, exactOnly: boolean, positive: boolean, acc: Acc): RawBuilder<SqlBool> | null {
  switch (node.kind) {
    case 'all':
      return sql<SqlBool>`TRUE`;
    case 'term':
    case 'range':
      return leaf(node, exactOnly, positive, acc);
    case 'not': {
      // Excluding "anything like X" would hide too much: negations use exact words only.
      const inner = compile(node.item, true, !positive, acc);
      return inner ? sql<SqlBool>`NOT coalesce(${inner}, FALSE)` : null;
    }
    case 'and':
    case 'or': {
      const parts = node.items.map((n) => compile(n, exactOnly, positive, acc)).filter((p): p is RawBuilder<SqlBool> => p !== null);
      if (!parts.length) return null;
      if (parts.length === 1) return parts[0]!;
      return sql<SqlBool>`(${sql.join(parts, node.kind === 'and' ? sql` AND ` : sql` OR `)})`;
    }
  }
}

function relevance(terms: Array<Tiers | null>): RawBuilder<number> | null {
  if (!terms.length) return null;
  const tiered = terms.filter((t): t is Tiers => t !== null);
  if (!tiered.length) return sql<number>`0`;
  return sql<number>`(${sql.join(
    tiered.map((t) => sql`CASE WHEN s.document @@ ${t.A}::tsquery THEN 4 WHEN s.document @@ ${t.B}::tsquery THEN 2 WHEN s.document @@ ${t.C}::tsquery THEN 1 ELSE 0 END`),
    sql` + `,
  )})`;
}

/**
 * Words are matched as typed. A term that matches nothing the caller can see is loosened: as a
 * partial word (prefix), and if that finds nothing either, as a typo of a title word (pg_trgm).
 * Real words are thus never
 * drowned by look-alikes (แรงงาน "labour" vs โรงงาน "factory"), common queries stay on the
 * cheap exact index path, and the choice depends on visible rows only, so private data cannot
 * change what an outsider sees. Loosened matches rank below exact ones.
 */
export function compileQuery(node: QueryNode, opts: CompileOptions = {}): CompiledQuery {
  const acc: Acc = { rank: [], fuzzy: [], candidates: [], loosen: opts.loosen ?? new Map() };
  const where = compile(node, false, true, acc) ?? sql<SqlBool>`TRUE`;
  const exact = compile(node, true, true, { rank: [], fuzzy: [], candidates: [], loosen: new Map() }) ?? sql<SqlBool>`TRUE`;
  const seen = new Set<string>();
  return {
    where,
    exact,
    relevance: relevance(acc.rank),
    fuzzyTexts: [...new Set(acc.fuzzy)],
    candidates: acc.candidates.filter((c) => !seen.has(c.key) && seen.add(c.key)),
  };
}
