import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actorFor, api, as, datasetInput, makeOrg, makeUser, STORE_KIND, sys, testEnv, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { PageClient } from '../web/client.ts';

/**
 * Area catalogs reference other catalogs' datasets (reference_url_catalog) and those are never
 * registered twice: the area's officer is neither offered nor allowed to register them, the national
 * harvester skips them, and a registry listing one source dataset from two sources holds it once.
 */
describe(`[${STORE_KIND}] area catalogs' references`, () => {
  let agency: TestEnv;
  let area: TestEnv;
  let reg: TestEnv;
  let agencyUrl = '';
  let areaUrl = '';
  let areaEditor = '';

  before(async () => {
    agency = await testEnv();
    await makeOrg(agency, 'dopa', 'กรมการปกครอง');
    await sys(agency, 'package_create', datasetInput('dopa', { name: 'population', title: 'จำนวนประชากร', resources: [{ name: 'CSV', url: 'https://dopa.example.go.th/pop.csv', format: 'CSV' }] }));
    await sys(agency, 'package_create', datasetInput('dopa', { name: 'households', title: 'จำนวนครัวเรือน' }));
    agencyUrl = await agency.app.listen({ port: 0, host: '127.0.0.1' });
    // The sources here are on loopback: allowed for this catalog, refused by default (tested below).
    area = await testEnv({ siteKind: 'area', linkcheck: { timeoutMs: 10_000, concurrency: 8, allowPrivate: true } }, { web: true });
    await makeOrg(area, 'chiangmai', 'จังหวัดเชียงใหม่');
    ({ token: areaEditor } = await makeUser(area, 'cm-editor', { org: 'chiangmai', role: 'editor' }));
    await makeUser(area, 'cm-officer', { org: 'chiangmai', role: 'member' });
    await sys(area, 'duty_create', { id: 'chiangmai', username: 'cm-officer', role: 'registration_officer' });
    await sys(area, 'package_create', datasetInput('chiangmai', { name: 'cm-tourists', title: 'นักท่องเที่ยวเชียงใหม่' }));
    areaUrl = await area.app.listen({ port: 0, host: '127.0.0.1' });
    reg = await testEnv({ siteKind: 'registry' });
    await makeOrg(reg, 'agency-a', 'กรมการปกครอง (บัญชีข้อมูล)');
    await makeOrg(reg, 'agency-cm', 'จังหวัดเชียงใหม่ (บัญชีข้อมูล)');
  });
  after(async () => {
    await reg?.close();
    await area?.close();
    await agency?.close();
  });

  test('an area editor references another catalog’s dataset: metadata copied, reference_url_catalog set, files as links; errors are field errors', async () => {
    const r = await api(area, 'package_reference_create', { owner_org: 'chiangmai', url: `${agencyUrl}/dataset/population` }, { token: areaEditor });
    assert.equal(r.status, 200, JSON.stringify(r.json?.error));
    const d = r.json.result;
    assert.equal(d.title, 'จำนวนประชากร');
    assert.equal(d.organization.name, 'chiangmai');
    assert.equal(d.reference_url_catalog, `${agencyUrl}/dataset/population`);
    assert.equal(d.resources[0].url, 'https://dopa.example.go.th/pop.csv');
    const again = await api(area, 'package_reference_create', { owner_org: 'chiangmai', url: `${agencyUrl}/dataset/population/` }, { token: areaEditor, lang: 'en' });
    assert.equal(again.status, 409);
    assert.match(again.json.error.url[0], /referenced already as population/);
    assert.equal((await api(area, 'package_reference_create', { owner_org: 'chiangmai', url: 'ftp://x/dataset/a' }, { token: areaEditor })).status, 409);
    assert.equal((await api(area, 'package_reference_create', { owner_org: 'chiangmai', url: `${agencyUrl}/dataset/no-such` }, { token: areaEditor })).status, 409);
    assert.equal((await api(area, 'package_reference_create', { owner_org: 'chiangmai', url: `${agencyUrl}/dataset/households` })).status, 403, 'anonymous');
    // By default an editor's URL may not reach the server's own network (loopback, private, link-local).
    area.services.config.linkcheck!.allowPrivate = false;
    try {
      for (const url of [`${agencyUrl}/dataset/households`, 'http://169.254.169.254/dataset/x', 'http://[::1]:9/dataset/x']) {
        const ssrf = await api(area, 'package_reference_create', { owner_org: 'chiangmai', url }, { token: areaEditor, lang: 'en' });
        assert.equal(ssrf.status, 409, url);
        assert.match(ssrf.json.error.url[0], /private or loopback/, url);
      }
    } finally {
      area.services.config.linkcheck!.allowPrivate = true;
    }
    // An agency catalog has no references to make.
    const { token } = await makeUser(agency, 'dopa-editor', { org: 'dopa', role: 'editor' });
    const notArea = await api(agency, 'package_reference_create', { owner_org: 'dopa', url: `${areaUrl}/dataset/cm-tourists` }, { token });
    assert.equal(notArea.status, 409);
    assert.match(notArea.json.error.url[0], /BANCHI_SITE_KIND=area/);
  });

  test('the reference form works without JavaScript and shows field errors in Thai', async () => {
    const c = new PageClient(area.app);
    await c.signIn('cm-editor', 'correct horse battery');
    const form = await c.get('/area/reference');
    assert.equal(form.statusCode, 200);
    const bad = await c.post('/area/reference', { owner_org: 'chiangmai', url: 'not a url' }, { csrf: c.csrf(form.body) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /ต้องเป็น URL ของหน้าชุดข้อมูล/);
    await c.post('/area/reference', { owner_org: 'chiangmai', url: `${agencyUrl}/dataset/households` }, { csrf: c.csrf(bad.body) });
    assert.equal(c.last!.headers.location, '/dataset/households');
  });

  test('the area’s pull list leaves references out and registering one is refused, naming the source catalog (Thai and English)', async () => {
    const officer = await actorFor(area, 'cm-officer');
    const list = await as(area, officer, 'registry_agency_list', {});
    assert.deepEqual(list.results.map((x: any) => x.name), ['cm-tourists']);
    const ref = await sys(area, 'package_show', { id: 'population' });
    await assert.rejects(as(area, officer, 'registry_agency_submit', { op: 'register', ids: [ref.id] }), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      const [m] = e.errors.ids;
      assert.match(m.th, new RegExp(`อ้างอิงจากบัญชีข้อมูล ${new URL(agencyUrl).host.replace('.', '\\.')}`));
      assert.match(m.en, /references a dataset of the catalog 127\.0\.0\.1:\d+/);
      return true;
    });
  });

  test('the registry holds each source dataset once: the area’s reference is skipped and a second source naming the same catalog adds nothing', async () => {
    await sys(reg, 'harvest_source_create', { name: 'dopa-catalog', url: agencyUrl, source_type: 'ckan', owner_org: 'agency-a' });
    await sys(reg, 'harvest_source_create', { name: 'cm-catalog', url: areaUrl, source_type: 'ckan', owner_org: 'agency-cm' });
    await sys(reg, 'harvest_source_create', { name: 'dopa-again', url: `${agencyUrl}/api/3/action/`, source_type: 'ckan', owner_org: 'agency-cm' });
    assert.equal((await runHarvest(reg.services, 'dopa-catalog')).stats.added, 2);
    assert.equal((await runHarvest(reg.services, 'cm-catalog')).stats.added, 1, 'only the area’s own dataset');
    const dup = await runHarvest(reg.services, 'dopa-again');
    assert.equal(dup.stats.added, 0, 'the same catalog under another address adds nothing');
    const skipped = await reg.services.store.db.selectFrom('harvest_objects').select(['errors']).where('job_id', '=', dup.id).where('report_status', '=', 'skipped').execute();
    assert.equal(skipped.length, 2);
    assert.match(JSON.stringify(skipped[0]!.errors), /dopa-catalog/);
    const regs = await reg.services.store.db.selectFrom('registrations').select(['remote_name']).orderBy('remote_name').execute();
    assert.deepEqual(regs.map((r) => r.remote_name), ['cm-tourists', 'households', 'population']);
    const titles = (await sys(reg, 'package_search', { q: 'จำนวนประชากร', rows: 50, include_private: true })).results.map((d: any) => d.title);
    assert.equal(titles.filter((t: string) => t === 'จำนวนประชากร').length, 1);
  });
});
