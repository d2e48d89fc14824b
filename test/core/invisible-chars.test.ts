import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, sys, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { readText } from '../../src/standard/values.ts';
import { ErrorBag } from '../../src/actions/errors.ts';

/**
 * Invisible formatting characters that Thai word processors put between words are removed on every
 * write path (API, portal form, import, organisation and group titles); control characters are refused.
 */
const INVISIBLE: Record<string, string> = {
  'zero-width space': '\u200B',
  ZWNJ: '\u200C',
  ZWJ: '\u200D',
  'left-to-right mark': '\u200E',
  'word joiner': '\u2060',
  BOM: '\uFEFF',
  'soft hyphen': '\u00AD',
  'combining grapheme joiner': '\u034F',
  'right-to-left override': '\u202E',
  'Unicode tag character': '\u{E0041}',
};

let env: TestEnv;
let token: string;
before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
});
after(() => env.close());

test('readText removes every invisible character and refuses controls with a field error', () => {
  for (const [label, ch] of Object.entries(INVISIBLE)) {
    const bag = new ErrorBag();
    assert.equal(readText(`สถิติ${ch}แรง${ch}งาน`, 'title', bag, { strict: true }), 'สถิติแรงงาน', label);
    assert.equal(bag.has(), false, label);
  }
  for (const [ch, pattern] of [['\u0000', /NUL/], ['\u0007', /U\+0007/], ['\u001B', /U\+001B/], ['\u007F', /U\+007F/], ['\u0085', /U\+0085/], ['\uD800', /surrogate/]] as const) {
    const bag = new ErrorBag();
    assert.equal(readText(`ข้อมูล${ch}แรงงาน`, 'notes', bag), undefined);
    assert.match(bag.errors.notes!.map((m) => m.en).join(' '), pattern);
  }
  const lines = new ErrorBag();
  assert.equal(readText('บรรทัด 1\r\n\tบรรทัด 2', 'notes', lines), 'บรรทัด 1\r\n\tบรรทัด 2', 'descriptions keep their lines');
  assert.equal(readText('ชื่อ\r\nต่อ', 'title', lines, { strict: true }), 'ชื่อ ต่อ', 'a one-line value gets a space');
  assert.equal(lines.has(), false);
});

test(`[${STORE_KIND}] API: title, tags, notes and resource names lose invisible characters on create, update, patch and resource writes`, async () => {
  for (const [label, ch] of Object.entries(INVISIBLE)) {
    const title = `สถิติ${ch}แรงงาน ${label}`;
    const created = await api(env, 'package_create', datasetInput('nso', { title, tags: [`แรง${ch}งาน`, `${ch}สถิติ`], notes: `ข้อมูล${ch}แรงงาน`, resources: [{ name: `ตาราง${ch}แรงงาน`, url: 'https://example.go.th/a.csv', format: 'CSV' }] }), { token });
    assert.equal(created.status, 200, `${label}: ${JSON.stringify(created.json?.error)}`);
    const d = created.json.result;
    assert.equal(d.title, `สถิติแรงงาน ${label}`, label);
    assert.deepEqual(d.tags.map((t: { name: string }) => t.name).sort(), ['แรงงาน', 'สถิติ'].sort(), label);
    assert.equal(d.notes, 'ข้อมูลแรงงาน', label);
    assert.equal(d.resources[0].name, 'ตารางแรงงาน', label);

    const patched = await api(env, 'package_patch', { id: d.name, title: `${ch}ปรับ${ch}ปรุง ${label}`, tags: [`ใหม่${ch}`] }, { token });
    assert.equal(patched.status, 200, `${label}: ${JSON.stringify(patched.json?.error)}`);
    assert.equal(patched.json.result.title, `ปรับปรุง ${label}`);
    assert.deepEqual(patched.json.result.tags.map((t: { name: string }) => t.name), ['ใหม่']);

    const updated = await api(env, 'package_update', { ...datasetInput('nso', { name: d.name, title: `ฉบับ${ch}ใหม่ ${label}` }) }, { token });
    assert.equal(updated.status, 200, `${label}: ${JSON.stringify(updated.json?.error)}`);
    assert.equal(updated.json.result.title, `ฉบับใหม่ ${label}`);

    const res = await api(env, 'resource_create', { package_id: d.name, name: `แฟ้ม${ch}ที่สอง`, description: `คำ${ch}อธิบาย`, url: 'https://example.go.th/b.csv', format: 'CSV' }, { token });
    assert.equal(res.status, 200, `${label}: ${JSON.stringify(res.json?.error)}`);
    assert.equal(res.json.result.name, 'แฟ้มที่สอง');
    assert.equal(res.json.result.description, 'คำอธิบาย');
    const rp = await api(env, 'resource_patch', { id: res.json.result.id, name: `แฟ้ม${ch}แก้` }, { token });
    assert.equal(rp.status, 200, `${label}: ${JSON.stringify(rp.json?.error)}`);
    assert.equal(rp.json.result.name, 'แฟ้มแก้');
  }
});

test(`[${STORE_KIND}] a title that differs only by an invisible character is the same title`, async () => {
  const first = await api(env, 'package_create', datasetInput('nso', { title: 'สถิติการจ้างงาน' }), { token });
  assert.equal(first.status, 200);
  const twin = await api(env, 'package_create', datasetInput('nso', { title: 'สถิติ\u200Bการจ้างงาน' }), { token, lang: 'en' });
  assert.equal(twin.status, 409);
  assert.match(twin.json.error.title.join(' '), /already in use/);
});

test(`[${STORE_KIND}] control characters still get a clear field error on every text field`, async () => {
  for (const [field, value] of [['title', 'สถิติ\u0000'], ['notes', 'ข้อมูล\u001B[31m'], ['tags', ['แรง\u0007งาน']]] as const) {
    const r = await api(env, 'package_create', datasetInput('nso', { [field]: value }), { token, lang: 'en' });
    assert.equal(r.status, 409, field);
    const key = Object.keys(r.json.error).find((k) => k === field || k.startsWith(`${field}[`));
    assert.ok(key, `${field}: ${JSON.stringify(r.json.error)}`);
    assert.match(r.json.error[key].join(' '), /NUL|control character/, field);
  }
});

test(`[${STORE_KIND}] organisation and group titles lose invisible characters`, async () => {
  const org = await api(env, 'organization_create', { name: 'zw-org', title: 'กรม\u200Bสถิติ\uFEFF' }, { token: (await makeUser(env, 'root1', { sysadmin: true })).token });
  assert.equal(org.status, 200, JSON.stringify(org.json?.error));
  assert.equal(org.json.result.title, 'กรมสถิติ');
  const group = await sys(env, 'group_create', { name: 'zw-group', title: 'กลุ่ม\u2060แรงงาน\u00AD' });
  assert.equal(group.title, 'กลุ่มแรงงาน');
});

test(`[${STORE_KIND}] import: invisible characters in title, tags, notes and resource names are removed, the record is kept`, async () => {
  const records = Object.entries(INVISIBLE).map(([label, ch], i) =>
    datasetInput('nso', {
      name: `import-zw-${i}`,
      title: `นำเข้า${ch}สถิติ ${i}`,
      tags: [`แรง${ch}งาน`],
      notes: `ข้อมูล${ch}${label}`,
      resources: [{ name: `ตาราง${ch}${i}`, url: 'https://example.go.th/a.csv', format: 'CSV' }],
    }),
  );
  const r = await api(env, 'package_import', { records }, { token });
  assert.equal(r.status, 200, JSON.stringify(r.json?.error));
  assert.deepEqual(r.json.result.failed, []);
  assert.equal(r.json.result.imported.length, records.length);
  const row = await env.services.store.db.selectFrom('datasets').select(['title', 'tags']).where('name', '=', 'import-zw-0').executeTakeFirstOrThrow();
  assert.equal(row.title, 'นำเข้าสถิติ 0');
  assert.deepEqual(row.tags, ['แรงงาน']);
  const names = await env.services.store.db.selectFrom('resources').innerJoin('datasets', 'datasets.id', 'resources.dataset_id').select('resources.name').where('datasets.name', 'like', 'import-zw-%').execute();
  for (const n of names) assert.doesNotMatch(n.name, /\p{Default_Ignorable_Code_Point}/u);
});

test(`[${STORE_KIND}] portal form: a title and tags typed with zero-width spaces are saved without them`, async () => {
  await makeUser(env, 'formeditor', { org: 'nso' });
  const page = new PageClient(env.app);
  await page.signIn('formeditor', 'correct horse battery');
  await page.get('/dataset/new?data_type=' + encodeURIComponent('ข้อมูลสถิติ'));
  const res = await page.post('/dataset/new', { data_type: 'ข้อมูลสถิติ', name: 'form-zw', title: 'ฟอร์ม\u200Bสถิติ\u200Cแรงงาน', owner_org: 'nso', tag_string: 'แรง\u200Bงาน, สถิติ\uFEFF', save: 'draft' });
  assert.equal(res.statusCode, 303, res.body.slice(0, 500));
  const row = await env.services.store.db.selectFrom('datasets').select(['title', 'tags']).where('name', '=', 'form-zw').executeTakeFirstOrThrow();
  assert.equal(row.title, 'ฟอร์มสถิติแรงงาน');
  assert.deepEqual(row.tags, ['แรงงาน', 'สถิติ']);
});

test('a search typed or pasted with invisible characters finds what the plain words find (q, fq and autocomplete)', async () => {
  await sys(env, 'package_create', datasetInput('nso', { name: 'zw-search', title: 'สถิติผู้ประกอบการโรงแรมรายจังหวัด', tags: [{ name: 'โรงแรม' }] }));
  const plain = await sys(env, 'package_search', { q: 'โรงแรม' });
  assert.ok(plain.count >= 1);
  for (const [label, ch] of Object.entries(INVISIBLE)) {
    const r = await sys(env, 'package_search', { q: `โรง${ch}แรม` });
    assert.equal(r.count, plain.count, label);
    const f = await sys(env, 'package_search', { fq: `tags:"โรง${ch}แรม"` });
    assert.equal(f.count, 1, label);
    const tags = await sys(env, 'tag_autocomplete', { query: `โรง${ch}แ` });
    assert.ok(tags.includes('โรงแรม'), label);
  }
});
