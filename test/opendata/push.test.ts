import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, datasetInput, makeOrg, makeUser, STORE_KIND, sys, testEnv, type TestEnv } from '../helpers.ts';
import { freePort } from '../web/browser.ts';
import { PageClient } from '../web/client.ts';
import { OPENDATA_QUEUE, runPush } from '../../src/opendata/push.ts';

/**
 * An agency banchi pushes its open datasets to an open-data portal through the portal's CKAN
 * Action API; a second banchi on loopback plays data.go.th.
 */
describe(`[${STORE_KIND}] open-data push to a CKAN portal`, () => {
  let portal: TestEnv;
  let agency: TestEnv;
  let portalUrl = '';
  let editorToken = '';

  /** Runs the queued push jobs now, as the server's worker would. */
  async function drain(env: TestEnv): Promise<number> {
    const db = env.services.store.db;
    let n = 0;
    for (;;) {
      const job = await db.selectFrom('jobs').select(['id', 'payload']).where('queue', '=', OPENDATA_QUEUE).where('state', '=', 'queued').orderBy('id').executeTakeFirst();
      if (!job) return n;
      await db.updateTable('jobs').set({ state: 'running' }).where('id', '=', job.id).execute();
      try {
        await runPush(env.services, job.payload as Record<string, unknown>);
      } finally {
        await db.updateTable('jobs').set({ state: 'done' }).where('id', '=', job.id).execute();
      }
      n++;
    }
  }
  const onPortal = async (name: string) => (await api(portal, 'package_show', { id: name })).json;

  before(async () => {
    const port = await freePort();
    portalUrl = `http://127.0.0.1:${port}`;
    portal = await testEnv({ siteUrl: portalUrl, port });
    await portal.app.listen({ port, host: '127.0.0.1' });
    await makeOrg(portal, 'dept-open', 'กรมตัวอย่าง (พอร์ทัล)');
    await makeOrg(portal, 'someone-else', 'หน่วยงานอื่นบนพอร์ทัล');
    const { token: portalToken } = await makeUser(portal, 'agency-bot', { org: 'dept-open', role: 'editor' });
    agency = await testEnv({ openData: { url: portalUrl, token: portalToken, org: 'dept-open' } }, { web: true });
    await makeOrg(agency, 'dept-a', 'กรมตัวอย่าง');
    ({ token: editorToken } = await makeUser(agency, 'editor-a', { org: 'dept-a', role: 'editor' }));
  });
  after(async () => {
    await agency?.close();
    await portal?.close();
  });

  it('an open dataset is created on the portal with thai_gdc fields and its files as links back; unchanged, it is not sent again', async () => {
    const d = await sys(agency, 'package_create', datasetInput('dept-a', { name: 'open-births', title: 'จำนวนการเกิด', resources: [{ name: 'ตาราง', url: 'https://agency.example.go.th/births.csv', format: 'CSV' }] }));
    assert.equal(await drain(agency), 1);
    const remote = await onPortal('open-births');
    assert.equal(remote.success, true);
    assert.equal(remote.result.title, 'จำนวนการเกิด');
    assert.equal(remote.result.organization.name, 'dept-open');
    assert.equal(remote.result.data_category, d.data_category);
    assert.equal(remote.result.objective?.[0], d.objective?.[0]);
    assert.equal(remote.result.resources[0].url, 'https://agency.example.go.th/births.csv');
    const status = (await api(agency, 'opendata_push_status', { id: 'open-births' })).json.result;
    assert.equal(status.state, 'pushed');
    assert.equal(status.remote_url, `${portalUrl}/dataset/open-births`);
    assert.equal(status.error, undefined, 'anonymous callers do not see errors');
    // Nothing changed: a second job sends nothing (the portal's copy keeps its modification time).
    const modified = remote.result.metadata_modified;
    await agency.services.store.db.insertInto('jobs').values({ queue: OPENDATA_QUEUE, payload: JSON.stringify({ dataset_id: d.id }), state: 'queued', attempts: 0, max_attempts: 5, run_at: new Date(), created: new Date() }).execute();
    await drain(agency);
    assert.equal((await onPortal('open-births')).result.metadata_modified, modified);
  });

  it('an edit updates the portal copy; making the dataset private withdraws it there', async () => {
    await sys(agency, 'package_patch', { id: 'open-births', title: 'จำนวนการเกิดรายปี' });
    await drain(agency);
    assert.equal((await onPortal('open-births')).result.title, 'จำนวนการเกิดรายปี');
    await sys(agency, 'package_patch', { id: 'open-births', private: true });
    await drain(agency);
    assert.equal((await onPortal('open-births')).success, false, 'deleted on the portal');
    assert.equal((await api(agency, 'opendata_push_status', { id: 'open-births' }, { token: editorToken })).json.result.state, 'withdrawn');
    // Published again: the portal's copy comes back under the same name.
    await sys(agency, 'package_patch', { id: 'open-births', private: false });
    await drain(agency);
    const back = await agency.services.store.db.selectFrom('opendata_pushes').selectAll().executeTakeFirst();
    assert.equal((await onPortal('open-births')).result?.state, 'active', JSON.stringify(back));
  });

  it("never overwrites another organisation's dataset of the same name; the editor sees why and can send again", async () => {
    const { token: otherToken } = await makeUser(portal, 'other-bot', { org: 'someone-else', role: 'editor' });
    await api(portal, 'package_create', datasetInput('someone-else', { name: 'taken-name', title: 'ของหน่วยงานอื่น' }), { token: otherToken });
    await sys(agency, 'package_create', datasetInput('dept-a', { name: 'taken-name', title: 'ชื่อซ้ำกับพอร์ทัล' }));
    await drain(agency);
    assert.equal((await onPortal('taken-name')).result.title, 'ของหน่วยงานอื่น');
    const status = (await api(agency, 'opendata_push_status', { id: 'taken-name' }, { token: editorToken })).json.result;
    assert.equal(status.state, 'failed');
    assert.match(status.error, /another organisation/);
    const c = new PageClient(agency.app);
    await c.signIn('editor-a', 'correct horse battery');
    const page = await c.get('/dataset/taken-name');
    assert.match(page.body, /ส่งไม่สำเร็จ/);
    assert.match(page.body, /action="\/dataset\/opendata-push\/taken-name"/);
    const anon = await new PageClient(agency.app).get('/dataset/taken-name');
    assert.doesNotMatch(anon.body, /ส่งไม่สำเร็จ|another organisation/, 'the portal error is for editors');
  });

  it('a portal that is down leaves the push failed and retried by the queue; non-open datasets are never sent', async () => {
    // A server that answers 503 stands in for a portal outage.
    const down = http.createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>maintenance</h1>'));
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const env = await testEnv({ openData: { url: `http://127.0.0.1:${(down.address() as AddressInfo).port}`, token: 'x', org: 'dept-open' } });
    try {
      await makeOrg(env, 'dept-b');
      const d = await sys(env, 'package_create', datasetInput('dept-b', { name: 'during-outage' }));
      await assert.rejects(runPush(env.services, { dataset_id: d.id }), /HTTP 503/);
      const row = await env.services.store.db.selectFrom('opendata_pushes').selectAll().where('dataset_id', '=', d.id).executeTakeFirstOrThrow();
      assert.equal(row.state, 'failed');
      await sys(env, 'package_create', datasetInput('dept-b', { name: 'internal-only', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: true }));
      const queued = await env.services.store.db.selectFrom('jobs').select('payload').where('queue', '=', OPENDATA_QUEUE).execute();
      assert.equal(queued.length, 1, 'only the public-category dataset was queued');
    } finally {
      await env.close();
      await new Promise<void>((r) => down.close(() => r()));
    }
  });
});
