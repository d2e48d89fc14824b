import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, makeOrg, makeUser, testEnv, type TestEnv } from '../helpers.ts';

const SHARED = path.resolve(import.meta.dirname, '../../../../shared/data');
const realFile = fs.existsSync(SHARED) ? SHARED : '/work/shared/data';
const real = JSON.parse(fs.readFileSync(path.join(realFile, 'data-go-th-package-list', 'package_search_covid-19-daily.json'), 'utf8')).result.results[0];

/** The real data.go.th record as a CKAN client sends it to package_create (another catalog's org id dropped). */
function covidInput(org: string): Record<string, unknown> {
  const { organization: _o, owner_org: _w, groups: _g, ...rest } = real;
  return { ...rest, owner_org: org, data_format: ['CSV'], objective: ['พันธกิจหน่วยงาน'], data_source: 'กรมควบคุมโรค' };
}

describe('data.go.th records through the API', () => {
  let env: TestEnv;
  let token: string;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'ddc', 'กรมควบคุมโรค');
    ({ token } = await makeUser(env, 'editor1', { org: 'ddc', role: 'editor' }));
  });
  after(() => env.close());

  test('package_create: a foreign "upload" is a link; its page, download and dict say so', async () => {
    const created = await api(env, 'package_create', covidInput('ddc'), { token });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const shown = (await api(env, 'package_show', undefined, { query: { id: 'covid-19-daily' } })).json.result;
    assert.equal(shown.resources.length, real.resources.length);
    const foreign = shown.resources.filter((r: any) => /^https:\/\/data\.go\.th\//.test(r.url));
    assert.ok(foreign.length >= 12);
    for (const r of foreign) {
      assert.equal(r.url_type, null, 'a data.go.th file is a link here');
      const page = await env.app.inject({ url: `/dataset/covid-19-daily/resource/${r.id}` });
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(`href="${r.url.replace(/&/g, '&amp;')}"`), 'the button points to the file where it is published');
      assert.ok(!page.body.includes('id="preview-title"'), 'no preview section for a link');
      const dl = await env.app.inject({ url: `/dataset/${shown.id}/resource/${r.id}/download` });
      assert.equal(dl.statusCode, 302);
      assert.equal(dl.headers.location, new URL(r.url).href);
    }
    const dataset = await env.app.inject({ url: '/dataset/covid-19-daily' });
    assert.equal(dataset.statusCode, 200);
    assert.ok(!dataset.body.includes('ดูตัวอย่าง'), 'no "preview" button where no preview can exist');
    // package_update with the same foreign dicts (ids kept) stays a link too.
    const upd = await api(env, 'package_update', { ...covidInput('ddc'), id: shown.id, resources: real.resources }, { token });
    assert.equal(upd.status, 200, JSON.stringify(upd.json));
    assert.ok(upd.json.result.resources.every((r: any) => r.url_type === null));
  });

  test('download of a link that is not http(s) answers 404, never a redirect', async () => {
    const d = await api(env, 'package_show', undefined, { query: { id: 'covid-19-daily' } });
    const res = await api(env, 'resource_create', { package_id: d.json.result.id, name: 'ftp', url: 'https://example.go.th/x.csv', format: 'CSV' }, { token });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    // The validator refuses such URLs today; older rows may hold them.
    await env.services.store.db.updateTable('resources').set({ url: 'javascript:alert(1)' }).where('id', '=', res.json.result.id).execute();
    const dl = await env.app.inject({ url: `/dataset/${d.json.result.id}/resource/${res.json.result.id}/download` });
    assert.equal(dl.statusCode, 404);
    assert.equal(dl.headers.location, undefined);
  });

  test('package_show has every key of the real data.go.th response, in dataset and resources', async () => {
    const shown = (await api(env, 'package_show', undefined, { query: { id: 'covid-19-daily' } })).json.result;
    const missing = Object.keys(real).filter((k) => !(k in shown));
    assert.deepEqual(missing, []);
    for (const r of real.resources) {
      const ours = shown.resources.find((x: { id: string }) => x.id === r.id);
      assert.ok(ours, r.name);
      assert.deepEqual(Object.keys(r).filter((k) => !(k in ours)), [], r.name);
    }
  });

  test('a minimal dataset still carries every schema key, empty as null or []', async () => {
    const min = { name: 'minimal-one', title: 'ชุดข้อมูลขั้นต่ำ', owner_org: 'ddc', data_type: 'ข้อมูลระเบียน', state: 'draft' };
    const c = await api(env, 'package_create', min, { token });
    assert.equal(c.status, 200, JSON.stringify(c.json));
    const r = await api(env, 'resource_create', { package_id: 'minimal-one', name: 'ลิงก์', url: 'https://example.go.th/a.csv' }, { token });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const d = (await api(env, 'package_show', undefined, { query: { id: 'minimal-one' }, token })).json.result;
    for (const k of ['telephone_number', 'author', 'version', 'url']) assert.equal(d[k], null, k);
    assert.deepEqual(d.disaggregate, []);
    assert.deepEqual(d.data_language, []);
    const res = d.resources[0];
    for (const k of ['resource_type', 'mimetype_inner', 'cache_url', 'cache_last_updated', 'size', 'mimetype']) assert.equal(res[k], null, k);
    assert.deepEqual(res.resource_disaggregate, []);
    // Echoing the complete dict back is accepted unchanged (clients do package_show → edit → package_update).
    const back = await api(env, 'package_update', d, { token });
    assert.equal(back.status, 200, JSON.stringify(back.json));
  });
});
