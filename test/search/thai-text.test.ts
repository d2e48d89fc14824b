import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers.ts';
import { corpusEnv, type CorpusEnv } from './fixtures.ts';
import { words } from '../../src/search/segment.ts';

/**
 * Thai text as it really is written, on the real data.go.th records: the same word in the
 * spellings agencies' documents actually hold (Thai digits, sara am typed as nikhahit + sara aa,
 * the abbreviation mark ฯ), numbers that are facts, and the Solr modifiers CKAN clients add.
 */
let c: CorpusEnv;
before(async () => {
  c = await corpusEnv();
});
after(() => c.env.close());

interface Result {
  count: number;
  results: Array<{ name: string; title: string }>;
  search_loosened?: Array<{ from: string; mode: string; to: string[] }>;
}

async function search(params: Record<string, unknown>): Promise<Result> {
  const r = await api(c.env, 'package_search', { rows: 1000, ...params });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.result as Result;
}
const names = (r: Result) => r.results.map((x) => x.name).sort();

test('one spelling finds every way the same word is written', () => {
  assert.deepEqual(words('สํานักงาน'), words('สำนักงาน'), 'nikhahit + sara aa is sara am');
  assert.deepEqual(words('น้ํา'), words('น้ำ'));
  assert.deepEqual(words('นํ้า'), words('น้ำ'), 'tone mark typed after the nikhahit');
  assert.deepEqual(words('พ.ศ.๒๕๖๓'), words('พ.ศ.2563'), 'Thai digits are digits');
  assert.deepEqual(words('รายจ่่าย'), words('รายจ่าย'), 'a tone mark typed twice');
  assert.deepEqual(words('กรุงเทพฯ'), ['กรุงเทพ'], 'ฯ shortens a name, it is not part of the word');
  assert.deepEqual(words('ในเขตกรุงเทพฯ และปริมณฑล'), words('ในเขตกรุงเทพ และปริมณฑล'));
});

test('สำนักงาน as a citizen types it finds titles written with nikhahit + sara aa', async () => {
  const typed = await search({ q: 'สำนักงานคุมประพฤติ' });
  const legacy = await search({ q: 'สํานักงานคุมประพฤติ' });
  assert.ok(typed.results.some((r) => r.title.startsWith('ข้อมูลสถิติคดีควบคุมและสอดส่องของสํานักงานคุมประพฤติ')), typed.results.map((r) => r.title).join(' | '));
  assert.deepEqual(names(typed), names(legacy));
  assert.ok(typed.count >= 20, `${typed.count}`);
});

test('Thai digits and Arabic digits find the same datasets', async () => {
  const thai = await search({ q: '๒๕๖๓' });
  const arabic = await search({ q: '2563' });
  assert.ok(arabic.count > 30, `${arabic.count}`);
  assert.deepEqual(names(thai), names(arabic));
  assert.ok(arabic.results.some((r) => r.title.includes('๖๔/๒๕๖๓')), 'a title written in Thai digits is found by 2563');
  assert.equal(thai.search_loosened, undefined);
});

test('a year glued to a Thai word (ปี2560) is found by the year', async () => {
  assert.deepEqual(words('ปริมาณการเดินทาง ปี2560'), words('ปริมาณการเดินทาง ปี 2560'));
  const r = await search({ q: '2560' });
  assert.ok(r.results.some((x) => x.title === 'ปริมาณการเดินทาง ปี2560'), `${r.count}`);
  const spaced = await search({ q: 'ปี 2560' });
  const glued = await search({ q: 'ปี2560' });
  assert.ok(glued.results.some((x) => x.title === 'ปริมาณการเดินทาง ปี2560'));
  for (const n of names(glued)) assert.ok(names(spaced).includes(n), n);
});

test('กรุงเทพฯ finds Bangkok datasets as กรุงเทพ does', async () => {
  const short = await search({ q: 'กรุงเทพฯ' });
  const plain = await search({ q: 'กรุงเทพ' });
  assert.ok(plain.count > 100, `${plain.count}`);
  assert.deepEqual(names(short), names(plain));
});

test('a year or number nobody published is not answered with other years', async () => {
  for (const q of ['2566', '2569', 'ปี 2566', 'ปี2566', '๒๕๖๖']) {
    const r = await search({ q });
    assert.equal(r.count, 0, `${q}: ${r.results.slice(0, 3).map((x) => x.title).join(' | ')}`);
    assert.equal(r.search_loosened, undefined, q);
  }
  // A misspelt word next to a real year is still corrected.
  const r = await search({ q: 'ท่องเทียว' });
  assert.ok(r.count > 0);
});

test('Solr boosts and fuzzy / proximity suffixes change ranking, not what matches', async () => {
  const pairs: Array<[string, string]> = [
    ['title:สถิติ^2', 'title:สถิติ'],
    ['แรงงาน^2', 'แรงงาน'],
    ['แรงงาน^0.5 OR โรงงาน', 'แรงงาน OR โรงงาน'],
    ['(แรงงาน OR โรงงาน)^3', 'แรงงาน OR โรงงาน'],
    ['title:"สถิติ"~2', 'title:สถิติ'],
    ['"สถิติ การขนส่ง"~5', 'สถิติ การขนส่ง'],
    ['tags:"แรงงาน"^2', 'tags:"แรงงาน"'],
  ];
  for (const [withModifier, plain] of pairs) {
    const a = await search({ q: withModifier });
    const b = await search({ q: plain });
    assert.ok(b.count > 0, plain);
    assert.deepEqual(names(a), names(b), withModifier);
    assert.equal(a.search_loosened, undefined, withModifier);
  }
  // word~1 is Solr's "within one edit": at least what the word finds.
  const fuzzy = await search({ q: 'แรงงาน~1' });
  const exact = await search({ q: 'แรงงาน' });
  for (const n of names(exact)) assert.ok(names(fuzzy).includes(n), n);
});
