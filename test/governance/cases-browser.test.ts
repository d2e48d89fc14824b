import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, seriousViolations, signIn, type LiveServer } from '../web/browser.ts';
import { governanceWorld, requestForm } from './cases-fixture.ts';

const PASSWORD = 'correct horse battery';

/**
 * One P2 journey in Chromium against the real server: an analyst of another agency files the
 * request from the form, IT receives it, the owner analyses and approves, the CDO decides, IT
 * records the exchange, and the requester sees the outcome and downloads the evidence letter.
 */
describe('P2 journey in the browser (Chromium)', { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
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
});
