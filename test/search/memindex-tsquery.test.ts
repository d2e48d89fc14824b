import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { testEnv, type TestEnv } from '../helpers.ts';
import { DeltaPostings, PostingsBuilder } from '../../src/search/memindex/postings.ts';
import { evaluate, parseTsquery, TsContext } from '../../src/search/memindex/tsquery.ts';
import { members } from '../../src/search/memindex/bitset.ts';
import { compareCodePoints, topK } from '../../src/search/memindex/order.ts';
import { notOlder } from '../../src/search/memindex/catalog.ts';

/**
 * The in-memory `@@` against PostgreSQL's own, on random documents and random queries of the
 * shapes query-sql.ts builds (lexemes, prefixes, weights, phrases, &, |, !), with quotes and
 * backslashes in lexemes, repeated positions and alternatives sharing a position.
 */
let env: TestEnv;
before(async () => {
  env = await testEnv();
});
after(() => env?.close());

const WORDS = ['ข้อมูล', 'ข้อ', 'สถิติ', 'แรง', 'แรงงาน', 'งาน', "it's", 'a\\b', 'data', 'dat', 'ประชากร', 'ปี', '2566', 'กรุงเทพ', 'กรุงเทพมหานคร'];
const W = ['A', 'B', 'C', 'D'];

function rng(seed: number) {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
}
const quote = (w: string) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

function randomDoc(r: () => number): string {
  const positions = new Map<string, string[]>();
  let pos = 1;
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    const weight = W[Math.floor(r() * 4)]!;
    (positions.get(w) ?? positions.set(w, []).get(w)!).push(`${pos}${weight === 'D' ? '' : weight}`);
    if (r() < 0.8) pos++;
  }
  return [...positions].map(([w, ps]) => `${quote(w)}:${[...new Set(ps)].join(',')}`).join(' ');
}

function randomQuery(r: () => number, depth = 0): string {
  const lex = () => {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    const prefix = r() < 0.25;
    const weight = r() < 0.4 ? W[Math.floor(r() * 3)]! + (r() < 0.3 ? 'C' : '') : '';
    return prefix || weight ? `${quote(w)}:${prefix ? '*' : ''}${weight}` : quote(w);
  };
  const k = depth > 2 ? 0 : Math.floor(r() * 6);
  if (k <= 1) return lex();
  if (k === 2) return Array.from({ length: 2 + Math.floor(r() * 2) }, lex).join(' <-> ');
  if (k === 3) return `!(${randomQuery(r, depth + 1)})`;
  return `(${randomQuery(r, depth + 1)}) ${k === 4 ? '&' : '|'} (${randomQuery(r, depth + 1)})`;
}

test('in-memory @@ equals PostgreSQL @@ on 300 random documents × 150 random queries', async () => {
  const r = rng(42);
  const docs = Array.from({ length: 300 }, () => randomDoc(r));
  const queries = Array.from({ length: 150 }, () => randomQuery(r));
  const db = env.services.store.db;
  // PostgreSQL's own reading of the documents (it merges and sorts positions), as the index reads them.
  const stored = (await sql<{ t: string }>`SELECT d::tsvector::text AS t FROM unnest(${docs}::text[]) WITH ORDINALITY AS x(d, i) ORDER BY i`.execute(db)).rows.map((x) => x.t);
  const base = new PostingsBuilder();
  const delta = new DeltaPostings();
  // Half in the base, half in the delta: both segments must read the same way.
  stored.forEach((t, i) => (i < 150 ? base.addText(t) : delta.add(i, t)));
  const segments = [base.build(), delta];
  let nonTrivial = 0;
  for (const q of queries) {
    const want = (await sql<{ i: number }>`SELECT (x.i - 1)::int AS i FROM unnest(${stored}::text[]) WITH ORDINALITY AS x(d, i) WHERE x.d::tsvector @@ ${q}::tsquery ORDER BY x.i`.execute(db)).rows.map((x) => x.i);
    const got = [...members(evaluate(parseTsquery(q), new TsContext(segments, stored.length)))];
    assert.deepEqual(got, want, q);
    if (want.length > 0 && want.length < stored.length) nonTrivial++;
  }
  assert.ok(nonTrivial > 60, `queries that split the documents: ${nonTrivial}`);
});

test('code-point order, top-k, snapshot order', () => {
  const words = ['b', 'a', '\uffff', '\u{1F600}', 'ab', '', 'ก', 'เก', '\ue000'];
  const byCodePoint = [...words].sort((x, y) => {
    const a = [...x].map((c) => c.codePointAt(0)!);
    const b = [...y].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  assert.deepEqual([...words].sort(compareCodePoints), byCodePoint);
  const rows = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
  assert.deepEqual(topK(rows, 5, (a, b) => b - a), [999, 998, 997, 996, 995]);
  assert.deepEqual(topK(rows, 3, (a, b) => a - b), [0, 1, 2]);
  assert.equal(notOlder({ xmax: '10', xip: [] }, { xmax: '9', xip: ['8'] }), true);
  assert.equal(notOlder({ xmax: '9', xip: ['8'] }, { xmax: '10', xip: [] }), false);
  assert.equal(notOlder({ xmax: '10', xip: ['8'] }, { xmax: '10', xip: ['8', '9'] }), true);
  assert.equal(notOlder({ xmax: '10', xip: ['8', '9'] }, { xmax: '10', xip: ['8'] }), false);
});
