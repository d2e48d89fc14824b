import fs from 'node:fs';
import path from 'node:path';
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
 * The real records: `shared/data` beside the checkout or beside one of its parents (a worktree
 * of /work/wt/<name> reads /work/shared/data, as /work/main does).
 */
export function sharedDataDir(): string {
  for (let dir = path.resolve(import.meta.dirname, '..', '..'); ; dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), 'shared', 'data');
    if (fs.existsSync(path.join(candidate, 'data-go-th-mirror-2020s'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error('no shared/data beside the checkout or its parents');
  }
}

/**
 * A test environment holding every real data.go.th record of ../shared/data once (titles as
 * published), all public unless `publicShare` says otherwise, indexed by reindexAll.
 */
export async function corpusEnv(opts: { publicShare?: number } = {}): Promise<CorpusEnv> {
  const env = await testEnv();
  const records = loadSeedRecords(sharedDataDir());
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
