import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actorFor, api, as, datasetInput, makeOrg, makeUser, STORE_KIND, sys, testEnv, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { ViewCounter } from '../../src/jobs/view-counter.ts';
import { bangkokDay, bangkokMonth, lastMonths } from '../../src/usage/time.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { collectUsage, USAGE_QUEUE } from '../../src/registry/usage.ts';

const PERSONAL = { data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' };

/**
 * Usage statistics: page views and downloads counted on the hot path, summed per Asia/Bangkok month,
 * visible as the dataset is; CKAN's tracking_summary; a registry collecting an agency's figures
 * after a harvest over loopback and showing them on its dashboard.
 */
describe(`[${STORE_KIND}] usage statistics`, () => {
  let agency: TestEnv;
  let reg: TestEnv;
  let agencyUrl = '';
  let open: { id: string; name: string; resources: Array<{ id: string }> };
  let secret: { id: string; name: string };
  let editorToken = '';

  before(async () => {
    agency = await testEnv({}, { web: true });
    await makeOrg(agency, 'dopa', 'กรมการปกครอง');
    ({ token: editorToken } = await makeUser(agency, 'editor-u', { org: 'dopa', role: 'editor' }));
    open = await sys(agency, 'package_create', datasetInput('dopa', { name: 'births', title: 'จำนวนการเกิด', resources: [{ name: 'CSV', url: 'https://dopa.example.go.th/births.csv', format: 'CSV' }] }));
    secret = await sys(agency, 'package_create', datasetInput('dopa', { name: 'case-files', ...PERSONAL }));
    agencyUrl = await agency.app.listen({ port: 0, host: '127.0.0.1' });
    reg = await testEnv({ siteKind: 'registry' }, { web: true });
    await makeOrg(reg, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeOrg(reg, 'agency-a', 'กรมการปกครอง (บัญชีข้อมูล)');
    await makeUser(reg, 'registrar');
    await sys(reg, 'duty_create', { id: 'nso', username: 'registrar', role: 'registrar' });
    await sys(reg, 'harvest_source_create', { name: 'dopa-catalog', url: agencyUrl, source_type: 'ckan', owner_org: 'agency-a' });
  });
  after(async () => {
    await reg?.close();
    await agency?.close();
  });

  test('Asia/Bangkok days and months: 17:30 UTC on the last of November is already December in Bangkok', () => {
    assert.equal(bangkokDay(new Date('2026-11-30T17:30:00Z')), '2026-12-01');
    assert.equal(bangkokMonth(new Date('2026-11-30T16:59:59Z')), '2026-11');
    assert.deepEqual(lastMonths(new Date('2026-02-10T00:00:00Z'), 3), ['2025-12', '2026-01', '2026-02']);
  });

  test('page views, resource views and downloads are counted per month; tracking_summary answers as CKAN', async () => {
    const page = new PageClient(agency.app);
    assert.equal((await page.get('/dataset/births')).statusCode, 200);
    assert.equal((await page.get('/dataset/births')).statusCode, 200);
    const rid = open.resources[0]!.id;
    assert.equal((await page.get(`/dataset/births/resource/${rid}`)).statusCode, 200);
    assert.equal((await page.get(`/dataset/births/resource/${rid}/download`)).statusCode, 302);
    await agency.services.views.flush();
    const month = bangkokMonth(new Date());
    const s = (await api(agency, 'usage_stats_show', { id: 'births', months: 2 })).json.result;
    assert.deepEqual(s.months.map((m: any) => m.month), lastMonths(new Date(), 2));
    assert.deepEqual(s.months.at(-1), { month, views: 2, downloads: 1 });
    assert.deepEqual(s.total, { views: 2, downloads: 1 });
    assert.deepEqual(s.resources[0].total, { views: 1, downloads: 1 });
    const show = (await api(agency, 'package_show', undefined, { query: { id: 'births', include_tracking: 'true' } })).json.result;
    assert.deepEqual(show.tracking_summary, { total: 2, recent: 2 });
    assert.deepEqual(show.resources[0].tracking_summary, { total: 2, recent: 2 });
    assert.equal((await api(agency, 'package_show', undefined, { query: { id: 'births' } })).json.result.tracking_summary, undefined);
  });

  test('two processes counting at once add up in the shared table (no per-process totals)', async () => {
    const one = new ViewCounter(agency.services.store.db);
    const two = new ViewCounter(agency.services.store.db);
    for (let i = 0; i < 5; i++) one.record(open.id);
    for (let i = 0; i < 7; i++) two.record(open.id);
    two.recordResource(open.id, open.resources[0]!.id, 'download');
    await Promise.all([one.flush(), two.flush()]);
    const s = (await api(agency, 'usage_stats_show', { id: 'births', months: 1 })).json.result;
    assert.deepEqual(s.total, { views: 14, downloads: 2 });
  });

  test('a private entry’s figures are as visible as the entry: outsiders get 404 and organisation sums leave it out', async () => {
    agency.services.views.record(secret.id);
    agency.services.views.record(secret.id);
    await agency.services.views.flush();
    assert.equal((await api(agency, 'usage_stats_show', { id: 'case-files' })).status, 404);
    assert.equal((await api(agency, 'usage_stats_show', { id: 'case-files' }, { token: editorToken })).json.result.total.views, 2);
    const anonOrg = (await api(agency, 'usage_stats_show', { organization: 'dopa', months: 1 })).json.result;
    assert.equal(anonOrg.total.views, 14);
    assert.deepEqual(anonOrg.datasets.map((d: any) => d.name), ['births']);
    const editorOrg = (await api(agency, 'usage_stats_show', { organization: 'dopa', months: 1 }, { token: editorToken })).json.result;
    assert.equal(editorOrg.total.views, 16);
    const list = (await api(agency, 'usage_stats_list', { since: bangkokMonth(new Date()) })).json.result.results;
    assert.deepEqual(list.map((r: any) => r.name), ['births']);
    assert.equal((await api(agency, 'usage_stats_list', { since: '2026-13' })).status, 409);
    assert.equal((await api(agency, 'usage_stats_show', { organization: 'no-such-org' })).status, 404);
    assert.equal((await api(agency, 'usage_stats_show', { id: 'births', months: 99 })).status, 409);
  });

  test('a month the pattern allows but PostgreSQL has no day for (year 0000) is a field error, not a 500', async () => {
    for (const since of ['0000-01', '0000-12']) {
      const r = await api(agency, 'usage_stats_list', { since }, { lang: 'en' });
      assert.equal(r.status, 409, since);
      assert.deepEqual(r.json.error, { since: ['Must be a month as YYYY-MM'], __type: 'Validation Error' });
    }
    assert.equal((await api(agency, 'usage_stats_list', { since: '0001-01' })).status, 200, 'the first year PostgreSQL knows');
  });

  test('the registry collects the agency’s monthly figures after a harvest and shows them on its dashboard (SVG and table)', async () => {
    await runHarvest(reg.services, 'dopa-catalog');
    const queued = await reg.services.store.db.selectFrom('jobs').select(['id', 'payload']).where('queue', '=', USAGE_QUEUE).execute();
    assert.equal(queued.length, 1, 'the finished run queued one collection');
    await collectUsage(reg.services, queued[0]!.payload as Record<string, unknown>);
    const summary = await as(reg, await actorFor(reg, 'registrar'), 'registry_usage_summary', { months: 2 });
    const month = bangkokMonth(new Date());
    assert.deepEqual(summary.months.at(-1), { month, views: 14, downloads: 2 });
    assert.equal(summary.datasets.length, 1, 'the private entry was neither harvested nor reported');
    assert.equal(summary.datasets[0].name, 'births');
    // Collected again: the month's figure is replaced, not added to.
    await collectUsage(reg.services, { source_id: queued[0]!.payload.source_id });
    assert.equal((await as(reg, await actorFor(reg, 'registrar'), 'registry_usage_summary', {})).months.at(-1).views, 14);
    const c = new PageClient(reg.app);
    await c.signIn('registrar', 'correct horse battery');
    const page = await c.get('/registry/dashboard');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /สถิติการใช้งานชุดข้อมูลที่ลงทะเบียน/);
    assert.match(page.body, /<svg[^>]*aria-label="การเข้าชมรายเดือน"/);
    assert.match(page.body, /<th scope="row">จำนวนการเกิด<\/th><td>กรมการปกครอง \(บัญชีข้อมูล\)<\/td><td>14<\/td><td>2<\/td>/);
  });
});
