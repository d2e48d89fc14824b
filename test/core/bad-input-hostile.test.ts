import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, sys, STORE_KIND, type TestEnv } from '../helpers.ts';

/** Issue 7, finding 8: each hostile input the audit found answering 500 now gets a CKAN-shaped 4xx. */
let env: TestEnv;
let editor: string;
let admin: string;

before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'nso');
  editor = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  admin = (await makeUser(env, 'admin1', { sysadmin: true })).token;
  await sys(env, 'package_create', datasetInput('nso', { name: 'labour', resources: [{ name: 'ไฟล์', url: 'https://example.go.th/a.csv', format: 'CSV' }] }));
});
after(() => env.close());

const get = (url: string, headers: Record<string, string> = {}) => env.app.inject({ method: 'GET', url, headers });
const post = (action: string, payload: string | Buffer, contentType: string, token = admin) =>
  env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: token, 'content-type': contentType }, payload });

function fieldError(r: { statusCode: number; body: string }, field: string, pattern?: RegExp) {
  assert.equal(r.statusCode, 409, r.body);
  const json = JSON.parse(r.body);
  assert.equal(json.success, false);
  assert.equal(json.error.__type, 'Validation Error');
  assert.ok(Array.isArray(json.error[field]), `no error on ${field}: ${r.body}`);
  if (pattern) assert.match(json.error[field].join(' '), pattern);
}

test(`[${STORE_KIND}] NUL bytes in identifiers and filters → 409 on the field, for every action`, async () => {
  fieldError(await get('/api/3/action/package_show?id=a%00b&lang=en'), 'id', /NUL/);
  fieldError(await get('/api/3/action/tag_list?query=a%00b'), 'query');
  fieldError(await get('/api/3/action/package_search?fq=tags:a%00b'), 'fq');
  fieldError(await get('/api/3/action/package_search?q=a%00b'), 'q');
  fieldError(await get('/api/3/action/organization_show?id=%00'), 'id');
  fieldError(await post('user_login', JSON.stringify({ id: 'admin1\u0000', password: 'x' }), 'application/json', ''), 'id');
  fieldError(await post('package_create', JSON.stringify(datasetInput('nso', { resources: [{ name: 'r\u0000', url: 'https://example.go.th/b.csv' }] })), 'application/json'), 'resources[0].name');
});

test(`[${STORE_KIND}] other control characters are refused; TAB, LF and CR are text`, async () => {
  fieldError(await post('package_create', JSON.stringify(datasetInput('nso', { notes: 'ข้อมูล\u001bแรงงาน' })), 'application/json', editor), 'notes', /ควบคุม/);
  const ok = await post('package_create', JSON.stringify(datasetInput('nso', { notes: 'บรรทัด\r\nที่สอง\tแท็บ' })), 'application/json', editor);
  assert.equal(ok.statusCode, 200, ok.body);
});

test(`[${STORE_KIND}] integers above 2³¹−1 → 409, not a SQL overflow`, async () => {
  fieldError(await get('/api/3/action/package_search?facet.mincount=3000000000&facet.field=tags'), 'facet.mincount');
  fieldError(await get('/api/3/action/package_search?facet.limit=3000000000&facet.field=tags'), 'facet.limit');
  fieldError(await get('/api/3/action/package_search?start=2147483648'), 'start');
  fieldError(await get('/api/3/action/package_list?offset=99999999999999999999'), 'offset');
  assert.equal((await get('/api/3/action/package_search?start=2147483647')).statusCode, 200);
});

test(`[${STORE_KIND}] dates outside PostgreSQL's range → 400 in queries, 409 in fields of datasets, resources and grants`, async () => {
  for (const range of ['[NOW-200000YEARS TO *]', '[* TO NOW+300000YEARS]', '[0000-01-01 TO *]']) {
    const r = await get(`/api/3/action/package_search?fq=${encodeURIComponent(`metadata_modified:${range}`)}`);
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(JSON.parse(r.body).error.__type, 'Search Query Error');
  }
  fieldError(await post('package_create', JSON.stringify(datasetInput('nso', { created_date: '-200000-01-01' })), 'application/json'), 'created_date');
  fieldError(await post('resource_create', JSON.stringify({ package_id: 'labour', name: 'r', url: 'https://example.go.th/c.csv', created: '+300000-01-01T00:00:00Z' }), 'application/json'), 'created');
  fieldError(await post('resource_create', JSON.stringify({ package_id: 'labour', name: 'r', url: 'https://example.go.th/c.csv', last_modified: '-200000-01-01T00:00:00Z' }), 'application/json'), 'last_modified');
  fieldError(await post('dataset_grant_create', JSON.stringify({ id: 'labour', user: 'editor1', expires_at: '+300000-01-01T00:00:00Z' }), 'application/json'), 'expires_at');
});

test(`[${STORE_KIND}] fl, sort and q fields named after Object.prototype members name no field`, async () => {
  for (const fl of ['constructor', 'toString', '__proto__', 'name,constructor']) {
    const r = await get(`/api/3/action/package_search?fl=${fl}`);
    assert.equal(r.statusCode, 200, r.body);
    for (const row of JSON.parse(r.body).result.results) for (const k of Object.keys(row)) assert.equal(k, 'name', `fl=${fl} gave ${k}`);
  }
  for (const url of ['/api/3/action/package_search?sort=constructor%20asc', '/api/3/action/package_search?q=constructor:x', '/api/3/action/package_search?fq=toString:x']) {
    const r = await get(url);
    assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
  }
});

test(`[${STORE_KIND}] input keys named constructor / toString / valueOf / hasOwnProperty / __type → 409 unknown field`, async () => {
  for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
    fieldError(await post('package_create', JSON.stringify(datasetInput('nso', { [key]: 'x' })), 'application/json'), key, /Unknown|ไม่รู้จัก/);
    const r = await post('resource_create', JSON.stringify({ package_id: 'labour', name: 'r', url: 'https://example.go.th/d.csv', [key]: { a: 1 } }), 'application/json');
    assert.equal(r.statusCode, 409, `${key}: ${r.body}`);
  }
  const t = await post('package_create', JSON.stringify(datasetInput('nso', { __type: 'x' })), 'application/json');
  assert.equal(t.statusCode, 409);
  assert.equal(JSON.parse(t.body).error.__type, 'Validation Error', 'a field cannot rename the error');
});

test(`[${STORE_KIND}] duplicate JSON keys and __proto__ keys → 400; deep nesting in any content type → 4xx`, async () => {
  const dup = await post('package_show', '{"id":"labour","id":"other"}', 'application/json');
  assert.equal(dup.statusCode, 400);
  assert.match(JSON.parse(dup.body), /duplicate key "id"/);
  const inner = await post('package_create', '{"resources":[{"name":"a","name":"b"}]}', 'application/json');
  assert.equal(inner.statusCode, 400);
  const proto = await post('package_create', '{"__proto__":{"sysadmin":true}}', 'text/plain');
  assert.equal(proto.statusCode, 400);
  assert.match(JSON.parse(proto.body), /__proto__/);
  const deepForm = await post('package_create', `a${'[b]'.repeat(500)}=1`, 'application/x-www-form-urlencoded');
  assert.ok(deepForm.statusCode >= 400 && deepForm.statusCode < 500, deepForm.body);
  const deepFields = await post('package_create', JSON.stringify({ notes: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['x']]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] }), 'application/json');
  assert.equal(deepFields.statusCode, 400);
});

test(`[${STORE_KIND}] unknown and mismatched content types → 400 with a clear message`, async () => {
  for (const [type, body] of [['text/plain', 'name=x'], ['application/xml', '<a/>'], ['application/octet-stream', '{}'], ['multipart/form-data', '--x\r\n']] as const) {
    const r = await post('package_create', body, type);
    assert.equal(r.statusCode, 400, `${type}: ${r.body}`);
    assert.equal(typeof JSON.parse(r.body), 'string');
  }
  const asForm = await post('package_create', JSON.stringify(datasetInput('nso')), 'application/x-www-form-urlencoded');
  assert.equal(asForm.statusCode, 409, 'a JSON body declared as a form is one unknown field');
});

test(`[${STORE_KIND}] invalid UTF-8 and overlong percent-encoding → 400 (JSON on /api, a page elsewhere)`, async () => {
  const a = await get('/api/3/action/package_show%FF');
  assert.equal(a.statusCode, 400);
  assert.match(JSON.parse(a.body), /^Bad request/);
  for (const url of ['/dataset/%C0%AF', '/organization/%FF', '/user/%ED%A0%80']) {
    const r = await get(url);
    assert.equal(r.statusCode, 400, url);
    assert.match(String(r.headers['content-type']), /text\/html/);
  }
  const q = await get('/api/3/action/package_show?id=%ED%A0%80');
  assert.ok(q.statusCode === 404 || q.statusCode === 409, q.body);
});

test(`[${STORE_KIND}] portal pages: NUL and hostile bytes in paths and queries → 400/404 pages`, async () => {
  for (const url of ['/dataset/a%00b', '/organization/a%00b', '/group/a%00b', '/user/a%00b', '/dataset?q=a%00b', '/dataset?tags=a%00b', '/dataset/labour/resource/%00', '/dataset/activity/a%00b']) {
    const r = await get(url);
    assert.ok(r.statusCode === 400 || r.statusCode === 404, `${url} → ${r.statusCode}`);
    assert.match(String(r.headers['content-type']), /text\/html/, url);
  }
  const dl = await get('/dataset/labour/resource/%00/download');
  assert.ok(dl.statusCode >= 400 && dl.statusCode < 500, `download → ${dl.statusCode}`);
});

test(`[${STORE_KIND}] searches are bounded: sort keys, filter queries and terms → 400, repeated sort columns are one`, async () => {
  const search = (body: unknown) => post('package_search', JSON.stringify(body), 'application/json');
  for (const body of [{ sort: Array(50).fill('name asc').join(',') }, { fq_list: Array(2000).fill('แรงงานสถิติ') }, { q: Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ') }]) {
    const r = await search(body);
    assert.equal(r.statusCode, 400, r.body.slice(0, 200));
    assert.equal(JSON.parse(r.body).error.__type, 'Search Query Error');
  }
  const twice = await search({ sort: 'name asc, name desc, views_recent desc, views_total asc' });
  assert.equal(twice.statusCode, 200, twice.body.slice(0, 300));
});

test(`[${STORE_KIND}] a portal form with broken multipart → 400 page, not 500`, async () => {
  for (const type of ['multipart/form-data', 'multipart/form-data; boundary=zz']) {
    const r = await env.app.inject({ method: 'POST', url: '/dataset/new', headers: { 'content-type': type }, payload: '--zz\r\nContent-Disposition: form-data; name="title"\r\n\r\nabc' });
    assert.equal(r.statusCode, 400, `${type}: ${r.statusCode}`);
    assert.match(String(r.headers['content-type']), /text\/html/);
  }
});

test(`[${STORE_KIND}] extras keyed "__proto__" or "constructor" are kept as plain keys`, async () => {
  const r = await post('package_create', JSON.stringify(datasetInput('nso', { extras: [{ key: '__proto__', value: 'x' }, { key: 'constructor', value: 'y' }] })), 'application/json');
  assert.equal(r.statusCode, 200, r.body);
  const show = JSON.parse((await get(`/api/3/action/package_show?id=${JSON.parse(r.body).result.name}`)).body);
  assert.deepEqual(show.result.extras.map((e: { key: string }) => e.key).sort(), ['__proto__', 'constructor']);
});

test(`[${STORE_KIND}] package_import: a control character fails its own record, not the batch`, async () => {
  const good = datasetInput('nso');
  const bad = datasetInput('nso', { notes: 'ข้อมูล\u0000แรงงาน', groups: [{ name: 'g\u0000' }] });
  const r = await post('package_import', JSON.stringify({ records: [bad, good] }), 'application/json');
  assert.equal(r.statusCode, 200, r.body);
  const result = JSON.parse(r.body).result;
  assert.deepEqual(result.imported.map((x: { name: string }) => x.name), [good.name]);
  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0].index, 0);
  assert.ok(Object.keys(result.failed[0].errors).includes('notes'), JSON.stringify(result.failed[0].errors));
});

test(`[${STORE_KIND}] markup stripping for the index is linear: a run of '<' costs no quadratic time`, async () => {
  const { plain } = await import('../../src/search/indexer.ts');
  const started = Date.now();
  assert.equal(plain('<'.repeat(100_000)).length, 100_000);
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  assert.equal(plain('<b>แรงงาน</b>&nbsp;x'), ' แรงงาน  x');
});
