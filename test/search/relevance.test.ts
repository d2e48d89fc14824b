import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { api, makeOrg, sys, datasetInput } from '../helpers.ts';
import { corpusEnv, hasWords, type CorpusEnv } from './fixtures.ts';

/** Relevance on the real Thai records of data.go.th (../shared/data), all public here. */
let c: CorpusEnv;
before(async () => {
  c = await corpusEnv();
  await makeOrg(c.env, 'nso', 'สำนักงานสถิติแห่งชาติ');
  await sys(c.env, 'package_create', datasetInput('nso', { name: '0205_01_0301', title: 'ข้อมูลรหัส 0205_01_0301 ปี 2566 (2023)', tags: ['รหัสสถิติ'] }));
  await sys(c.env, 'package_create', datasetInput('nso', { name: 'covid-19-daily', title: 'รายงาน COVID-19 Daily Cases รายวัน', tags: ['โควิด'] }));
});
after(() => c.env.close());

async function search(params: Record<string, unknown>) {
  const r = await api(c.env, 'package_search', { rows: 1000, ...params });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.result as { count: number; results: Array<{ name: string; title: string; notes: string; tags: Array<{ name: string }> }>; search_loosened?: unknown };
}

const titles = (r: { results: Array<{ title: string }> }) => r.results.map((x) => x.title);

test('a Thai word inside a Thai title is found (no spaces in the title)', async () => {
  const r = await search({ q: 'แรงงาน' });
  const found = titles(r);
  assert.ok(found.some((t) => t.startsWith('จำนวนประชากรอายุ 15 ปีขึ้นไป จำแนกตามสถานภาพแรงงาน')), found.slice(0, 5).join(' | '));
  assert.ok(found.some((t) => t.includes('การจ้างแรงงานในท้องถิ่น')));
  const unemployment = await search({ q: 'ว่างงาน' });
  assert.ok(titles(unemployment).includes('อัตราการว่างงาน จำแนกตามเพศ ทั่วราชอาณาจักร พ.ศ.2548-2557'));
  // ว่างงาน is ว่าง|งาน next to each other: "ตำแหน่งงานว่าง" (vacancies) is another thing.
  assert.ok(!titles(unemployment).some((t) => t.includes('ตำแหน่งงานว่าง') && !t.includes('ว่างงาน')));
});

test('title matches rank above tag matches, above description matches', async () => {
  for (const q of ['แรงงาน', 'ท่องเที่ยว', 'งบประมาณ', 'โรงเรียน', 'สถิติ']) {
    const r = await search({ q });
    assert.ok(r.count > 3, `${q}: ${r.count}`);
    const tiers = r.results.map((x) => (hasWords(x.title, q) ? 0 : x.tags.some((t) => hasWords(t.name, q)) ? 1 : hasWords(x.notes, q) ? 2 : 3));
    assert.equal(tiers[0], 0, `${q}: the first result has it in the title`);
    for (let i = 1; i < tiers.length; i++) assert.ok(tiers[i]! >= tiers[i - 1]!, `${q}: result ${i} (${r.results[i]!.title}) ranks above a better match`);
  }
});

test('a misspelt word still finds its dataset, and partial words find whole ones', async () => {
  for (const [typo, right] of [
    ['แรงงาณ', 'แรงงาน'],
    ['ท่องเทียว', 'ท่องเที่ยว'],
    ['งบประมาน', 'งบประมาณ'],
    ['ท่องเที่', 'ท่องเที่ยว'],
    ['แรงงา', 'แรงงาน'],
    ['สถิต', 'สถิติ'],
  ]) {
    const r = await search({ q: typo });
    assert.ok(r.count > 0, typo);
    assert.ok(r.results[0]!.title.includes(right), `${typo}: ${r.results[0]!.title}`);
  }
});

test('exact matches rank above loosened ones in the same query', async () => {
  const r = await search({ q: 'แรงงาณ OR ภาษี' });
  const exact = r.results.map((x) => hasWords(`${x.title} ${x.notes} ${x.tags.map((t) => t.name).join(' ')}`, 'ภาษี'));
  assert.ok(exact.includes(true) && exact.includes(false), JSON.stringify(titles(r)));
  assert.equal(exact.indexOf(false), exact.lastIndexOf(true) + 1, 'all exact matches come first');
});

test('a real word is never widened to look-alikes (แรงงาน is not โรงงาน)', async () => {
  const r = await search({ q: 'แรงงาน' });
  assert.ok(!titles(r).some((t) => t.includes('โรงงาน') && !t.includes('แรงงาน')), titles(r).join(' | '));
});

test('codes, years and English words are searchable', async () => {
  for (const q of ['0205_01_0301', '0205', '0301', '0205-01-0301', '2566', '2023']) {
    const r = await search({ q });
    assert.ok(r.results.some((x) => x.name === '0205_01_0301'), q);
  }
  for (const q of ['covid', 'COVID-19', 'Covid 19', 'daily', '"daily cases"']) {
    const r = await search({ q });
    assert.ok(r.results.some((x) => x.name === 'covid-19-daily'), q);
  }
});

test('quoted phrases keep word order; field queries look in their field only', async () => {
  const phrase = await search({ q: '"นักเรียนทุนรัฐบาล"' });
  assert.ok(phrase.count > 0 && phrase.results.every((x) => hasWords(`${x.title} ${x.notes}`, 'นักเรียนทุนรัฐบาล')));
  const reversed = await search({ q: '"รัฐบาลทุนนักเรียน"' });
  assert.equal(reversed.count, 0);
  const inTitle = await search({ q: 'title:ท่องเที่ยว' });
  assert.ok(inTitle.count > 0 && inTitle.results.every((x) => hasWords(x.title, 'ท่องเที่ยว')));
  const tagged = await search({ q: 'tags:งบประมาณ' });
  assert.ok(tagged.count > 0 && tagged.results.every((x) => x.tags.some((t) => t.name === 'งบประมาณ')));
  const withoutTag = await search({ q: 'งบประมาณ -tags:งบประมาณ' });
  assert.ok(withoutTag.count > 0 && withoutTag.results.every((x) => !x.tags.some((t) => t.name === 'งบประมาณ')));
  const all = await search({ q: 'งบประมาณ' });
  const taggedWithWord = await search({ q: 'งบประมาณ tags:งบประมาณ' });
  assert.equal(all.count, withoutTag.count + taggedWithWord.count);
});

test('organization, format and group filters match the facet counts they come from', async () => {
  const base = await api(c.env, 'package_search', { q: 'สถิติ', rows: 0, 'facet.field': ['organization', 'res_format', 'groups', 'tags'], 'facet.limit': 3 });
  const facets = base.json.result.search_facets;
  for (const field of ['organization', 'res_format', 'groups', 'tags']) {
    const top = facets[field].items[0];
    assert.ok(top, field);
    const r = await api(c.env, 'package_search', { q: 'สถิติ', fq: `${field}:"${top.name}"`, rows: 0 });
    assert.equal(r.json.result.count, top.count, `${field}:${top.name}`);
  }
});

// Issue 12: search that tells the truth, on the same real records.

test('parts of compound words: กรุงเทพ finds the กรุงเทพมหานคร datasets, หลวง the ทางหลวง ones, below exact words', async () => {
  const whole = await search({ q: '"กรุงเทพมหานคร"' }); // quoted: the word itself, without its synonyms
  const part = await search({ q: 'กรุงเทพ' });
  const partNames = new Set(part.results.map((x) => x.name));
  assert.ok(whole.count > 0 && whole.results.every((x) => partNames.has(x.name)), `${part.count} ⊇ ${whole.count}`);
  const exactFirst = part.results.map((x) => hasWords(`${x.title} ${x.notes} ${x.tags.map((t) => t.name).join(' ')}`, 'กรุงเทพ'));
  assert.ok(exactFirst[0], 'an exact match first');
  assert.equal(exactFirst.indexOf(false), exactFirst.lastIndexOf(true) + 1, 'exact words rank above parts of longer words');
  const highway = await search({ q: '"ทางหลวง"' });
  const luang = await search({ q: 'หลวง' });
  const luangNames = new Set(luang.results.map((x) => x.name));
  assert.ok(highway.count >= 5 && highway.results.every((x) => luangNames.has(x.name)), `หลวง ${luang.count}, ทางหลวง ${highway.count}`);
  assert.equal(luang.search_loosened, undefined, 'หลวง is a word: more results, no loosening');
});

test('a part inside a joined file name (สุขภาพ_ตาก.csv) is found through its piece, without the joined word in the query', async () => {
  await sys(c.env, 'package_create', datasetInput('nso', { name: 'joined-file-name', title: 'ไฟล์ ผลสำรวจสุขภาพ_ตาก.csv', tags: ['ไฟล์'] }));
  const db = c.env.services.store.db;
  assert.equal((await sql<{ n: number }>`SELECT count(*)::int AS n FROM search_vocab WHERE lexeme = ${'สุขภาพ_ตาก.csv'}`.execute(db)).rows[0]!.n, 1, 'the joined word is in the vocabulary');
  const r = await search({ q: 'ภาพ' });
  assert.ok(r.results.some((x) => x.name === 'joined-file-name'), 'found as a part of สุขภาพ');
});

test('the abbreviation กทม finds the Bangkok datasets', async () => {
  const full = await search({ q: 'กรุงเทพมหานคร' });
  const abbr = await search({ q: 'กทม' });
  assert.ok(full.count > 20);
  const names = new Set(abbr.results.map((x) => x.name));
  assert.ok(full.results.every((x) => names.has(x.name)), `กทม ${abbr.count}, กรุงเทพมหานคร ${full.count}`);
});

test('a dropped letter in a province name or a common word finds what was meant, and says so', async () => {
  for (const [typo, right] of [
    ['ลพุรี', 'ลพบุรี'],
    ['นคปฐม', 'นครปฐม'],
    ['โรแรม', 'โรงแรม'],
  ]) {
    const r = await search({ q: typo });
    assert.ok(r.count > 0 && r.results[0]!.title.includes(right), `${typo}: ${r.results[0]?.title}`);
    assert.deepEqual((r as any).search_loosened, [{ from: typo, mode: 'similar_spelling', to: [right] }]);
  }
});
