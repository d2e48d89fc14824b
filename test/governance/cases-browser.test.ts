import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, seriousViolations, signIn, type LiveServer } from '../web/browser.ts';
import { governanceWorld, requestForm } from './cases-fixture.ts';

const PASSWORD = 'correct horse battery';

/**
 * Governance journeys in Chromium against the real server. P2: an analyst of another agency files
 * the request from the form, IT receives it, the owner analyses and approves, the CDO decides, IT
 * records the exchange, and the requester sees the outcome and downloads the evidence letter.
 * The data policy: proposed from the form, approved step by step, read by the public.
 */
describe('governance journeys in the browser (Chromium)', { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let live: LiveServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  before(async () => {
    live = await liveServer();
    await governanceWorld(live.env);
    browser = await launch();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await live?.env.close();
  });

  async function as(name: string): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, live.url, name, PASSWORD);
    return page;
  }

  /** Fills and posts the case page's form for one step. */
  async function take(page: Page, caseUrl: string, transition: string, fields: Record<string, string> = {}) {
    await page.goto(caseUrl);
    const form = page.locator(`form.step-form:has(input[name=transition][value="${transition}"])`).first();
    for (const [k, v] of Object.entries(fields)) {
      const el = form.locator(`[name="${k}"]`);
      if ((await el.evaluate((e: any) => e.tagName)) === 'SELECT') await el.selectOption(v);
      else await el.fill(v);
    }
    await navigation(page, () => form.locator('button[type=submit]').click());
  }

  it('files, receives, analyses, approves, decides, records; the requester sees the outcome and gets the PDF', async () => {
    const req = await as('requester');
    await req.goto(`${live.url}/governance`);
    await navigation(req, () => req.click('a[href="/governance/new/information_request"]'));
    await req.selectOption('#new-organization', 'dopa');
    const f = requestForm();
    for (const [k, v] of Object.entries(f)) {
      const sel = `#new-${k}`;
      if (['requester_kind', 'frequency', 'technology'].includes(k)) await req.selectOption(sel, String(v));
      else await req.fill(sel, Array.isArray(v) ? v.join('\n') : String(v));
    }
    await screenshot(req, 'governance-p2-form');
    assert.deepEqual(await seriousViolations(req), [], 'the request form passes axe (WCAG 2.1 AA, serious and critical)');
    await navigation(req, () => req.click('main form button[type=submit]'));
    const caseUrl = req.url();
    assert.match(caseUrl, /\/governance\/cases\/[0-9a-f-]{36}$/);
    const number = (await req.textContent('h1'))!.match(/REQ-\d{4}-\d{6}/)![0];
    assert.equal(await req.locator('svg.process-diagram g.state.current').getAttribute('data-state'), 'it_check');

    const it = await as('it');
    await it.goto(`${live.url}/governance`);
    assert.ok(await it.locator(`a:has-text("${number}")`).count(), 'IT sees it waiting');
    assert.match((await it.textContent('.nav-account')) ?? '', /แจ้งเตือน\s*1/);
    await take(it, caseUrl, 'approve', { receipt_note: 'เอกสารครบถ้วน' });
    assert.equal(await it.locator('svg.process-diagram g.state.current').getAttribute('data-state'), 'owner_analysis');

    const owner = await as('owner');
    await take(owner, caseUrl, 'analyse', { analysis: 'มีข้อมูลตามที่ขอ', data_available: 'yes', category: 'general', conditions: 'ใช้เพื่อจัดทำสถิติเท่านั้น' });
    await take(owner, caseUrl, 'approve');
    const cdo = await as('cdo');
    await take(cdo, caseUrl, 'approve', { reason: 'เห็นชอบตามที่เจ้าของข้อมูลเสนอ' });
    await take(it, caseUrl, 'record_exchange', { result: 'ส่งไฟล์ CSV ทาง SFTP', delivered_on: '2026-12-01', records_count: '77', method: 'file_transfer' });
    assert.equal(await it.locator('svg.process-diagram g.state.current').getAttribute('data-state'), 'completed');
    await screenshot(it, 'governance-p2-completed');
    assert.deepEqual(await seriousViolations(it), [], 'the case page passes axe');

    await req.goto(`${live.url}/governance/inbox`);
    assert.match((await req.textContent('main')) ?? '', new RegExp(`${number}.*แจ้งผล`));
    await req.goto(caseUrl);
    assert.match((await req.textContent('.state-badge')) ?? '', /ดำเนินการแล้ว แจ้งผู้เกี่ยวข้อง/);
    assert.equal(await req.locator('ol.timeline > li').count(), 6);
    const [download] = await Promise.all([req.waitForEvent('download'), req.click(`a[href$="/letter.pdf"]`)]);
    assert.match(download.suggestedFilename(), /^evidence-REQ-\d{4}-\d{6}\.pdf$/);
    const file = await download.path();
    assert.equal(fs.readFileSync(file!).subarray(0, 5).toString(), '%PDF-');
    await screenshot(req, 'governance-p2-requester');
  });
  it('the data policy from the pages: IT proposes the privacy part, CDO, DPO and committee approve, the public reads it', async () => {
    const it = await as('it');
    await it.goto(`${live.url}/governance/new/data_policy`);
    await it.selectOption('#new-organization', 'moi');
    await it.selectOption('#new-part', 'security_privacy');
    await it.fill('#new-title_th', 'นโยบายคุ้มครองข้อมูลส่วนบุคคล กระทรวงมหาดไทย');
    await it.fill('#new-title_en', 'MOI personal data protection policy');
    await it.fill('#new-body_th', 'ข้อ ๑ ผู้ควบคุมข้อมูลส่วนบุคคลต้องแจ้งวัตถุประสงค์ก่อนเก็บรวบรวม');
    await it.fill('#new-body_en', '1. The controller states the purpose before collecting.');
    assert.deepEqual(await seriousViolations(it), [], 'the policy form passes axe');
    await navigation(it, () => it.click('main form button[type=submit]'));
    const caseUrl = it.url();
    assert.match(caseUrl, /\/governance\/cases\/[0-9a-f-]{36}$/);
    assert.equal(await it.locator('svg.process-diagram g.state.current').getAttribute('data-state'), 'cdo_review');
    // The proposer cannot approve their own draft: no approve form on their page.
    assert.equal(await it.locator('form.step-form:has(input[name=transition][value="approve"])').count(), 0);
    const anon = await browser.newContext();
    contexts.push(anon);
    const visitor = await anon.newPage();
    await visitor.goto(`${live.url}/policy`);
    assert.doesNotMatch((await visitor.textContent('main')) ?? '', /นโยบายคุ้มครองข้อมูลส่วนบุคคล กระทรวงมหาดไทย/, 'a draft is not public');

    await take(await as('cdo'), caseUrl, 'approve');
    const dpo = await as('dpo');
    await take(dpo, caseUrl, 'approve');
    assert.equal(await dpo.locator('svg.process-diagram g.state.current').getAttribute('data-state'), 'committee_review', 'the privacy part goes through the DPO');
    const committee = await as('committee');
    await take(committee, caseUrl, 'approve');
    assert.equal(await committee.locator('svg.process-diagram g.state.current').getAttribute('data-state'), 'published');

    await visitor.goto(`${live.url}/policy`);
    await navigation(visitor, () => visitor.click('a:has-text("นโยบายคุ้มครองข้อมูลส่วนบุคคล กระทรวงมหาดไทย")'));
    assert.match((await visitor.textContent('main')) ?? '', /ผู้ควบคุมข้อมูลส่วนบุคคลต้องแจ้งวัตถุประสงค์ก่อนเก็บรวบรวม/);
    assert.match((await visitor.textContent('main')) ?? '', /The controller states the purpose before collecting\./);
    assert.deepEqual(await seriousViolations(visitor), [], 'the public policy page passes axe');
    await screenshot(visitor, 'governance-policy-public');
  });
});
