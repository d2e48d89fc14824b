import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'otplib';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, seriousViolations, signIn, type LiveServer } from './browser.ts';
import { PASSWORD, seedCatalog } from './seed.ts';

/**
 * Every page of the portal through axe (WCAG 2.1 A and AA): no serious or critical violation.
 * Screenshots of each page go to test-artifacts/ for a person to look at.
 */
describe('accessibility of every page (axe, Chromium)', { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let live: LiveServer;
  let browser: Browser;
  let resourcePath = '';

  before(async () => {
    live = await liveServer();
    const { open } = await seedCatalog(live.env);
    resourcePath = `/dataset/dengue-cases/resource/${open.id ? (await live.env.services.store.db.selectFrom('resources').select('id').where('dataset_id', '=', open.id).orderBy('position').executeTakeFirstOrThrow()).id : ''}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await live?.env.close();
  });

  async function check(page: Page, path: string, shot: string): Promise<void> {
    const res = await page.goto(live.url + path);
    assert.ok(res, `no response for ${path}`);
    const problems = await seriousViolations(page);
    await screenshot(page, shot);
    assert.deepEqual(problems, [], `${path}: ${JSON.stringify(problems, null, 2)}`);
  }

  it('public pages, in Thai and in English', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const pages: Array<[string, string]> = [
      ['/', 'home'],
      ['/dataset', 'search'],
      [`/dataset?q=${encodeURIComponent('ไข้เลือดออก')}&tags=${encodeURIComponent('สุขภาพ')}`, 'search-thai-filtered'],
      ['/dataset/dengue-cases', 'dataset'],
      ['/dataset/activity/dengue-cases', 'dataset-history'],
      [resourcePath, 'resource-preview'],
      ['/organization', 'organizations'],
      ['/organization/ddc', 'organization'],
      ['/group', 'groups'],
      ['/group/health', 'group'],
      ['/about', 'about'],
      ['/user/login', 'sign-in'],
      ['/no/such/page', 'not-found'],
    ];
    for (const [path, shot] of pages) await check(page, path, shot);
    await page.goto(`${live.url}/lang/en?next=/dataset/dengue-cases`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await check(page, '/dataset/dengue-cases', 'dataset-en');
    await check(page, '/', 'home-en');
    await ctx.close();
  });

  it('an editor\'s pages: the dataset form (with errors), resources, profile and tokens', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, live.url, 'editor1', PASSWORD);
    await check(page, '/dataset/new', 'form-choose-type');
    await check(page, `/dataset/new?data_type=${encodeURIComponent('ข้อมูลสถิติ')}`, 'form-step1');
    await page.fill('#field-title', 'ชุดข้อมูลทดสอบการตรวจความถูกต้อง');
    await page.fill('#field-maintainer_email', 'ไม่ใช่อีเมล');
    await navigation(page, () => page.click('button[name=save][value=next]'));
    const problems = await seriousViolations(page);
    await screenshot(page, 'form-step1-errors');
    assert.deepEqual(problems, []);
    await check(page, '/dataset/resources/dengue-cases', 'form-step2-resources');
    await check(page, '/dataset/edit/dengue-cases', 'form-edit');
    await check(page, '/user/editor1', 'user');
    await check(page, '/user/editor1/api-tokens', 'api-tokens');
    await check(page, `/dataset/${'hospital-survey-micro'}`, 'dataset-shared');
    await ctx.close();
  });

  it('a sysadmin\'s pages: 2FA set-up, recovery codes, administration, members', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, live.url, 'root', PASSWORD);
    assert.match(page.url(), /\/user\/2fa\/setup$/);
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'twofa-setup');
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, '');
    await page.fill('#field-code', await generate({ secret }));
    await navigation(page, () => page.click('main button[type=submit]'));
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'twofa-recovery-codes');
    await check(page, '/ckan-admin', 'admin');
    await check(page, '/ckan-admin/users', 'admin-users');
    await check(page, '/ckan-admin/organization/new', 'admin-org-new');
    await check(page, '/organization/members/ddc', 'admin-members');
    await check(page, '/organization/edit/ddc', 'admin-org-edit');
    await check(page, '/user/2fa', 'twofa-status');
    await check(page, '/user/password', 'password-change');
    await ctx.close();
  });
});
