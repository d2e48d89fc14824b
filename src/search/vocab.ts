import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from '../store/db.ts';
import { MAX_TOKEN } from './segment.ts';
import { allowedTypos, deletionKeys, graphemeLength, graphemesOf, isVocabWord, LONG_WORD_GRAPHEMES, typoDistance } from './typo.ts';

/**
 * The index's own vocabulary (`search_vocab`, migration 009): every word of every search row,
 * once. It is what typos are corrected towards and where longer words containing a typed word
 * are found. It may hold words whose datasets are gone or private: a candidate only widens the
 * query, and the query still matches visible rows only.
 */

/** Adds new words, in the writer's transaction. Known words cost one index probe each, nothing else. */
export async function rememberLexemes(db: Tx, lexemes: Iterable<string>): Promise<void> {
  const list = [...new Set(Array.from(lexemes).filter(isVocabWord))].sort();
  if (!list.length) return;
  const fresh = (await sql<{ l: string }>`SELECT u.l FROM unnest(${list}::text[]) AS u(l) WHERE NOT EXISTS (SELECT 1 FROM search_vocab v WHERE v.lexeme = u.l)`.execute(db)).rows.map((r) => r.l);
  if (!fresh.length) return;
  await insertWords(db, fresh);
}

/** In a fixed order, so two writers adding the same new words cannot deadlock. */
async function insertWords(db: Tx | Db, words: string[]): Promise<void> {
  const sorted = [...words].sort();
  for (let i = 0; i < sorted.length; i += 2000) {
    const rows = sorted.slice(i, i + 2000).map((l) => ({ l, k: deletionKeys(l) }));
    await sql`
      INSERT INTO search_vocab (lexeme, keys)
      SELECT x.l, x.k FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(l text, k text[]) ORDER BY x.l
      ON CONFLICT DO NOTHING`.execute(db);
  }
}

/**
 * Makes the vocabulary exactly the words of the current search rows (after migration 009 on an
 * indexed catalog, or to drop words no dataset has any more). Returns the number of words.
 */
export async function rebuildVocab(db: Db): Promise<number> {
  const words = (await sql<{ word: string }>`SELECT word FROM ts_stat('SELECT document FROM dataset_search')`.execute(db)).rows.map((r) => r.word).filter(isVocabWord);
  const missing = (await sql<{ l: string }>`SELECT u.l FROM unnest(${words}::text[]) AS u(l) WHERE NOT EXISTS (SELECT 1 FROM search_vocab v WHERE v.lexeme = u.l)`.execute(db)).rows.map((r) => r.l);
  await insertWords(db, missing);
  await sql`DELETE FROM search_vocab WHERE NOT (lexeme = ANY(${words}::text[]))`.execute(db);
  return words.length;
}

/** Longer words holding a typed word, per term, at most this many (shortest first). */
export const MAX_PARTS = 64;
/** Infix lookups need a trigram: shorter input would scan the whole vocabulary. */
const MIN_INFIX_GRAPHEMES = 3;

export interface WordParts {
  /** Some longer word starts with it (the query then adds `word:*`). */
  prefix: boolean;
  /** Longer words that hold it elsewhere than at their start. */
  infix: string[];
}

/** The typed text sits in the word on cluster boundaries (ที is not part of ที่). */
function onBoundaries(word: string, part: string): boolean {
  const starts = new Set<number>();
  let at = 0;
  for (const g of graphemesOf(word)) {
    starts.add(at);
    at += g.length;
  }
  starts.add(at);
  for (let i = word.indexOf(part); i >= 0; i = word.indexOf(part, i + 1)) if (starts.has(i) && starts.has(i + part.length)) return true;
  return false;
}

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** SQL for the longer words containing each typed word (one statement for all). */
/**
 * A joined word (สุขภาพ_ตาก_csv) is indexed with its pieces at the same place (segment.ts), so for a
 * chunk without a joiner the piece that holds it is a part already: the joined word adds nothing
 * to the query but cost (a broad chunk's parts were mostly file names).
 */
const JOINED = /[-_./]/;

/**
 * A JSON array of one value per subquery, in order. Not json_build_array: PostgreSQL functions
 * take at most 100 arguments, and a query may hold up to 200 terms.
 */
export function jsonList(items: RawBuilder<unknown>[]): RawBuilder<unknown> {
  if (!items.length) return sql`'[]'::json`;
  return sql`(SELECT json_agg(v.x ORDER BY v.o) FROM (VALUES ${sql.join(items.map((x, i) => sql`(${sql.lit(i)}, ${x})`))}) AS v(o, x))`;
}

export function partsLookup(joined: string[]) {
  const subs = joined.map((j) =>
    graphemeLength(j) >= MIN_INFIX_GRAPHEMES && j.length >= 3 && j.length <= MAX_TOKEN
      ? sql`(SELECT coalesce(json_agg(z.l), '[]'::json) FROM (SELECT lexeme AS l FROM search_vocab WHERE lexeme LIKE ${'%' + escapeLike(j) + '%'} AND lexeme <> ${j}${JOINED.test(j) ? sql`` : sql` AND lexeme !~ '[-_./]'`} ORDER BY length(lexeme), lexeme LIMIT ${MAX_PARTS * 3}) z)`
      : sql`'[]'::json`,
  );
  return jsonList(subs.length ? subs : [sql`'[]'::json`]);
}

export function readParts(joined: string[], raw: unknown): WordParts[] {
  const lists = (Array.isArray(raw) ? raw : []) as string[][];
  return joined.map((j, i) => {
    const found = (lists[i] ?? []).filter((w) => onBoundaries(w, j));
    return { prefix: found.some((w) => w.startsWith(j)), infix: found.filter((w) => !w.startsWith(j)).slice(0, MAX_PARTS) };
  });
}

/** Candidates per typed word, closest first. */
export const MAX_CORRECTIONS = 24;

export interface Correction {
  word: string;
  distance: number;
}

/**
 * Words of the vocabulary within reach of each typed word: one edit (two for long words) in
 * grapheme clusters or code points. Candidates come from the deletion keys (exact for one edit)
 * and, for long words, from trigram similarity; the distance itself is computed here.
 */
export async function corrections(db: Db | Tx, typed: string[]): Promise<Correction[][]> {
  const out: Correction[][] = typed.map(() => []);
  const wanted = typed.map((w, i) => ({ w, i, max: isVocabWord(w) ? allowedTypos(w) : 0 })).filter((x) => x.max > 0);
  if (!wanted.length) return out;
  const subs = wanted.map(({ w }) => {
    const long = graphemeLength(w) >= LONG_WORD_GRAPHEMES;
    return sql`(SELECT coalesce(json_agg(z.l), '[]'::json) FROM (
      SELECT lexeme AS l FROM search_vocab WHERE keys && ${deletionKeys(w)}::text[] AND lexeme <> ${w}
      ${long ? sql`UNION SELECT lexeme FROM search_vocab WHERE lexeme % ${w} AND lexeme <> ${w}` : sql``}
      LIMIT 500) z)`;
  });
  const r = await sql<{ c: string[][] }>`SELECT ${jsonList(subs)} AS c`.execute(db);
  const lists = r.rows[0]!.c;
  wanted.forEach(({ w, i, max }, k) => {
    const found: Correction[] = [];
    for (const cand of lists[k] ?? []) {
      const d = typoDistance(w, cand, max);
      if (d <= max) found.push({ word: cand, distance: d });
    }
    const len = graphemeLength(w);
    found.sort((a, b) => a.distance - b.distance || Math.abs(graphemeLength(a.word) - len) - Math.abs(graphemeLength(b.word) - len) || (a.word < b.word ? -1 : 1));
    out[i] = found.slice(0, MAX_CORRECTIONS);
  });
  return out;
}
