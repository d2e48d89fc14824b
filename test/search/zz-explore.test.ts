import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { api } from '../helpers.ts';
import { corpusEnv, type CorpusEnv } from './fixtures.ts';

let c: CorpusEnv;
before(async () => { c = await corpusEnv(); });
after(() => c.env.close());

test('explore', async () => {
  const db = c.env.services.store.db;
  const n = await sql<any>`SELECT count(*)::int n, sum(cardinality(keys))::int k, pg_total_relation_size('search_vocab') sz, pg_total_relation_size('dataset_search') ds FROM search_vocab`.execute(db);
  console.log(n.rows);
  for (const q of ['แรงงาน', 'ลพุรี', 'นคปฐม', 'โรแรม', 'กรุงเทพ', 'กรุงเทพมหานคร', 'หลวง', 'ทางหลวง', 'กทม', 'ท่องเทียว', 'แรงงาณ', 'งบประมาน', 'ท่องเที่', 'แรงงา', 'สถิต', 'โรงงาน', 'น้ำ', 'สถิติ']) {
    const r = await api(c.env, 'package_search', { q, rows: 5 });
    const res = r.json.result;
    console.log(q, res.count, JSON.stringify(res.search_loosened), res.results.slice(0, 3).map((x: any) => x.title.slice(0, 50)).join(' | '));
  }
});
