import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { governanceWorld, requestForm, step, type Gov } from './cases-fixture.ts';

const PASSWORD = 'correct horse battery';

/** Pages of P7 and the data policy, without JavaScript: the forms, a unit's reply, the public policy page. */
describe(`[${STORE_KIND}] policy and annual review pages`, () => {
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

  it('IT sends the memo from the form; the unit replies from its page; the case page lists the replies', async () => {
    const it = await client('it');
    await it.get('/governance/new/annual_review');
    const bad = await it.post('/governance/new/annual_review', { organization: 'moi', review_year: '2569' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /class="field-error"/);
    await it.get('/governance/new/annual_review');
    const ok = await it.post('/governance/new/annual_review', { organization: 'moi', review_year: '2569', memo: 'ขอให้หน่วยงานแจ้งความต้องการเชื่อมโยงข้อมูล', reply_by: '2026-12-31' });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
    const caseUrl = ok.headers.location as string;
    const id = caseUrl.split('/').pop()!;

    const owner = await client('owner');
    const newForm = await it.get('/governance/new/annual_review');
    assert.match(newForm.body, /href="\/policy\?kind=integration_manual">คู่มือการบูรณาการเชื่อมโยงข้อมูลและการดำเนินงานร่วมกัน</);
    const form = await owner.get(`/governance/reviews/${id}/reply/dopa`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /ขอให้หน่วยงานแจ้งความต้องการเชื่อมโยงข้อมูล/);
    const empty = await owner.post(`/governance/reviews/${id}/reply/dopa`, { needs: '', linkage_review: '' });
    assert.equal(empty.statusCode, 400);
    await owner.get(`/governance/reviews/${id}/reply/dopa`);
    const sent = await owner.post(`/governance/reviews/${id}/reply/dopa`, { needs: 'ต้องการข้อมูลที่ดินรายเดือน', linkage_review: 'การเชื่อมโยงเดิมยังจำเป็น' });
    assert.equal(sent.statusCode, 200);
    assert.match(sent.body, /บันทึกคำตอบแล้ว/);
    const stranger = await client('stranger');
    assert.equal((await stranger.get(`/governance/reviews/${id}/reply/dopa`)).statusCode, 404);

    const page = await it.get(caseUrl);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /คำตอบของหน่วยงาน<\/h2>|คำตอบของหน่วยงาน \(1\/1\)/);
    assert.match(page.body, /ต้องการข้อมูลที่ดินรายเดือน/);
    assert.match(page.body, /class="state current[^"]*" data-state="collecting"/);
  });

  it('the public page shows published versions only, with history; the office page lists drafts', async () => {
    const c = await as(env, g.actors.it!, 'case_create', { process: 'data_policy', organization: 'moi', inputs: { part: 'exchange', title_th: 'นโยบายการแลกเปลี่ยนข้อมูล กระทรวงมหาดไทย', title_en: 'MOI data exchange policy', body_th: 'ข้อ ๑ การแลกเปลี่ยนข้อมูลต้องมีข้อตกลง', body_en: '1. Every exchange needs an agreement.' } });
    const anon = new PageClient(env.app);
    assert.doesNotMatch((await anon.get('/policy')).body, /นโยบายการแลกเปลี่ยนข้อมูล กระทรวงมหาดไทย/);
    assert.equal((await anon.get(`/policy/${c.document.id}`)).statusCode, 404);
    const cdo = await client('cdo');
    const office = await cdo.get('/governance/policy');
    assert.match(office.body, /นโยบายการแลกเปลี่ยนข้อมูล กระทรวงมหาดไทย/);
    assert.match(office.body, /ร่าง \(อยู่ระหว่างอนุมัติ\)/);
    await step(env, g.actors.cdo!, c.id, 'approve');
    await step(env, g.actors.committee!, c.id, 'approve');
    assert.doesNotMatch((await anon.get('/policy?kind=quality')).body, new RegExp(c.document.id));
    const list = await anon.get('/policy?kind=exchange');
    assert.match(list.body, new RegExp(`href="/policy/${c.document.id}">นโยบายการแลกเปลี่ยนข้อมูล กระทรวงมหาดไทย`));
    const doc = await anon.get(`/policy/${c.document.id}`);
    assert.equal(doc.statusCode, 200);
    assert.match(doc.body, /ข้อ ๑ การแลกเปลี่ยนข้อมูลต้องมีข้อตกลง/);
    assert.match(doc.body, /1\. Every exchange needs an agreement\./);
    assert.match(doc.body, /ประวัติฉบับ/);
    assert.doesNotMatch(doc.body, /\/governance\/cases\//, 'the public does not get the case link');
    // A P2 case of the agency links the exchange policy it applies.
    const req = await as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm() });
    const requester = await client('requester');
    const page = await requester.get(`/governance/cases/${req.id}`);
    assert.match(page.body, new RegExp(`นโยบายที่ใช้: <a href="/policy/${c.document.id}">`));
  });
});
