import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { as, STORE_KIND } from '../helpers.ts';
import { fixture, agreementInput, type Fixture } from '../governance/agreements-fixture.ts';
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshot } from '../web/browser.ts';
import { startSources, PAID, type Sources } from './sources.ts';

/** A real Chromium with JavaScript off: an official signs in, looks a citizen up and reads each source's answer. */
let f: Fixture;
let src: Sources;
let browser: Browser;
let url = '';

before(async () => {
  if (!HAVE_CHROMIUM) return;
  f = await fixture({ web: true });
  await f.env.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(f.env.app.server.address() as { port: number }).port}`;
  f.env.services.config.siteUrl = url;
  src = await startSources();
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  const rest = (u: string, t: number) => ({ preset: 'rest', url: `${u}/benefit/{citizen_id}`, timeout_ms: t, status_field: 'data.status', statuses: { PAID: 'received' }, on_404: 'not_eligible' });
  await as(f.env, f.people.it, 'lookup_source_create', { name: 'a-good', title_th: 'เบี้ยยังชีพผู้สูงอายุ', title_en: 'Old-age allowance', organization: 'nha', dataset: 'tenants', connector: rest(src.good, 8000) });
  await as(f.env, f.people.it, 'lookup_source_create', { name: 'b-slow', title_th: 'ค่าภัยแล้ง', title_en: 'Drought relief', organization: 'nha', dataset: 'tenants', connector: rest(src.slow, 1500) });
  browser = await launch();
});
after(async () => {
  if (!HAVE_CHROMIUM) return;
  await browser.close();
  await src.close();
  await f.env.close();
});

test(`[${STORE_KIND}] without JavaScript: sign in, look up a citizen, read the answers`, { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: 'th-TH' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(`${url}/user/login`);
  await page.fill('input[name="login"]', 'partner_user');
  await page.fill('input[name="password"]', 'correct horse battery');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/user/login')), page.locator('form[action="/user/login"] button[type="submit"]').click()]);
  await page.goto(`${url}/exchange/lookup`);
  await page.fill('#citizen_id', `${PAID.slice(0, 1)} ${PAID.slice(1, 5)} ${PAID.slice(5, 10)} ${PAID.slice(10, 12)} ${PAID.slice(12)}`);
  await page.selectOption('#purpose', 'welfare_eligibility');
  await page.selectOption('#legal_basis', 'pdpa_24_4');
  await Promise.all([page.waitForURL(`${url}/exchange/lookup`, { waitUntil: 'load' }), page.locator('form[action="/exchange/lookup"] button[type="submit"]').click()]);
  // The page streams: the browser shows answers as they come; the summary table closes it.
  await page.locator('main table tbody tr').nth(1).waitFor();
  const rows = await page.locator('main table tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  assert.match(rows[0]!, /เบี้ยยังชีพผู้สูงอายุ.*รับแล้ว/s);
  assert.match(rows[1]!, /ค่าภัยแล้ง.*ติดต่อแหล่งข้อมูลไม่ได้/s);
  assert.ok(!(await page.content()).includes(PAID));
  await screenshot(page, 'exchange-lookup-answer');
  await ctx.close();
});
