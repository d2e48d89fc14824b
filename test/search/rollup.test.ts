import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';

/**
 * A ministry holds no dataset of its own; its department and the department's division do.
 * Organisation pages and `include_children` count them all, each by the caller's visibility.
 */
describe('organisation roll-up (include_children)', () => {
  let env: TestEnv;
  let editorToken: string;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'moph', 'กระทรวงสาธารณสุข');
    await makeOrg(env, 'ddc', 'กรมควบคุมโรค', 'moph');
    await makeOrg(env, 'ddc-vector', 'กองโรคติดต่อนำโดยแมลง', 'ddc');
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await sys(env, 'package_create', datasetInput('ddc', { name: 'dengue', title: 'ผู้ป่วยไข้เลือดออก' }));
    await sys(env, 'package_create', datasetInput('ddc-vector', { name: 'malaria', title: 'ผู้ป่วยมาลาเรีย' }));
    await sys(env, 'package_create', datasetInput('ddc-vector', { name: 'vector-internal', title: 'แผนควบคุมยุงภายใน', private: true, data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
    await sys(env, 'package_create', datasetInput('nso', { name: 'labour', title: 'ผู้มีงานทำ' }));
    ({ token: editorToken } = await makeUser(env, 'vector-editor', { org: 'ddc-vector', role: 'editor' }));
  });
  after(() => env.close());

  const names = (r: any) => r.results.map((x: any) => x.name).sort();

  it('package_search: organization: matches the organisation alone, or with include_children its whole subtree', async () => {
    const alone = await api(env, 'package_search', { fq: 'organization:moph' });
    assert.equal(alone.json.result.count, 0);
    const all = await api(env, 'package_search', { fq: 'organization:moph', include_children: true });
    assert.deepEqual(names(all.json.result), ['dengue', 'malaria']);
    const mid = await api(env, 'package_search', { q: 'ผู้ป่วย', fq: 'organization:ddc', include_children: 'true', 'facet.field': ['organization'] });
    assert.deepEqual(names(mid.json.result), ['dengue', 'malaria']);
    assert.deepEqual(mid.json.result.search_facets.organization.items.map((i: any) => [i.name, i.count]).sort(), [['ddc', 1], ['ddc-vector', 1]]);
    const org = await api(env, 'organization_show', { id: 'moph' });
    const byId = await api(env, 'package_search', { fq: `owner_org:${org.json.result.id}`, include_children: true });
    assert.deepEqual(names(byId.json.result), ['dengue', 'malaria']);
    const bad = await api(env, 'package_search', { include_children: 'maybe' });
    assert.equal(bad.status, 409);
  });

  it('visibility stays exact: the private division dataset counts only for its editor', async () => {
    const member = await api(env, 'package_search', { fq: 'organization:moph', include_children: true, include_private: true }, { token: editorToken });
    assert.deepEqual(names(member.json.result), ['dengue', 'malaria', 'vector-internal']);
    const anon = await api(env, 'organization_list', { all_fields: true, include_children: true });
    const count = (list: any[], name: string) => list.find((g) => g.name === name)?.package_count;
    assert.equal(count(anon.json.result, 'moph'), 2);
    assert.equal(count(anon.json.result, 'ddc'), 2);
    assert.equal(count(anon.json.result, 'ddc-vector'), 1);
    assert.equal(count(anon.json.result, 'nso'), 1);
    const editor = await api(env, 'organization_list', { all_fields: true, include_children: true }, { token: editorToken });
    assert.equal(count(editor.json.result, 'moph'), 3);
    // Without the option, CKAN's own counts.
    const own = await api(env, 'organization_list', { all_fields: true });
    assert.equal(count(own.json.result, 'moph'), 0);
    assert.equal(count(own.json.result, 'ddc'), 1);
    const sorted = await api(env, 'organization_list', { sort: 'package_count desc', include_children: true });
    assert.deepEqual(sorted.json.result.slice(0, 2).sort(), ['ddc', 'moph']);
    const show = await api(env, 'organization_show', { id: 'moph', include_children: true });
    assert.equal(show.json.result.package_count, 2);
    assert.equal((await api(env, 'organization_show', { id: 'moph' })).json.result.package_count, 0);
  });

  it("the ministry's page shows its departments' datasets by default, and can show its own only", async () => {
    const c = new PageClient(env.app);
    const page = await c.get('/organization/moph');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /href="\/dataset\/dengue"/);
    assert.match(page.body, /href="\/dataset\/malaria"/);
    assert.match(page.body, /พบ 2 ชุดข้อมูล/);
    assert.doesNotMatch(page.body, /vector-internal/);
    assert.match(page.body, /include_children=false/);
    const own = await c.get('/organization/moph?include_children=false');
    assert.match(own.body, /พบ 0 ชุดข้อมูล/);
    const list = await c.get('/organization');
    assert.match(list.body, /กระทรวงสาธารณสุข<\/a>\s*<span class="count">2 ชุดข้อมูล/);
    // The home page's organisation tiles roll up the same way (anonymous: the private one is not counted).
    const home = await c.get('/');
    assert.match(home.body, /href="\/organization\/moph">กระทรวงสาธารณสุข<\/a><\/h3>\s*<p class="muted">2 ชุดข้อมูล/);
  });
});
