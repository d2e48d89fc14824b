import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import { termForms, type Expansion, type LooseCandidate } from './query-sql.ts';
import { readSynonyms, synonymKey, synonymLookup } from './synonyms.ts';
import { corrections, partsLookup, readParts } from './vocab.ts';

/** What a loosened term became, as package_search reports it in `search_loosened`. */
export interface LoosenedTerm {
  /** The term as typed. */
  from: string;
  /** partial_word: found only inside longer words; similar_spelling: found only as a corrected spelling. */
  mode: 'partial_word' | 'similar_spelling';
  /** The corrected spellings that found something (similar_spelling), closest first. */
  to: string[];
}

/** Spellings tried per term, and how many a notice names. */
const MAX_TRIED = 30;
const MAX_SHOWN = 5;

export interface Expanded {
  expansions: Map<string, Expansion>;
  loosened: LoosenedTerm[];
}

/**
 * Looks the free-text terms up and decides how far each is loosened. The common case is one
 * round trip (does each term match a visible row as typed; its synonyms; the longer words that
 * hold it); the rest runs only for terms that match nothing: partial words, then spelling
 * corrections from the vocabulary, each checked against the rows the caller may see.
 */
export async function expandTerms(ctx: ActionContext, vis: RawBuilder<SqlBool>, candidates: LooseCandidate[]): Promise<Expanded> {
  const expansions = new Map<string, Expansion>();
  const loosened: LoosenedTerm[] = [];
  if (!candidates.length) return { expansions, loosened };
  const exists = (tsq: string) => sql<boolean>`EXISTS (SELECT 1 FROM dataset_search s WHERE ${vis} AND s.document @@ ${tsq}::tsquery)`;
  const found = async (queries: string[]): Promise<boolean[]> => {
    if (!queries.length) return [];
    return (await sql<{ found: boolean[] }>`SELECT ARRAY[${sql.join(queries.map(exists))}] AS found`.execute(ctx.db)).rows[0]!.found;
  };

  const free = candidates.filter((c) => c.free);
  const keys = free.map((c) => synonymKey(c.value));
  const first = await sql<{ found: boolean[]; parts: unknown; synonyms: unknown }>`
    SELECT ARRAY[${sql.join(candidates.map((c) => exists(termForms(c, undefined, c.weight).exact)))}] AS found,
      ${partsLookup(free.map((c) => c.joined))} AS parts, ${synonymLookup(keys)} AS synonyms`.execute(ctx.db);
  const row = first.rows[0]!;
  const parts = readParts(
    free.map((c) => c.joined),
    row.parts,
  );
  const synonyms = readSynonyms(keys, row.synonyms);
  free.forEach((c, i) => {
    const syn = synonyms.get(keys[i]!);
    const p = parts[i]!;
    if (syn || p.prefix || p.infix.length) expansions.set(c.key, { synonyms: syn, prefix: p.prefix, infix: p.infix });
  });

  // Terms unknown as typed: do their synonyms find something, or else their partial words?
  const missing = candidates.filter((_, i) => !row.found[i]);
  if (!missing.length) return { expansions, loosened };
  const withSynonyms = missing.filter((c) => expansions.get(c.key)?.synonyms?.length);
  const partial = missing.map((c) => termForms(c, { ...expansions.get(c.key), loosen: 'partial' }, c.weight).loose ?? '');
  const checks = await found([...withSynonyms.map((c) => termForms(c, expansions.get(c.key), c.weight).exact), ...partial.filter(Boolean)]);
  const synonymHit = new Set(withSynonyms.filter((_, i) => checks[i]).map((c) => c.key));
  let k = withSynonyms.length;
  const typos: LooseCandidate[] = [];
  missing.forEach((c, i) => {
    const partialHit = partial[i] ? checks[k++] : false;
    if (synonymHit.has(c.key)) return;
    const exp: Expansion = { ...expansions.get(c.key), loosen: partialHit ? 'partial' : 'typo' };
    expansions.set(c.key, exp);
    if (partialHit) loosened.push({ from: c.value, mode: 'partial_word', to: [] });
    else typos.push(c);
  });
  if (!typos.length) return { expansions, loosened };

  // Corrections of the whole chunk (นคปฐม → นครปฐม) and of each of its words (ท่อง|เทียว → ท่อง|เที่ยว).
  const typed = typos.map((c) => [c.joined, ...(c.words.length > 1 ? c.words : [])]);
  const fixes = await corrections(ctx.db, typed.flat());
  let at = 0;
  const tried = typos.map((c, t) => {
    const forms: Array<{ words: string[]; distance: number }> = [];
    for (const [j, _] of typed[t]!.entries()) {
      for (const fix of fixes[at + j] ?? []) {
        const ws = j === 0 ? [fix.word] : c.words.map((w, i) => (i === j - 1 ? fix.word : w));
        forms.push({ words: ws, distance: fix.distance });
      }
    }
    at += typed[t]!.length;
    const seen = new Set<string>();
    return forms
      .sort((a, b) => a.distance - b.distance)
      .filter((f) => !seen.has(f.words.join('\u0000')) && seen.add(f.words.join('\u0000')))
      .slice(0, MAX_TRIED);
  });
  const flat = tried.flatMap((forms, t) => forms.map((f) => ({ t, words: f.words })));
  const hits = await found(flat.map((f) => termForms({ ...typos[f.t]!, words: f.words, joined: f.words.join('') }, undefined, typos[f.t]!.weight).exact));
  typos.forEach((c, t) => {
    const good = flat.filter((f, i) => f.t === t && hits[i]).map((f) => f.words);
    expansions.set(c.key, { ...expansions.get(c.key), loosen: 'typo', corrections: good });
    loosened.push({ from: c.value, mode: 'similar_spelling', to: [...new Set(good.map((w) => w.join('')))].slice(0, MAX_SHOWN) });
  });
  return { expansions, loosened };
}
