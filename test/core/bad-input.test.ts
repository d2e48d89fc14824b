import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';

let env: TestEnv;
let token: string;

before(async () => {
  env = await testEnv({ maxBodyBytes: 64 * 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
});
after(() => env.close());

async function datasetCount(): Promise<number> {
  const r = await env.services.store.db.selectFrom('datasets').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

function post(payload: string | Buffer, contentType = 'application/json', action = 'package_create') {
  return env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: token, 'content-type': contentType }, payload });
}

async function expectFieldError(body: Record<string, unknown>, field: string, pattern?: RegExp, lang = 'en') {
  const before = await datasetCount();
  const r = await api(env, 'package_create', body, { token, lang });
  assert.equal(r.status, 409, `expected 409 for ${field}, got ${r.status}: ${JSON.stringify(r.json)}`);
  assert.equal(r.json.success, false);
  assert.equal(r.json.error.__type, 'Validation Error');
  assert.ok(Array.isArray(r.json.error[field]), `no error on ${field}: ${JSON.stringify(r.json.error)}`);
  assert.ok(r.json.error[field].every((m: unknown) => typeof m === 'string'));
  if (pattern) assert.match(r.json.error[field].join(' '), pattern);
  assert.equal(await datasetCount(), before, 'a rejected create leaves nothing behind');
}

test(`[${STORE_KIND}] malformed JSON → 400 JSON Error (a JSON string, not the envelope)`, async () => {
  const r = await post('{"name": "x",');
  assert.equal(r.statusCode, 400);
  assert.match(JSON.parse(r.body), /^Bad request - JSON Error/);
});

test(`[${STORE_KIND}] a JSON body that is not an object → 400`, async () => {
  for (const body of ['[1,2]', '"text"', '42']) {
    const r = await post(body);
    assert.equal(r.statusCode, 400, body);
    assert.match(JSON.parse(r.body), /JSON Error/);
  }
});

test(`[${STORE_KIND}] wrong content type → 400 with a clear message`, async () => {
  const r = await post('<xml/>', 'application/xml');
  assert.equal(r.statusCode, 400);
  assert.match(JSON.parse(r.body), /content type/);
});

test(`[${STORE_KIND}] deeply nested JSON → 400`, async () => {
  const deep = '{"notes":' + '['.repeat(200) + ']'.repeat(200) + '}';
  const r = await post(deep);
  assert.equal(r.statusCode, 400);
  assert.match(JSON.parse(r.body), /nesting/);
});

test(`[${STORE_KIND}] a body over the limit → 413`, async () => {
  const r = await post(JSON.stringify({ notes: 'ก'.repeat(100_000) }));
  assert.equal(r.statusCode, 413);
});

test(`[${STORE_KIND}] unknown action → 400 "Action name not known"; GET on a write action → 400`, async () => {
  const u = await env.app.inject({ url: '/api/3/action/package_explode' });
  assert.equal(u.statusCode, 400);
  assert.equal(JSON.parse(u.body), 'Bad request - Action name not known: package_explode');
  const g = await env.app.inject({ url: '/api/3/action/package_create?name=x' });
  assert.equal(g.statusCode, 400);
  assert.match(JSON.parse(g.body), /Please use POST method/);
});

test(`[${STORE_KIND}] arrays where strings are expected`, async () => {
  await expectFieldError(datasetInput('nso', { title: ['a', 'b'] }), 'title', /string/);
  await expectFieldError(datasetInput('nso', { maintainer: { th: 'x' } }), 'maintainer', /string/);
});

test(`[${STORE_KIND}] unknown fields are named`, async () => {
  await expectFieldError(datasetInput('nso', { colour: 'red' }), 'colour', /Unknown field/);
});

test(`[${STORE_KIND}] over-long strings`, async () => {
  await expectFieldError(datasetInput('nso', { title: 'ข'.repeat(501) }), 'title', /at most 500/);
});

test(`[${STORE_KIND}] invalid code-list values, single and multi`, async () => {
  await expectFieldError(datasetInput('nso', { geo_coverage: 'ดาวอังคาร' }), 'geo_coverage', /allowed choices/);
  await expectFieldError(datasetInput('nso', { data_format: ['CSV', 'PPTX'] }), 'data_format', /PPTX/);
  await expectFieldError(datasetInput('nso', { data_type: 'ข้อมูลลับ' }), 'data_type');
});

test(`[${STORE_KIND}] อื่นๆ needs its _other text`, async () => {
  await expectFieldError(datasetInput('nso', { geo_coverage: 'อื่นๆ' }), 'geo_coverage_other');
  const ok = await api(env, 'package_create', datasetInput('nso', { geo_coverage: 'อื่นๆ', geo_coverage_other: 'เขตเศรษฐกิจพิเศษภาคตะวันออก' }), { token });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.result.geo_coverage_other, 'เขตเศรษฐกิจพิเศษภาคตะวันออก');
});

test(`[${STORE_KIND}] invalid e-mail, in Thai by default and English on request`, async () => {
  await expectFieldError(datasetInput('nso', { maintainer_email: 'not-an-email' }), 'maintainer_email', /Email is not valid/, 'en');
  await expectFieldError(datasetInput('nso', { maintainer_email: 'a@b' }), 'maintainer_email', /อีเมล/, 'th');
});

test(`[${STORE_KIND}] bad slugs: too short, too long, capitals, Thai letters`, async () => {
  await expectFieldError(datasetInput('nso', { name: 'a' }), 'name', /between 2 and 70/);
  await expectFieldError(datasetInput('nso', { name: 'a'.repeat(71) }), 'name', /between 2 and 70/);
  await expectFieldError(datasetInput('nso', { name: 'Labour-Force' }), 'name', /lowercase/);
  await expectFieldError(datasetInput('nso', { name: 'แรงงาน' }), 'name', /lowercase/);
});

test(`[${STORE_KIND}] duplicate slug and duplicate title`, async () => {
  const first = datasetInput('nso', { name: 'unique-one' });
  assert.equal((await api(env, 'package_create', first, { token })).status, 200);
  await expectFieldError(datasetInput('nso', { name: 'unique-one' }), 'name', /already in use/);
  await expectFieldError(datasetInput('nso', { title: first.title }), 'title', /already in use/);
});

test(`[${STORE_KIND}] NUL bytes are refused; zero-width characters are removed from text (test/core/invisible-chars.test.ts)`, async () => {
  await expectFieldError(datasetInput('nso', { notes: 'ข้อมูล\u0000แรงงาน' }), 'notes', /NUL/);
  const ok = await api(env, 'package_create', datasetInput('nso', { notes: 'ข้อมูล\u200bแรงงาน' }), { token });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.result.notes, 'ข้อมูลแรงงาน');
});

test(`[${STORE_KIND}] required fields per data type and at least one tag`, async () => {
  const { maintainer: _m, ...noMaintainer } = datasetInput('nso');
  await expectFieldError(noMaintainer, 'maintainer', /Missing value/);
  await expectFieldError(datasetInput('nso', { tags: [] }), 'tags', /At least one tag/);
  // A statistical-only field on a record dataset.
  await expectFieldError(datasetInput('nso', { data_type: 'ข้อมูลระเบียน', disaggregate: ['เพศ'] }), 'disaggregate', /does not apply/);
});

test(`[${STORE_KIND}] category ↔ classification rule is checked on the server`, async () => {
  await expectFieldError(datasetInput('nso', { data_category: 'ข้อมูลสาธารณะ', data_classification: 'ลับ' }), 'data_classification', /allows only/);
  await expectFieldError(datasetInput('nso', { data_category: 'ข้อมูลความมั่นคง', data_classification: 'เปิดเผย' }), 'data_classification');
  await expectFieldError(datasetInput('nso', { data_category: 'ข้อมูลสาธารณะ', allow_harvest: false }), 'allow_harvest');
  const internal = await api(env, 'package_create', datasetInput('nso', { data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: false }), { token });
  assert.equal(internal.status, 200);
  assert.equal(internal.json.result.private, true, 'non-public data is never listed publicly');
  assert.equal(internal.json.result.allow_harvest, 'False');
});

test(`[${STORE_KIND}] bad paging parameters → 409; tags with symbols → 409`, async () => {
  const r = await api(env, 'package_list', undefined, { query: { limit: '-1' } });
  assert.equal(r.status, 409);
  await expectFieldError(datasetInput('nso', { tags: ['แรงงาน<script>'] }), 'tags', /alphanumeric/);
});

test(`[${STORE_KIND}] a failing resource inside package_create rolls the whole dataset back`, async () => {
  await expectFieldError(datasetInput('nso', { resources: [{ name: 'ok', url: 'https://example.go.th/a.csv', format: 'CSV' }, { name: 'bad', url: 'javascript:alert(1)', format: 'CSV' }] }), 'resources[1].url', /http/);
});

test(`[${STORE_KIND}] form-encoded and text/plain JSON bodies are accepted like CKAN clients send them`, async () => {
  const r = await post(JSON.stringify(datasetInput('nso')), 'text/plain');
  assert.equal(r.statusCode, 200, r.body);
  const f = await env.app.inject({ method: 'POST', url: '/api/3/action/package_show', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'id=unique-one' });
  assert.equal(f.statusCode, 200, f.body);
});
