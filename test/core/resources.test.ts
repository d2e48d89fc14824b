import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';

let env: TestEnv;
let token: string;

before(async () => {
  env = await testEnv({ maxUploadBytes: 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  const r = await api(env, 'package_create', datasetInput('nso', { name: 'files' }), { token });
  assert.equal(r.status, 200);
});
after(() => env.close());

function multipart(fields: Record<string, string>, file?: { name: string; type: string; body: string }) {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push('--B', `Content-Disposition: form-data; name="${k}"`, '', v);
  if (file) parts.push('--B', `Content-Disposition: form-data; name="upload"; filename="${file.name}"`, `Content-Type: ${file.type}`, '', file.body);
  parts.push('--B--', '');
  return { headers: { authorization: token, 'content-type': 'multipart/form-data; boundary=B' }, payload: parts.join('\r\n') };
}

async function filesOnDisk(): Promise<number> {
  const fs = await import('node:fs');
  const root = `${env.config.dataDir}/files`;
  if (!fs.existsSync(root)) return 0;
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
}

test(`[${STORE_KIND}] a link resource with a data dictionary round-trips`, async () => {
  const dictionary = [
    { name: 'province', type: 'text', description_th: 'จังหวัด', description_en: 'Province', unit: '', example: 'เชียงใหม่', personal_data: false },
    { name: 'citizen_id', type: 'text', description_th: 'เลขประจำตัวประชาชน', description_en: 'Citizen ID', unit: '', example: '', personal_data: true },
  ];
  const r = await api(env, 'resource_create', { package_id: 'files', name: 'ตาราง', url: 'https://example.go.th/t.csv', format: 'csv', data_dictionary: dictionary, resource_first_year_of_data: '2566' }, { token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const shown = await api(env, 'resource_show', undefined, { query: { id: r.json.result.id } });
  assert.deepEqual(shown.json.result.data_dictionary, dictionary);
  assert.equal(shown.json.result.resource_first_year_of_data, '2566');
  const pkg = await api(env, 'package_show', undefined, { query: { id: 'files' } });
  assert.equal(pkg.json.result.num_resources, 1);
});

test(`[${STORE_KIND}] a bad data dictionary names the field`, async () => {
  const r = await api(env, 'resource_create', { package_id: 'files', name: 'x', url: 'https://example.go.th/x', format: 'CSV', data_dictionary: [{ name: 'a', type: 'colour' }] }, { token, lang: 'en' });
  assert.equal(r.status, 409);
  assert.ok(r.json.error['data_dictionary[0].type']);
});

test(`[${STORE_KIND}] multipart upload as CKAN clients send it, served back with a safe type`, async () => {
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'files', name: 'แผนที่' }, { name: 'page.html', type: 'text/html', body: '<script>alert(1)</script>' }) });
  assert.equal(r.statusCode, 200, r.body);
  const res = r.json().result;
  assert.equal(res.url_type, 'upload');
  assert.equal(res.format, 'HTML');
  assert.equal(res.size, 25);
  assert.match(res.url, /\/dataset\/.+\/resource\/.+\/download\/page\.html$/);
  const dl = await env.app.inject({ url: new URL(res.url).pathname });
  assert.equal(dl.statusCode, 200);
  assert.equal(dl.headers['content-type'], 'application/octet-stream', 'HTML is never served as HTML');
  assert.match(String(dl.headers['content-disposition']), /^attachment/);
  assert.match(String(dl.headers['content-security-policy']), /sandbox/);
});

test(`[${STORE_KIND}] resource_update with a new upload replaces the file; patch keeps it`, async () => {
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'files', name: 'v1' }, { name: 'data.csv', type: 'text/csv', body: 'a\n1' }) });
  const id = r.json().result.id;
  const u = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_update', ...multipart({ id, name: 'v2' }, { name: 'data.csv', type: 'text/csv', body: 'a\n2' }) });
  assert.equal(u.statusCode, 200, u.body);
  const p = await api(env, 'resource_patch', { id, description: 'รายละเอียด' }, { token });
  assert.equal(p.status, 200, JSON.stringify(p.json));
  assert.equal(p.json.result.url_type, 'upload');
  const dl = await env.app.inject({ url: new URL(p.json.result.url).pathname });
  assert.equal(dl.body, 'a\n2');
});

test(`[${STORE_KIND}] an upload over the size limit → 413 and no file left behind`, async () => {
  const before = await filesOnDisk();
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'files', name: 'big' }, { name: 'big.csv', type: 'text/csv', body: 'x'.repeat(5000) }) });
  assert.equal(r.statusCode, 413, r.body);
  assert.equal(await filesOnDisk(), before);
});

test(`[${STORE_KIND}] an upload whose metadata fails validation leaves no file and no resource`, async () => {
  const before = await filesOnDisk();
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'files', name: 'x', resource_disaggregate: 'ดาวเคราะห์' }, { name: 'ok.csv', type: 'text/csv', body: 'a' }) });
  assert.equal(r.statusCode, 409, r.body);
  assert.equal(await filesOnDisk(), before);
});

test(`[${STORE_KIND}] resource_delete and unknown resources`, async () => {
  const r = await api(env, 'resource_create', { package_id: 'files', name: 'gone', url: 'https://example.go.th/g', format: 'CSV' }, { token });
  assert.equal((await api(env, 'resource_delete', { id: r.json.result.id }, { token })).status, 200);
  const s = await api(env, 'resource_show', undefined, { query: { id: r.json.result.id }, lang: 'en' });
  assert.equal(s.status, 404);
  assert.equal(s.json.error.message, 'Not found: Resource was not found.');
  assert.equal((await api(env, 'resource_show', undefined, { query: { id: 'not-a-uuid' } })).status, 404);
});

test(`[${STORE_KIND}] a resource marked private is hidden from non-editors in show, search and history`, async () => {
  const r = await api(env, 'resource_create', { package_id: 'files', name: 'ภายในเท่านั้น', url: 'https://example.go.th/internal.csv', format: 'CSV', resource_private: true }, { token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const id = r.json.result.id;
  const anon = await api(env, 'package_show', undefined, { query: { id: 'files' } });
  assert.ok(!anon.json.result.resources.some((x: { id: string }) => x.id === id));
  assert.equal((await api(env, 'resource_show', undefined, { query: { id } })).status, 404);
  const history = await api(env, 'package_activity_list', undefined, { query: { id: 'files' } });
  assert.ok(!JSON.stringify(history.json.result).includes(id), 'history does not reveal the private resource');
  const asEditor = await api(env, 'package_activity_list', undefined, { query: { id: 'files' }, token });
  assert.ok(JSON.stringify(asEditor.json.result).includes(id));
});
