import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, makeUser, testEnv, type TestEnv } from '../helpers.ts';

describe('CKAN client conventions', () => {
  let env: TestEnv;
  let a: string;
  let d: any;
  before(async () => {
    env = await testEnv();
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    a = (await makeUser(env, 'ed-a', { org: 'nso', role: 'editor' })).token;
    d = (await api(env, 'package_create', datasetInput('nso', { name: 'labour-open' }), { token: a })).json.result;
  });
  after(() => env.close());

  test('package_show takes name_or_id when id is not sent, as CKAN does', async () => {
    const byName = await api(env, 'package_show', undefined, { query: { name_or_id: 'labour-open' } });
    assert.equal(byName.status, 200);
    assert.equal(byName.json.result.id, d.id);
    assert.equal((await api(env, 'package_show', undefined, { query: { name_or_id: d.id } })).json.result.name, 'labour-open');
    assert.equal((await api(env, 'package_show', undefined, { query: { name_or_id: 'nope' } })).status, 404);
    // id wins over name_or_id, and neither sent is still a field error on id
    assert.equal((await api(env, 'package_show', undefined, { query: { id: 'nope', name_or_id: 'labour-open' } })).status, 404);
    const none = await api(env, 'package_show', undefined, { query: {} });
    assert.equal(none.status, 409);
    assert.ok(Array.isArray(none.json.error.id));
  });

  test('a repeated id (?id=a&id=b) is one value too many, not a missing one', async () => {
    const r = await env.app.inject({ method: 'GET', url: '/api/3/action/package_show?id=labour-open&id=other', headers: { 'accept-language': 'en' } });
    assert.equal(r.statusCode, 409, r.body);
    assert.deepEqual(r.json().error.id, ['Must be a string']);
    const obj = await api(env, 'package_show', { id: { $gt: '' } }, { lang: 'en' });
    assert.deepEqual(obj.json.error.id, ['Must be a string']);
  });

  test('resource_create with an upload and no name (as ckanapi sends it) is named after the file', async () => {
    const body = ['--B', 'Content-Disposition: form-data; name="package_id"', '', 'labour-open',
      '--B', 'Content-Disposition: form-data; name="upload"; filename="แรงงาน-2567.csv"', 'Content-Type: text/csv', '', 'a,b\n1,2', '--B--', ''].join('\r\n');
    const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: { authorization: a, 'content-type': 'multipart/form-data; boundary=B' }, payload: Buffer.from(body) });
    assert.equal(r.statusCode, 200, r.body.slice(0, 300));
    assert.equal(r.json().result.name, 'แรงงาน-2567.csv');
    assert.equal(r.json().result.format, 'CSV');
    // A link without a name still needs one (the national standard's field).
    const link = await api(env, 'resource_create', { package_id: 'labour-open', url: 'https://example.go.th/x.csv' }, { token: a });
    assert.equal(link.status, 409, JSON.stringify(link.json));
    assert.ok(link.json.error.name);
  });
});
