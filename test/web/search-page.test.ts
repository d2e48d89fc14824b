import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, type TestEnv } from '../helpers.ts';
import { PageClient } from './client.ts';
import { createCorpus, loadSeedRecords } from '../../bench/search-corpus.ts';
import { reindexAll } from '../../src/search/reindex.ts';
import { sharedDataDir } from '../search/fixtures.ts';

/** The portal's search page on the real data.go.th records, without JavaScript. */
let env: TestEnv;
before(async () => {
  env = await testEnv({}, { web: true });
  const records = loadSeedRecords(sharedDataDir());
  const corpus = await createCorpus(env.services, { total: records.length, records, publicShare: 1 });
  await corpus.insert(0, records.length);
  await reindexAll(env.services);
});
after(() => env.close());

const hrefs = (body: string, rel: string) => [...body.matchAll(new RegExp(`<a href="([^"]+)" rel="${rel}"`, 'g'))].map((m) => m[1]!.replace(/&amp;/g, '&'));
const pageLinks = (body: string) => [...body.matchAll(/<a href="([^"]+)"[^>]*aria-label="หน้า/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

test('a page past the end links back to the last page, keeping the query and filters', async () => {
  const c = new PageClient(env.app);
  const q = encodeURIComponent('งบประมาณ');
  const first = await c.get(`/dataset?q=${q}&res_format=CSV`);
  assert.equal(first.statusCode, 200);
  const count = Number(/พบ ([\d,]+) ชุดข้อมูล/.exec(first.body)![1]!.replace(/,/g, ''));
  const last = Math.ceil(count / 20);
  assert.ok(last >= 2, `${count}`);
  const beyond = await c.get(`/dataset?q=${q}&res_format=CSV&page=${last + 40}`);
  assert.equal(beyond.statusCode, 200);
  const prev = hrefs(beyond.body, 'prev');
  assert.deepEqual(prev, [`/dataset?q=${q}&res_format=CSV&page=${last}`]);
  assert.ok(pageLinks(beyond.body).includes(`/dataset?q=${q}&res_format=CSV&page=${last}`), pageLinks(beyond.body).join(' '));
  const back = await c.get(prev[0]!);
  assert.match(back.body, /class="dataset-list|<article/);
  assert.doesNotMatch(back.body, /ไม่พบชุดข้อมูลที่ตรงกับเงื่อนไข/);
});

test('facet links add a filter to the others, chips remove only theirs, pages keep them all', async () => {
  const c = new PageClient(env.app);
  const start = await c.get(`/dataset?q=${encodeURIComponent('สถิติ')}`);
  const formatLink = /href="(\/dataset\?q=[^"]*res_format=[^"]+)"/.exec(start.body)![1]!.replace(/&amp;/g, '&');
  const withFormat = await c.get(formatLink);
  const tagLink = [...withFormat.body.matchAll(/href="(\/dataset\?q=[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((h) => h.includes('&tags=') && h.includes('&res_format='))!;
  const params = new URLSearchParams(tagLink.split('?')[1]);
  assert.equal(params.get('q'), 'สถิติ');
  assert.ok(params.get('res_format'), tagLink);
  assert.ok(params.get('tags'), tagLink);
  const both = await c.get(tagLink);
  const chips = [...both.body.matchAll(/class="chip chip-remove" href="([^"]+)"/g)].map((m) => new URLSearchParams(m[1]!.replace(/&amp;/g, '&').split('?')[1]));
  assert.equal(chips.length, 2);
  assert.ok(chips.some((p) => p.get('tags') === null && p.get('res_format') === params.get('res_format') && p.get('q') === 'สถิติ'));
  assert.ok(chips.some((p) => p.get('res_format') === null && p.get('tags') === params.get('tags')));
});
