import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { SearchQueryError } from '../actions/errors.ts';
import { fieldsOf, type QueryNode } from './query-parser.ts';
import { MAX_TOKEN, normalizeText, words } from './segment.ts';
import { graphemeLength } from './typo.ts';
import { FALSE_MEM, MEM_SCALARS, TRUE_MEM, type MemNode } from './memindex/plan.ts';
import { parseSolrDate } from './solr-date.ts';

export { parseSolrDate };

/**
 * Turns a parsed query into one parameterised SQL condition over `s` (dataset_search, which
 * carries the dataset's own visibility and sort columns since migration 020). User text only ever travels as bind parameters, including the tsquery
 * literals we build from our own word segmentation.
 */

/** A search-row column, a list column, or a column only the datasets row has (name, type). */
type Column = { kind: 'column'; expr: string } | { kind: 'array'; expr: string; upper?: boolean } | { kind: 'dataset'; expr: string };
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
  name: { kind: 'exact', column: { kind: 'dataset', expr: 'name' } },
  tags: { kind: 'exact', column: { kind: 'array', expr: 's.tags' } },
  organization: { kind: 'organization' },
  owner_org: { kind: 'uuid', expr: 's.owner_org' },
  groups: { kind: 'groups' },
  res_format: { kind: 'exact', column: { kind: 'array', expr: 's.res_formats', upper: true } },
  license_id: { kind: 'exact', column: col('s.license_id') },
  data_type: { kind: 'exact', column: col('s.data_type') },
  data_category: { kind: 'exact', column: col('s.data_category') },
  data_classification: { kind: 'exact', column: col('s.data_classification') },
  update_frequency_unit: { kind: 'exact', column: col('s.update_frequency_unit') },
  geo_coverage: { kind: 'exact', column: col('s.geo_coverage') },
  id: { kind: 'uuid', expr: 's.dataset_id' },
  state: { kind: 'exact', column: col('s.state') },
  dataset_type: { kind: 'exact', column: { kind: 'dataset', expr: 'type' } },
  type: { kind: 'exact', column: { kind: 'dataset', expr: 'type' } },
  private: { kind: 'bool', expr: 's.private', trueWord: 'true', falseWord: 'false' },
  capacity: { kind: 'bool', expr: 's.private', trueWord: 'private', falseWord: 'public' },
  metadata_modified: { kind: 'date', expr: 's.metadata_modified' },
  metadata_created: { kind: 'date', expr: 's.metadata_created' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Partial words shorter than this would match half the index. */
const MIN_PREFIX = 2;
/** pg_trgm compares a typed word with title words; shorter input has too few trigrams to judge. */
const MIN_FUZZY = 3;
const NUMBER = /^[\d.,]+$/;

/**
 * How far a term is loosened when its exact forms match nothing the caller can see: to partial
 * words (prefix and part of a longer word), then to similar spellings.
 */
export type Looseness = 'partial' | 'typo';

/** What the vocabulary and synonym lookups found for one term (see package-search.ts). */
export interface Expansion {
  /** Other terms of its synonym groups: matched as exact words. */
  synonyms?: string[];
  /** A longer word of the index starts with it (free text only: `word:*` is always added). */
  prefix?: boolean;
  /** Longer words of the index that hold it elsewhere (ทาง|หลวง for หลวง), always added for free text. */
  infix?: string[];
  /** Spelling corrections, each a sequence of words matched side by side (typo mode). */
  corrections?: string[][];
  loosen?: Looseness;
}

export interface CompileOptions {
  /** Lookups per term key. */
  expansions?: ReadonlyMap<string, Expansion>;
  /** organization: and owner_org: also match the organisations below (CKAN's hierarchy extension). */
  includeChildren?: boolean;
}

/** A positive free-text term of the query, for the lookups and the loosening decision. */
export interface LooseCandidate {
  key: string;
  /** As typed (NFC, trimmed): what a loosening notice quotes. */
  value: string;
  words: string[];
  joined: string;
  /** Free text (not a field query): synonyms and parts of longer words apply. */
  free: boolean;
  weight: string;
}

export interface CompiledQuery {
  /** What matches: exact words and synonyms, parts of longer words, and for loosened terms typos. */
  where: RawBuilder<SqlBool>;
  /**
   * Relevance of a matched row: for each positive free-text term, 4 when the title (or name)
   * has it, 2 when a tag has it, 1 when the description has it; a tenth of that when only a
   * partial word or a corrected spelling matches. Null without free text.
   */
  relevance: RawBuilder<number> | null;
  /** Typed text compared with titles by pg_trgm (terms whose corrections found nothing). */
  fuzzyTexts: string[];
  /** Positive free-text terms that could be loosened if they match nothing. */
  candidates: LooseCandidate[];
  /** The same condition for the in-memory copy (memindex/plan.ts); null where only SQL can answer. */
  mem: MemNode | null;
  /** The relevance tiers of each positive term (null: a field query, which scores 0). */
  tiers: Array<Tiers | null>;
}

/** A condition in SQL and, where the in-memory copy can answer it, the same condition for it. */
interface Cond {
  sql: RawBuilder<SqlBool>;
  mem: MemNode | null;
}
const cond = (q: RawBuilder<SqlBool>, mem: MemNode | null): Cond => ({ sql: q, mem });

export function assertKnownFields(node: QueryNode, param: string): void {
  for (const f of fieldsOf(node)) if (!Object.hasOwn(QUERY_FIELDS, f)) throw new SearchQueryError(`undefined field ${f} in ${param}`);
}

function lexeme(word: string, weight: string, prefix = false): string {
  const quoted = `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  return prefix || weight ? `${quoted}:${prefix ? '*' : ''}${weight}` : quoted;
}

const phraseOf = (ws: readonly string[], weight: string) => ws.map((w) => lexeme(w, weight)).join(' <-> ');
const anyOf = (forms: string[]): string | null => (forms.length === 0 ? null : forms.length === 1 ? forms[0]! : forms.map((f) => `(${f})`).join(' | '));

/** The forms of one term at one weight: exact (as typed, synonyms) and loose (partial words, corrections). */
export interface TermForms {
  exact: string;
  loose: string | null;
}

/**
 * tsqueries for a term. Thai is typed without spaces, so the words the dictionary finds in one
 * typed chunk must stand together (ว่างงาน "unemployment" is ว่าง|งาน adjacent, not งานว่าง
 * "vacancy"). Partial words: the chunk as the start of a longer word (แรงงา → แรงงาน), with its
 * last word cut short (ท่อง|เที่ → ท่องเที่ยว), or inside a longer word (หลวง → ทางหลวง); free text
 * always has those the vocabulary knows, any term gets the first two once loosened. Typos: the
 * corrections, and for a chunk of several words those words anywhere.
 */
export function termForms(c: LooseCandidate, exp: Expansion | undefined, weight: string): TermForms {
  const ws = c.words;
  const exact = anyOf([phraseOf(ws, weight), ...(exp?.synonyms ?? []).map((t) => words(t)).filter((x) => x.length).map((x) => phraseOf(x, weight))])!;
  const loose: string[] = [];
  const loosened = exp?.loosen !== undefined;
  // No word of the index is longer than MAX_TOKEN (and tsquery refuses words over 2047 bytes).
  if ((loosened || (c.free && exp?.prefix)) && graphemeLength(c.joined) >= MIN_PREFIX && c.joined.length <= MAX_TOKEN) loose.push(lexeme(c.joined, weight, true));
  if ((loosened || c.free) && ws.length > 1) loose.push([...ws.slice(0, -1).map((w) => lexeme(w, weight)), lexeme(ws[ws.length - 1]!, weight, true)].join(' <-> '));
  if (c.free) for (const w of exp?.infix ?? []) loose.push(lexeme(w, weight));
  if (exp?.loosen === 'typo') {
    for (const cw of exp.corrections ?? []) loose.push(phraseOf(cw, weight));
    if (ws.length > 1) loose.push(ws.map((w) => lexeme(w, weight)).join(' & '));
  }
  return { exact, loose: anyOf([...new Set(loose)]) };
}

/** The tsquery forms a term may take: as typed, or as a partial word / typo once loosened. */
interface TextParts {
  exact: string | null;
  loose: string | null;
  /** Texts pg_trgm compares with title words when corrections found nothing. */
  fuzzy: string[];
  candidate: LooseCandidate | null;
}

function textParts(value: string, phrase: boolean, prefix: boolean, weight: string, fuzzy: boolean, free: boolean, key: string, exp: Expansion | undefined): TextParts {
  const ws = words(value);
  const none: TextParts = { exact: null, loose: null, fuzzy: [], candidate: null };
  if (!ws.length) return none;
  if (phrase) return { ...none, exact: phraseOf(ws, weight) };
  if (prefix) return { ...none, exact: [...ws.slice(0, -1).map((w) => lexeme(w, weight)), lexeme(ws[ws.length - 1]!, weight, true)].join(' <-> ') };
  const candidate: LooseCandidate = { key, value, words: ws, joined: ws.join(''), free, weight };
  const forms = termForms(candidate, exp, weight);
  const norm = normalizeText(value).trim();
  // A number is a fact (a year, a code): 2566 that nobody published is not 2561 misspelt.
  const texts = fuzzy && exp?.loosen === 'typo' && !exp.corrections?.length && graphemeLength(norm) >= MIN_FUZZY && !ws.some((w) => NUMBER.test(w)) ? [...new Set([norm, ws.join(' ')])] : [];
  return { exact: forms.exact, loose: forms.loose, fuzzy: texts, candidate };
}

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => '\\' + c);
}

function exactValue(column: Column, value: string, prefix: boolean): Cond {
  const v = column.kind === 'array' && column.upper ? value.toUpperCase() : value;
  const e = sql.raw(column.expr);
  if (column.kind === 'dataset') {
    // Only the datasets row has it; its own index (name is unique) finds the ids. The search row keeps the name too (for sorting).
    const c = prefix ? (v === '' ? sql`d.${e} <> ''` : sql`d.${e} LIKE ${escapeLike(v) + '%'}`) : sql`d.${e} = ${v}`;
    return cond(sql<SqlBool>`s.dataset_id IN (SELECT d.id FROM datasets d WHERE ${c})`, column.expr === 'name' ? { k: 'name', value: v, prefix } : null);
  }
  if (column.kind === 'array') {
    const col = column.expr === 's.tags' ? 'tags' : 'res_formats';
    const mem: MemNode = { k: 'has', col, value: v, prefix };
    if (prefix && v === '') return cond(sql<SqlBool>`cardinality(${e}) > 0`, mem);
    if (prefix) return cond(sql<SqlBool>`EXISTS (SELECT 1 FROM unnest(${e}) AS x(v) WHERE x.v LIKE ${escapeLike(v) + '%'})`, mem);
    return cond(sql<SqlBool>`${e} @> ARRAY[${v}]::text[]`, mem);
  }
  const col = MEM_SCALARS[column.expr];
  const mem: MemNode | null = col ? { k: 'eq', col, value: v, prefix } : null;
  if (prefix) return cond(v === '' ? sql<SqlBool>`${e} <> ''` : sql<SqlBool>`${e} LIKE ${escapeLike(v) + '%'}`, mem);
  return cond(sql<SqlBool>`${e} = ${v}`, mem);
}

/** The same term restricted to title (A), tag (B) and description (C) words, exact and loose. */
export interface Tiers {
  A: string;
  B: string;
  C: string;
  loose: { A: string; B: string; C: string } | null;
}

interface Acc {
  rank: Array<Tiers | null>;
  fuzzy: string[];
  candidates: LooseCandidate[];
  expansions: ReadonlyMap<string, Expansion>;
  includeChildren: boolean;
}

function leaf(node: Extract<QueryNode, { kind: 'term' | 'range' }>, exactOnly: boolean, positive: boolean, acc: Acc): Cond | null {
  const def = Object.hasOwn(QUERY_FIELDS, node.field ?? 'text') ? QUERY_FIELDS[node.field ?? 'text'] : undefined;
  if (!def) throw new SearchQueryError(`undefined field ${node.field}`);
  if (node.kind === 'range') {
    if (def.kind !== 'date') throw new SearchQueryError(`range queries are not supported on ${node.field}`);
    const e = sql.raw(def.expr);
    const col = def.expr === 's.metadata_modified' ? 'modified' : 'created';
    const parts: RawBuilder<SqlBool>[] = [];
    const mems: MemNode[] = [];
    if (node.from !== null) {
      const d = parseSolrDate(node.from);
      parts.push(node.fromInclusive ? sql<SqlBool>`${e} >= ${d}` : sql<SqlBool>`${e} > ${d}`);
      mems.push({ k: 'time', col, op: node.fromInclusive ? '>=' : '>', us: d.getTime() * 1000 });
    }
    if (node.to !== null) {
      const d = parseSolrDate(node.to);
      parts.push(node.toInclusive ? sql<SqlBool>`${e} <= ${d}` : sql<SqlBool>`${e} < ${d}`);
      mems.push({ k: 'time', col, op: node.toInclusive ? '<=' : '<', us: d.getTime() * 1000 });
    }
    return parts.length ? cond(sql<SqlBool>`(${sql.join(parts, sql` AND `)})`, { k: 'and', items: mems }) : cond(sql<SqlBool>`TRUE`, TRUE_MEM);
  }
  const value = node.value.normalize('NFC');
  switch (def.kind) {
    case 'text': {
      const key = `${def.weight}:${normalizeText(value).trim()}`;
      // Negations use the words as typed: excluding "anything like X" would hide too much.
      const exp = positive && !exactOnly ? acc.expansions.get(key) : undefined;
      const free = (node.field ?? 'text') === 'text';
      const p = textParts(value.trim(), node.phrase, node.prefix, def.weight, def.fuzzy, free, key, exp);
      if (!p.exact) return node.prefix && value === '' ? cond(sql<SqlBool>`TRUE`, TRUE_MEM) : null;
      if (positive && !exactOnly && p.candidate) acc.candidates.push(p.candidate);
      const tsq = p.loose ? `(${p.exact}) | (${p.loose})` : p.exact;
      if (positive) {
        // Free text is ranked by where it occurs; a field query (title:, notes:) occurs in one place.
        if (def.weight === '') {
          const at = (w: 'A' | 'B' | 'C') => textParts(value.trim(), node.phrase, node.prefix, w, false, free, key, exp);
          const [a, b, c] = [at('A'), at('B'), at('C')];
          acc.rank.push({ A: a.exact!, B: b.exact!, C: c.exact!, loose: p.loose ? { A: a.loose!, B: b.loose!, C: c.loose! } : null });
        }
        else acc.rank.push(null);
      }
      const match = sql<SqlBool>`s.document @@ ${tsq}::tsquery`;
      if (!p.fuzzy.length) return cond(match, { k: 'text', tsq });
      acc.fuzzy.push(...p.fuzzy);
      // pg_trgm's similarity is PostgreSQL's alone.
      return cond(sql<SqlBool>`(${sql.join([match, ...p.fuzzy.map((f) => sql<SqlBool>`s.title_text %> ${f}`)], sql` OR `)})`, null);
    }
    case 'exact':
      return exactValue(def.column, value, node.prefix);
    case 'uuid': {
      const col = def.expr === 's.owner_org' ? 'owner' : 'id';
      if (node.prefix && value === '') return cond(sql<SqlBool>`${sql.raw(def.expr)} IS NOT NULL`, col === 'owner' ? { k: 'notNull', col } : TRUE_MEM);
      if (!UUID.test(value)) return cond(sql<SqlBool>`FALSE`, FALSE_MEM);
      if (acc.includeChildren && node.field === 'owner_org') {
        const tree = orgTree(sql`g.id = ${value.toLowerCase()}::uuid`);
        return cond(sql<SqlBool>`s.owner_org IN (${tree})`, { k: 'ownerSet', ids: null, query: tree });
      }
      return cond(sql<SqlBool>`${sql.raw(def.expr)} = ${value.toLowerCase()}::uuid`, { k: 'uuid', col, value: value.toLowerCase() });
    }
    case 'organization': {
      if (node.prefix && value === '') return cond(sql<SqlBool>`s.owner_org IS NOT NULL`, { k: 'notNull', col: 'owner' });
      const which = node.prefix ? sql`g.name LIKE ${escapeLike(value) + '%'}` : sql`g.name = ${value}`;
      const ids = acc.includeChildren ? orgTree(which) : sql`SELECT g.id FROM groups g WHERE g.is_organization AND ${which}`;
      return cond(sql<SqlBool>`s.owner_org IN (${ids})`, { k: 'ownerSet', ids: null, query: ids });
    }
    case 'groups': {
      // The group ids are looked up once (an InitPlan), then matched by the GIN index on group_ids.
      const which = node.prefix && value === '' ? sql`TRUE` : node.prefix ? sql`g.name LIKE ${escapeLike(value) + '%'}` : sql`g.name = ${value}`;
      const ids = sql`SELECT g.id FROM groups g WHERE NOT g.is_organization AND g.state = 'active' AND ${which}`;
      return cond(sql<SqlBool>`s.group_ids && ARRAY(${ids})`, { k: 'groupSet', ids: null, query: ids });
    }
    case 'bool': {
      const v = value.toLowerCase();
      if (node.prefix && v === '') return cond(sql<SqlBool>`TRUE`, TRUE_MEM);
      if (v !== def.trueWord && v !== def.falseWord) throw new SearchQueryError(`${node.field} is ${def.trueWord} or ${def.falseWord}`);
      return v === def.trueWord ? cond(sql<SqlBool>`${sql.raw(def.expr)}`, { k: 'private', v: true }) : cond(sql<SqlBool>`NOT ${sql.raw(def.expr)}`, { k: 'private', v: false });
    }
    case 'date':
      if (node.prefix && value === '') return cond(sql<SqlBool>`TRUE`, TRUE_MEM);
      throw new SearchQueryError(`${node.field} takes a range such as [2024-01-01 TO *]`);
  }
}

function compile(node: QueryNode, exactOnly: boolean, positive: boolean, acc: Acc): Cond | null {
  switch (node.kind) {
    case 'all':
      return cond(sql<SqlBool>`TRUE`, TRUE_MEM);
    case 'term':
    case 'range':
      return leaf(node, exactOnly, positive, acc);
    case 'not': {
      // Excluding "anything like X" would hide too much: negations use exact words only.
      const inner = compile(node.item, true, !positive, acc);
      // NULL counts as no match on both sides: coalesce here, two-valued logic in memory.
      return inner ? cond(sql<SqlBool>`NOT coalesce(${inner.sql}, FALSE)`, inner.mem && { k: 'not', item: inner.mem }) : null;
    }
    case 'and':
    case 'or': {
      const parts = node.items.map((n) => compile(n, exactOnly, positive, acc)).filter((p): p is Cond => p !== null);
      if (!parts.length) return null;
      if (parts.length === 1) return parts[0]!;
      const mems = parts.map((p) => p.mem);
      return cond(
        sql<SqlBool>`(${sql.join(
          parts.map((p) => p.sql),
          node.kind === 'and' ? sql` AND ` : sql` OR `,
        )})`,
        mems.every((m): m is MemNode => m !== null) ? { k: node.kind, items: mems } : null,
      );
    }
  }
}

/**
 * The organisations a condition names and every organisation below them (ministry → department
 * → division). UNION stops on a cycle; visibility is still decided per dataset.
 */
function orgTree(which: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`WITH RECURSIVE tree(id) AS (
      SELECT g.id FROM groups g WHERE g.is_organization AND ${which}
      UNION SELECT c.id FROM groups c JOIN tree t ON c.parent_id = t.id WHERE c.is_organization)
    SELECT id FROM tree`;
}

function relevance(terms: Array<Tiers | null>): RawBuilder<number> | null {
  if (!terms.length) return null;
  const tiered = terms.filter((t): t is Tiers => t !== null);
  if (!tiered.length) return sql<number>`0`;
  const tier = (q: string, points: number) => (q ? sql`WHEN s.document @@ ${q}::tsquery THEN ${sql.raw(String(points))} ` : sql``);
  return sql<number>`(${sql.join(
    tiered.map(
      (t) =>
        sql`CASE ${tier(t.A, 4)}${tier(t.B, 2)}${tier(t.C, 1)}${t.loose ? sql`${tier(t.loose.A, 0.4)}${tier(t.loose.B, 0.2)}${tier(t.loose.C, 0.1)}` : sql``}ELSE 0 END`,
    ),
    sql` + `,
  )})`;
}

/**
 * Words are matched as typed, with their synonyms; free text also finds longer words that hold
 * them (กรุงเทพ → กรุงเทพมหานคร, หลวง → ทางหลวง), ranked a tier lower. A term that matches nothing
 * the caller can see is loosened: to partial words, and if that finds nothing either, to the
 * vocabulary's words within an edit or two (typos; pg_trgm on titles as a last resort). Real
 * words are thus never drowned by look-alikes (แรงงาน "labour" vs โรงงาน "factory"), and the
 * choice depends on visible rows only, so private data cannot change what an outsider sees.
 */
export function compileQuery(node: QueryNode, opts: CompileOptions = {}): CompiledQuery {
  const acc: Acc = { rank: [], fuzzy: [], candidates: [], expansions: opts.expansions ?? new Map(), includeChildren: opts.includeChildren ?? false };
  const compiled = compile(node, false, true, acc) ?? cond(sql<SqlBool>`TRUE`, TRUE_MEM);
  const seen = new Set<string>();
  return {
    where: compiled.sql,
    mem: compiled.mem,
    tiers: acc.rank,
    relevance: relevance(acc.rank),
    fuzzyTexts: [...new Set(acc.fuzzy)],
    candidates: acc.candidates.filter((c) => !seen.has(c.key) && seen.add(c.key)),
  };
}
