import { testEnv, type TestEnv } from '../helpers.ts';
import { createCorpus, loadSeedRecords, type Corpus, type SeedRecord } from '../../bench/search-corpus.ts';
import { reindexAll } from '../../src/search/reindex.ts';
import { words } from '../../src/search/segment.ts';

export interface CorpusEnv {
  env: TestEnv;
  corpus: Corpus;
  records: SeedRecord[];
}

/**
 * A test environment holding every real data.go.th record of ../shared/data once (titles as
 * published), all public unless `publicShare` says otherwise, indexed by reindexAll.
 */
export async function corpusEnv(opts: { publicShare?: number } = {}): Promise<CorpusEnv> {
  const env = await testEnv();
  const records = loadSeedRecords();
  const corpus = await createCorpus(env.services, { total: records.length, records, publicShare: opts.publicShare ?? 1 });
  await corpus.insert(0, records.length);
  await reindexAll(env.services);
  return { env, corpus, records };
}

/** Does this text contain the query's words next to each other, as the search understands it? */
export function hasWords(text: string, query: string): boolean {
  const t = words(text);
  const q = words(query);
  for (let i = 0; i + q.length <= t.length; i++) if (q.every((w, j) => t[i + j] === w)) return true;
  return false;
}
