import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { handlers } from '../../src/jobs/worker.ts';
import { rebuildVocab } from '../../src/search/vocab.ts';

/**
 * A small catalog where แรงงาน (labour) is in no public dataset and โรงงาน (factory) is: the
 * search may show factories for แรงงาน, but must say so.
 */
const plain = (org: string, title: string, extra: Record<string, unknown> = {}) =>
  datasetInput(org, { title, notes: `${title} รายเดือน`, tags: ['อุตสาหกรรม'], maintainer: 'กลุ่มข้อมูล', data_source: 'ทะเบียน', ...extra });

describe('search says when it loosened a term', () => {
  let env: TestEnv;
  let memberToken: string;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'diw', 'กรมโรงงานอุตสาหกรรม');
    await makeOrg(env, 'mol', 'หน่วยงานกลาง');
    for (const t of ['ข้อมูลโรงงานจำพวกที่ 3', 'ทะเบียนโรงงานที่ได้รับอนุญาต', 'จำนวนโรงงานรายจังหวัด', 'โรงงานที่ปิดกิจการ']) await sys(env, 'package_create', plain('diw', t));
    await sys(env, 'package_create', plain('mol', 'ทำเนียบโรงแรมที่ขึ้นทะเบียน'));
    // The only แรงงาน dataset is private to its organisation.
    await sys(env, 'package_create', plain('mol', 'สถิติแรงงานภายใน', { private: true, data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
    ({ token: memberToken } = await makeUser(env, 'mol-editor', { org: 'mol', role: 'editor' }));
  });
  after(() => env.close());

  const search = async (params: Record<string, unknown>, token?: string) => {
    const r = await api(env, 'package_search', params, { token });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.result;
  };

  it('a word found nowhere shows its look-alikes with a notice naming them (CKAN keys intact)', async () => {
    const r = await search({ q: 'แรงงาน' });
    assert.equal(r.count, 4);
    assert.ok(r.results.every((x: any) => x.title.includes('โรงงาน')));
    assert.deepEqual(r.search_loosened, [{ from: 'แรงงาน', mode: 'similar_spelling', to: ['โรงงาน'] }]);
    for (const k of ['count', 'results', 'facets', 'search_facets', 'sort']) assert.ok(Object.hasOwn(r, k), k);
  });

  it('a word found as typed says nothing; a private match counts only for those who may see it', async () => {
    const exact = await search({ q: 'โรงงาน' });
    assert.equal(exact.count, 4);
    assert.equal(exact.search_loosened, undefined);
    // The editor sees the private แรงงาน dataset: for them the word matches as typed.
    const member = await search({ q: 'แรงงาน', include_private: true }, memberToken);
    assert.deepEqual(member.results.map((x: any) => x.title), ['สถิติแรงงานภายใน']);
    assert.equal(member.search_loosened, undefined);
  });

  it('partial words are named as such', async () => {
    const r = await search({ q: 'โรงแร' });
    assert.deepEqual(r.results.map((x: any) => x.title), ['ทำเนียบโรงแรมที่ขึ้นทะเบียน']);
    assert.deepEqual(r.search_loosened, [{ from: 'โรงแร', mode: 'partial_word', to: [] }]);
  });

  it('nothing found at all: no notice', async () => {
    const r = await search({ q: 'ดาวเทียม' });
    assert.equal(r.count, 0);
    assert.equal(r.search_loosened, undefined);
  });

  it('the portal says it in Thai and in English', async () => {
    const c = new PageClient(env.app);
    const th = await c.get(`/dataset?q=${encodeURIComponent('แรงงาน')}`);
    assert.equal(th.statusCode, 200);
    assert.match(th.body, /ไม่พบ &#39;แรงงาน&#39; — แสดงผลที่สะกดใกล้เคียง: โรงงาน|ไม่พบ 'แรงงาน' — แสดงผลที่สะกดใกล้เคียง: โรงงาน/);
    const en = await c.get(`/dataset?q=${encodeURIComponent('แรงงาน')}&lang=en`);
    assert.match(en.body, /No results for (&#39;|')แรงงาน(&#39;|') — showing similar spellings: โรงงาน/);
    const exact = await c.get(`/dataset?q=${encodeURIComponent('โรงงาน')}`);
    assert.doesNotMatch(exact.body, /แสดงผลที่สะกดใกล้เคียง/);
    const partial = await c.get(`/dataset?q=${encodeURIComponent('โรงแร')}`);
    assert.match(partial.body, /เป็นส่วนหนึ่งของคำที่ยาวกว่า/);
  });

  it('the vocabulary is written with the dataset: a new word is corrected at once, a failed write leaves none', async () => {
    const created = await sys(env, 'package_create', plain('diw', 'แผนที่ภูมิประเทศ'));
    const r = await search({ q: 'ภูมิประเทด' });
    assert.deepEqual(r.results.map((x: any) => x.name), [created.name]);
    assert.deepEqual(r.search_loosened?.[0]?.to, ['ภูมิประเทศ']);
    const word = async (w: string) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM search_vocab WHERE lexeme = ${w}`.execute(env.services.store.db)).rows[0]!.n;
    assert.equal(await word('ภูมิประเทศ'), 1);
    await assert.rejects(sys(env, 'package_create', plain('diw', 'อุทกศาสตร์ทางทะเล', { name: created.name })));
    assert.equal(await word('อุทกศาสตร์'), 0);
  });

  it('the vocabulary can be rebuilt from the index (migration 009 queues it for an indexed catalog)', async () => {
    const db = env.services.store.db;
    await sql`DELETE FROM search_vocab`.execute(db);
    assert.equal((await search({ q: 'โรแรม' })).count, 0);
    await handlers.search_index!(env.services, { vocab: true });
    const r = await search({ q: 'โรแรม' });
    assert.deepEqual(r.results.map((x: any) => x.title), ['ทำเนียบโรงแรมที่ขึ้นทะเบียน']);
    await sql`INSERT INTO search_vocab (lexeme, keys) VALUES ('คำที่ไม่มีแล้ว', '{}')`.execute(db);
    await rebuildVocab(db);
    assert.equal((await sql<{ n: number }>`SELECT count(*)::int AS n FROM search_vocab WHERE lexeme = 'คำที่ไม่มีแล้ว'`.execute(db)).rows[0]!.n, 0);
  });
});
