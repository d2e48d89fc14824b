import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, sys } from '../helpers.ts';
import { corpusEnv, type CorpusEnv } from './fixtures.ts';

/** CKAN's package_search parameters and their edge cases, through HTTP, on the real records. */
let c: CorpusEnv;
before(async () => {
  c = await corpusEnv();
});
after(() => c.env.close());

const get = (query: Record<string, string>) => api(c.env, 'package_search', undefined, { query });
const post = (body: Record<string, unknown>, lang?: string) => api(c.env, 'package_search', body, { lang });
const count = async (params: Record<string, unknown>) => {
  const r = await post({ ...params, rows: 0 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.result.count as number;
};

test('defaults: q *:*, rows 10, score then metadata_modified, no facets unless asked', async () => {
  const r = await get({});
  assert.equal(r.status, 200);
  const result = r.json.result;
  assert.deepEqual(Object.keys(result).sort(), ['count', 'facets', 'results', 'search_facets', 'sort']);
  assert.equal(result.count, c.records.length);
  assert.equal(result.results.length, 10);
  assert.equal(result.sort, 'score desc, metadata_modified desc');
  assert.deepEqual(result.facets, {});
  assert.deepEqual(result.search_facets, {});
  const modified = result.results.map((x: any) => x.metadata_modified);
  assert.deepEqual(modified, [...modified].sort().reverse());
  assert.equal((await get({ q: '*:*' })).json.result.count, result.count);
  assert.equal((await get({ q: '  ' })).json.result.count, result.count);
});

test('results are full package dicts, as package_show gives them', async () => {
  const r = await get({ q: 'แรงงาน', rows: '1' });
  const hit = r.json.result.results[0];
  const shown = (await api(c.env, 'package_show', undefined, { query: { id: hit.id } })).json.result;
  assert.deepEqual(Object.keys(hit).sort(), Object.keys(shown).sort());
  assert.equal(hit.organization.title, shown.organization.title);
});

test('rows above 1000 are clamped silently; rows=0 gives only the count', async () => {
  const big = await get({ rows: '5000' });
  assert.equal(big.status, 200);
  assert.equal(big.json.result.results.length, 1000);
  const none = await get({ rows: '0', q: 'สถิติ' });
  assert.deepEqual(none.json.result.results, []);
  assert.ok(none.json.result.count > 0);
});

test('negative or non-integer rows and start are 409 Validation Errors', async () => {
  for (const [k, v] of [['rows', '-1'], ['rows', '1.5'], ['rows', 'ten'], ['start', '-1'], ['start', 'x'], ['facet.limit', 'many'], ['facet.mincount', '-2']]) {
    const r = await get({ [k]: v });
    assert.equal(r.status, 409, `${k}=${v}`);
    assert.equal(r.json.error.__type, 'Validation Error');
    assert.ok(Array.isArray(r.json.error[k]), JSON.stringify(r.json.error));
  }
});

test('start pages through the same order', async () => {
  const page = (start: number, rows: number) => get({ q: 'ข้อมูล', start: String(start), rows: String(rows) }).then((r) => r.json.result.results.map((x: any) => x.id));
  const first20 = await page(0, 20);
  assert.deepEqual([...(await page(0, 10)), ...(await page(10, 10))], first20);
  assert.equal(new Set(first20).size, 20);
});

test('unknown parameters and malformed queries are 400 Search Query Errors', async () => {
  const unknown = await get({ q: 'x', foo: '1' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.__type, 'Search Query Error');
  assert.match(unknown.json.error.message, /Invalid search parameters: \["foo"\]/);
  const bad: Array<Record<string, string>> = [{ q: 'title:(แรงงาน' }, { q: 'nosuchfield:x' }, { fq: 'tags:"unclosed' }, { fq: 'secret:1' }, { sort: 'popularity desc' }, { sort: 'title_string' }, { 'facet.field': '["tags"' }, { 'facet.field': '["nosuch"]' }, { q: 'metadata_modified:[yesterday TO *]' }, { q: 'name:[a TO b]' }, { q: 'private:maybe' }];
  for (const params of bad) {
    const r = await get(params);
    assert.equal(r.status, 400, JSON.stringify(params));
    assert.equal(r.json.error.__type, 'Search Query Error', JSON.stringify(params));
  }
  for (const q of ['metadata_modified:[NOW-999999YEARS TO *]', `${'NOT '.repeat(400)}x`, 'x'.repeat(2001)]) {
    const r = await post({ q });
    assert.equal(r.status, 400, q.slice(0, 30));
  }
  const long = await post({ q: `${'ก'.repeat(600)} ${'a'.repeat(1200)}-b`, rows: 1 });
  assert.equal(long.status, 200);
  const notString = await post({ q: { $ne: 1 } });
  assert.equal(notString.status, 400);
});

test('facet.field as a JSON list, a repeated key, or a list in a JSON body gives the same facets', async () => {
  const a = (await get({ q: 'สถิติ', 'facet.field': '["tags","res_format"]' })).json.result;
  const b = (await c.env.app.inject({ method: 'GET', url: `/api/3/action/package_search?q=${encodeURIComponent('สถิติ')}&facet.field=tags&facet.field=res_format` })).json().result;
  const d = (await post({ q: 'สถิติ', 'facet.field': ['tags', 'res_format'] })).json.result;
  assert.deepEqual(a.facets, b.facets);
  assert.deepEqual(a.facets, d.facets);
  assert.deepEqual(Object.keys(a.facets).sort(), ['res_format', 'tags']);
  assert.ok(Object.keys(a.facets.tags).length > 0);
  const off = (await post({ q: 'สถิติ', facet: 'false', 'facet.field': ['tags'] })).json.result;
  assert.deepEqual(off.facets, {});
});

test('facet.limit defaults to 50, a negative limit means all, facet.mincount drops small counts', async () => {
  const def = (await post({ rows: 0, 'facet.field': ['tags'] })).json.result.search_facets.tags.items;
  assert.equal(def.length, 50);
  const all = (await post({ rows: 0, 'facet.field': ['tags'], 'facet.limit': -1 })).json.result.search_facets.tags.items;
  assert.ok(all.length > 50);
  const five = (await post({ rows: 0, 'facet.field': ['tags'], 'facet.limit': 5 })).json.result.search_facets.tags.items;
  assert.deepEqual(five, all.slice(0, 5));
  const counts = all.map((i: any) => i.count);
  assert.deepEqual(counts, [...counts].sort((x: number, y: number) => y - x));
  const min = (await post({ rows: 0, 'facet.field': ['tags'], 'facet.limit': -1, 'facet.mincount': 10 })).json.result.search_facets.tags.items;
  assert.ok(min.length > 0 && min.every((i: any) => i.count >= 10));
  assert.equal(min.length, all.filter((i: any) => i.count >= 10).length);
  const sum = all.reduce((n: number, i: any) => n + i.count, 0);
  const tagged = await count({ q: 'tags:*' });
  assert.ok(sum >= tagged);
});

test('search_facets carry Thai display names: organisation titles, code-list labels, licence titles', async () => {
  const r = (await post({ q: 'สถิติ', rows: 0, 'facet.field': ['organization', 'data_type', 'license_id', 'groups', 'update_frequency_unit', 'geo_coverage', 'data_category', 'data_classification'] })).json.result;
  const org = r.search_facets.organization;
  assert.equal(org.title, 'organization');
  const top = org.items[0];
  assert.match(top.name, /^org-\d+$/);
  assert.equal(top.display_name, c.corpus.orgs.find((o) => o.name === top.name)!.title);
  assert.match(top.display_name, /[\u0E00-\u0E7F]/);
  assert.deepEqual(r.search_facets.data_type.items.map((i: any) => i.display_name).sort(), ['ข้อมูลระเบียน', 'ข้อมูลสถิติ']);
  assert.ok(r.search_facets.groups.items.every((i: any) => /[\u0E00-\u0E7F]/.test(i.display_name)));
  assert.equal(r.facets.data_category['ข้อมูลสาธารณะ'], r.count);
  const en = (await post({ q: 'สถิติ', rows: 0, 'facet.field': ['data_type'] }, 'en')).json.result;
  assert.deepEqual(en.search_facets.data_type.items.map((i: any) => i.display_name).sort(), ['Record data', 'Statistical data']);
});

test('sort orders: title_string, name, metadata_modified, asc and desc', async () => {
  const sorted = async (sort: string, key: string) => (await post({ q: 'สถิติ', sort, rows: 50 })).json.result.results.map((x: any) => x[key]);
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const t = await sorted('title_string asc', 'title');
  assert.deepEqual(t, [...t].sort(byCode));
  const td = await sorted('title_string desc', 'title');
  assert.deepEqual(td, [...td].sort(byCode).reverse());
  const n = await sorted('name asc', 'name');
  assert.deepEqual(n, [...n].sort(byCode));
  const m = await sorted('metadata_modified asc', 'metadata_modified');
  assert.deepEqual(m, [...m].sort(byCode));
  assert.equal((await post({ q: 'สถิติ', sort: 'name asc' })).json.result.sort, 'name asc');
});

test('fq: field:value, quoted values, +/- prefixes, OR lists, fq_list, date ranges', async () => {
  const org = c.corpus.orgs[1]!.name;
  const inOrg = await count({ fq: `organization:${org}` });
  assert.ok(inOrg > 0);
  assert.equal(await count({ fq: `+organization:"${org}"` }), inOrg);
  assert.equal(await count({ fq: `-organization:${org}` }), c.records.length - inOrg);
  const a = await count({ fq: 'tags:งบประมาณ' });
  const b = await count({ fq: 'tags:สถิติ' });
  const both = await count({ fq: 'tags:งบประมาณ tags:สถิติ' });
  assert.ok(a > 0 && b > 0);
  assert.equal(await count({ fq: 'tags:(งบประมาณ OR สถิติ)' }), a + b - both);
  assert.equal(await count({ fq_list: ['tags:งบประมาณ', 'tags:สถิติ'] }), both);
  const csv = await count({ fq: 'res_format:CSV' });
  assert.equal(await count({ fq: 'res_format:csv' }), csv);
  const old = await count({ fq: 'metadata_modified:[* TO 2020-01-01T00:00:00Z]' });
  const recent = await count({ fq: 'metadata_modified:{2020-01-01T00:00:00Z TO *]' });
  assert.ok(old > 0 && recent > 0);
  assert.equal(old + recent, c.records.length);
  assert.equal(await count({ fq: 'capacity:public' }), c.records.length);
  assert.equal(await count({ fq: 'private:true' }), 0);
  const id = (await get({ rows: '1' })).json.result.results[0].id;
  assert.equal(await count({ fq: `id:${id}` }), 1);
  assert.equal(await count({ fq: 'id:not-a-uuid' }), 0);
});

test('AND / OR / NOT in q agree with set arithmetic', async () => {
  const a = await count({ q: 'สถิติ' });
  const b = await count({ q: 'จำนวน' });
  const and = await count({ q: 'สถิติ AND จำนวน' });
  assert.equal(await count({ q: 'สถิติ จำนวน' }), and);
  assert.equal(await count({ q: 'สถิติ OR จำนวน' }), a + b - and);
  assert.equal(await count({ q: 'สถิติ NOT จำนวน' }), a - and);
  assert.equal(await count({ q: '+สถิติ -จำนวน' }), a - and);
  assert.equal(await count({ q: '(สถิติ OR จำนวน) AND NOT (สถิติ AND จำนวน)' }), a + b - 2 * and);
});

test('fl limits the fields of each result; include_drafts shows drafts to those who may see them', async () => {
  const r = (await post({ q: 'สถิติ', fl: 'name,title', rows: 3 })).json.result;
  assert.deepEqual(Object.keys(r.results[0]).sort(), ['name', 'title']);
  await makeOrg(c.env, 'drafts-org');
  const { name } = await sys(c.env, 'package_create', datasetInput('drafts-org', { state: 'draft' }));
  assert.equal((await sys(c.env, 'package_search', { fq: `name:${name}` })).count, 0);
  assert.equal((await sys(c.env, 'package_search', { fq: `name:${name}`, include_drafts: true })).count, 1);
  assert.equal((await post({ fq: `name:${name}`, include_drafts: true, rows: 0 })).json.result.count, 0, 'anonymous never sees drafts');
});

test('the longest queries the bounds allow are answered, never a 500', async () => {
  const queries = [
    'สถิติการท่องเที่ยวจังหวัดเชียงใหม่'.repeat(58), // one chunk of 1,972 characters, no spaces
    Array.from({ length: 190 }, (_, i) => `ก${i}ข`).join(' '), // 190 terms that match nothing
    Array.from({ length: 150 }, (_, i) => `แรงงาณ${i % 3 ? '' : 'x'}`).join(' '), // many misspelt terms
    Array.from({ length: 120 }, () => 'แรงงาน').join(' OR '),
  ];
  for (const q of queries) {
    assert.ok(q.length <= 2000, `${q.length}`);
    const r = await post({ q, rows: 5 });
    assert.equal(r.status, 200, `${q.slice(0, 40)}: ${JSON.stringify(r.json).slice(0, 300)}`);
  }
  const or = await post({ q: queries[3], rows: 0 });
  assert.equal(or.json.result.count, await count({ q: 'แรงงาน' }));
});
