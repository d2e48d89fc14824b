import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
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

export const ROLES = ['anonymous', 'reader', 'member', 'editor', 'sysadmin', 'grantee', 'collaborator'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The real corpus (60 % public) with one caller of each role: members and editors of the
 * organisation with most entries, a grantee of three private entries elsewhere and an editing
 * collaborator of three more.
 */
export async function corpusWithRoles(): Promise<{ env: TestEnv; tokens: Partial<Record<Role, string>>; org: string; userOf: (role: Role) => string }> {
  const { env } = await corpusEnv({ publicShare: 0.6 });
  const db = env.services.store.db;
  const org = (await sql<{ name: string }>`SELECT g.name FROM datasets d JOIN groups g ON g.id = d.owner_org GROUP BY g.name ORDER BY count(*) DESC, g.name LIMIT 1`.execute(db)).rows[0]!.name;
  const tokens: Partial<Record<Role, string>> = {};
  tokens.reader = (await makeUser(env, 'reader')).token;
  tokens.member = (await makeUser(env, 'member', { org, role: 'member' })).token;
  tokens.editor = (await makeUser(env, 'editor', { org, role: 'editor' })).token;
  tokens.sysadmin = (await makeUser(env, 'root', { sysadmin: true })).token;
  tokens.grantee = (await makeUser(env, 'grantee')).token;
  tokens.collaborator = (await makeUser(env, 'collab')).token;
  const others = (
    await sql<{ id: string }>`SELECT d.id FROM datasets d JOIN groups g ON g.id = d.owner_org
      WHERE g.name <> ${org} AND d.private AND d.state = 'active' ORDER BY d.id LIMIT 6`.execute(db)
  ).rows;
  for (const d of others.slice(0, 3)) await sys(env, 'dataset_grant_create', { id: d.id, user: 'grantee', scope: 'metadata' });
  for (const d of others.slice(3)) await sys(env, 'package_collaborator_create', { id: d.id, user_id: 'collab', capacity: 'editor' });
  const userOf = (role: Role) => (role === 'sysadmin' ? 'root' : role === 'collaborator' ? 'collab' : role);
  return { env, tokens, org, userOf };
}
