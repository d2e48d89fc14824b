import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { datasetWithDictionary, governanceWorld, requestForm, step, type Gov } from './cases-fixture.ts';

const PASSWORD = 'correct horse battery';

/** "Submit for publication" on the dataset page with its P1 state; evidence letters counted and linked in the KPI report. */
describe(`[${STORE_KIND}] P1 on the dataset page, letters in the KPI report`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv({}, { web: true });
    g = await governanceWorld(env);
  });
  after(() => env.close());

  async function client(name: string) {
    const c = new PageClient(env.app);
    assert.equal((await c.signIn(name, PASSWORD)).statusCode, 303);
    return c;
  }

  it('the creator sees "submit for publication" when the dataset may enter P1, then the case and its state', async () => {
    const d = await datasetWithDictionary(env);
    const bare = await datasetWithDictionary(env, {}, false);
    const creator = await client('creator');
    let page = await creator.get(`/dataset/${d.name}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`href="/governance/new/publication\\?dataset=${d.name}">ส่งขออนุมัติเผยแพร่`));
    // Without a data dictionary: no button, the reason instead.
    const noDict = await creator.get(`/dataset/${bare.name}`);
    assert.doesNotMatch(noDict.body, /\/governance\/new\/publication\?dataset=/);
    assert.match(noDict.body, /ต้องมีพจนานุกรมข้อมูล/);
    // Nobody else gets the button: a plain colleague with no duty, or an anonymous reader (no box at all).
    assert.doesNotMatch((await (await client('stranger')).get(`/dataset/${d.name}`)).body, /publication-box/);
    assert.doesNotMatch((await new PageClient(env.app).get(`/dataset/${d.name}`)).body, /publication-box/);

    const status = await as(env, g.actors.creator!, 'publication_status', { id: d.id });
    assert.deepEqual([status.may_submit, status.case], [true, null]);
    const c = await as(env, g.actors.creator!, 'case_create', { process: 'publication', dataset: d.id, inputs: { audience: 'external' } });
    page = await creator.get(`/dataset/${d.name}`);
    assert.match(page.body, new RegExp(`<a href="/governance/cases/${c.id}">${c.number}</a>: <span class="state-badge">`));
    assert.doesNotMatch(page.body, /\/governance\/new\/publication\?dataset=/);
    const after = await as(env, g.actors.creator!, 'publication_status', { id: d.id });
    assert.equal(after.may_submit, false);
    assert.equal(after.case.state, 'owner_review');
  });

  it('letters issued are counted and linked from the KPI report (JSON, CSV, page)', async () => {
    const c = await as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm() });
    await step(env, g.actors.it!, c.id, 'approve');
    await step(env, g.actors.owner!, c.id, 'analyse', { inputs: { analysis: 'มีข้อมูลครบ', data_available: 'yes', category: 'general' } });
    await step(env, g.actors.owner!, c.id, 'approve');
    await step(env, g.actors.cdo!, c.id, 'approve');
    await step(env, g.actors.it!, c.id, 'record_exchange', { inputs: { result: 'ส่งไฟล์แล้ว', delivered_on: '2026-12-01', records_count: 77, method: 'file_transfer' } });
    let r = await as(env, g.actors.cdo!, 'kpi_report', {});
    assert.deepEqual([r.evidence_letters.issued, r.evidence_letters.downloads], [1, 0]);
    await as(env, g.actors.requester!, 'evidence_letter_show', { id: c.id });
    r = await as(env, g.actors.cdo!, 'kpi_report', {});
    assert.deepEqual([r.evidence_letters.issued, r.evidence_letters.downloads, r.evidence_letters.letters[0].number], [1, 1, c.number]);
    const csv = await as(env, g.actors.cdo!, 'kpi_report', { format: 'csv' });
    assert.match(csv.csv, /evidence_letters,all,issued,หนังสือหลักฐานการเปิดเผยข้อมูลที่ออก,Evidence letters issued,1/);
    const cdo = await client('cdo');
    const page = await cdo.get('/governance/kpi');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`href="/governance/cases/${c.id}/letter.pdf"`));
    assert.match(page.body, /ออกแล้ว 1 ฉบับ · ดาวน์โหลด 1 ครั้ง/);
  });
});
