import type { Corpus, SeedRecord } from './search-corpus.ts';
import { words } from '../src/search/segment.ts';
import { graphemeLength } from '../src/search/typo.ts';

/**
 * The query mix of bench:search: queries that do not repeat, so no cache can answer them. Words
 * are drawn from the real titles (a random record, then a random word of its title: common
 * words come up as often as people type them), alone or in pairs from the same title; a third of
 * the queries ask for four facets, some add an fq filter or a sort.
 */
export interface BenchQuery {
  kind: 'one-word' | 'two-word';
  facets: boolean;
  params: Record<string, string>;
}

const FACET_SETS = [
  ['organization', 'tags', 'res_format', 'data_type'],
  ['groups', 'license_id', 'data_classification', 'update_frequency_unit'],
  ['organization', 'groups', 'tags', 'geo_coverage'],
  ['res_format', 'license_id', 'data_category', 'tags'],
];
const SORTS = ['metadata_modified desc', 'title_string asc', 'metadata_created desc', 'score desc, metadata_modified desc'];

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The words of each real title a person might type (two clusters or more, not bare numbers). */
export function titleWords(records: SeedRecord[]): Array<{ words: string[]; tags: string[] }> {
  return records
    .map((r) => ({ words: [...new Set(words(r.title).filter((w) => graphemeLength(w) >= 2 && !/^\d+$/.test(w)))], tags: r.tags }))
    .filter((r) => r.words.length > 0);
}

/** `count` distinct queries from `seed`; `used` keeps them distinct across calls too. */
export function queryMix(pool: ReturnType<typeof titleWords>, corpus: Corpus, count: number, seed: number, used: Set<string>): BenchQuery[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: BenchQuery[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const rec = pick(pool);
    const w1 = pick(rec.words);
    const others = rec.words.filter((w) => w !== w1);
    const pair = others.length > 0 && rnd() < 0.5;
    const params: Record<string, string> = { q: pair ? `${w1} ${pick(others)}` : w1, rows: '20' };
    const facets = rnd() < 1 / 3;
    if (facets) params['facet.field'] = JSON.stringify(pick(FACET_SETS));
    const f = rnd();
    if (f < 0.08) params.fq = 'res_format:CSV';
    else if (f < 0.14) params.fq = `organization:${pick(corpus.orgs).name}`;
    else if (f < 0.2 && rec.tags.length) params.fq = `tags:"${pick(rec.tags).replace(/"/g, '')}"`;
    else if (f < 0.25) params.fq = 'data_type:"ข้อมูลสถิติ"';
    if (rnd() < 0.2) params.sort = pick(SORTS);
    const key = JSON.stringify(params);
    if (used.has(key)) continue;
    used.add(key);
    out.push({ kind: pair ? 'two-word' : 'one-word', facets, params });
  }
  return out;
}
