import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, seriousViolations, signIn, type LiveServer } from './browser.ts';
import { PASSWORD, seedCatalog } from './seed.ts';
import { sys } from '../helpers.ts';

// Code passed to page.evaluate runs in the browser (the project compiles without the DOM library).
declare const document: any;
declare const window: any;

/**
 * Issue 12 in Chromium: every page at phone widths (390 and 320 px: no sideways page scroll, axe
 * clean, screenshots in test-artifacts/), and the editor journeys (a draft found again on the
 * dashboard, "add dataset" keeping the organisation, every error in one pass, Buddhist-era dates).
 */
describe('phones and editor journeys (Chromium)', { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let live: LiveServer;
  let browser: Browser;
  let resourcePath = '';
  const contexts: BrowserContext[] = [];
  async function newPage(width = 1280, height = 900): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
    contexts.push(ctx);
    return ctx.newPage();
  }
  const submit = (page: Page, selector: string) => navigation(page, () => page.click(selector));

  before(async () => {
    live = await liveServer();
    const { open } = await seedCatalog(live.env);
    const first = await live.env.services.store.db.selectFrom('resources').select('id').where('dataset_id', '=', open.id).orderBy('position').executeTakeFirstOrThrow();
    resourcePath = `/dataset/dengue-cases/resource/${first.id}`;
    // A wide table, as real files are: the page must not scroll sideways because of it.
    const wide = ['ปีงบประมาณ', ...Array.from({ length: 14 }, (_, i) => `จำนวนผู้ป่วยสะสมเดือนที่ ${i + 1}`)].join(',');
    const rows = Array.from({ length: 8 }, (_, r) => [`256${r}`, ...Array.from({ length: 14 }, (_, i) => String((r + 1) * (i + 3) * 101))].join(','));
    const { upload } = await import('./seed.ts');
    await sys(live.env, 'resource_create', { package_id: open.id, name: 'ตารางผู้ป่วยสะสมรายเดือนแบบละเอียด ปีงบประมาณ 2560 ถึง 2567', format: 'CSV', upload: await upload(live.env, 'wide.csv', `${wide}\n${rows.join('\n')}\n`) });
    browser = await launch();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await live?.env.close();
  });

  async function noSidewaysScroll(page: Page, path: string, width: number): Promise<void> {
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(scroll <= inner, `${path} at ${width}px: the page is ${scroll}px wide, the screen ${inner}px`);
  }

  it('every page reads at 390 and 320 px: no sideways page scroll, axe clean, screenshots', async () => {
    const signedIn = await newPage(390, 844);
    await signIn(signedIn, live.url, 'editor1', PASSWORD);
    const pages: Array<[string, string]> = [
      ['/', 'home'],
      ['/dataset', 'search'],
      ['/dataset/dengue-cases', 'dataset'],
      ['/dataset/activity/dengue-cases', 'dataset-history'],
      [resourcePath, 'resource-preview'],
      ['/organization', 'organizations'],
      ['/organization/ddc', 'organization'],
      ['/group', 'groups'],
      ['/user/login', 'sign-in'],
      ['/dashboard', 'dashboard'],
      ['/dataset/new?owner_org=ddc&data_type=' + encodeURIComponent('ข้อมูลสถิติ'), 'dataset-form'],
      ['/dataset/resources/dengue-cases', 'dataset-resources'],
    ];
    const wide = (await live.env.services.store.db.selectFrom('resources').select('id').where('name', 'like', 'ตารางผู้ป่วยสะสม%').executeTakeFirstOrThrow()).id;
    pages.push([`/dataset/dengue-cases/resource/${wide}`, 'resource-preview-wide']);
    for (const width of [390, 320]) {
      await signedIn.setViewportSize({ width, height: 844 });
      for (const [path, shot] of pages) {
        const res = await signedIn.goto(live.url + path);
        assert.ok(res && res.status() < 400, `${path}: ${res?.status()}`);
        await noSidewaysScroll(signedIn, path, width);
        const problems = await seriousViolations(signedIn);
        await screenshot(signedIn, `phone-${width}-${shot}`);
        assert.deepEqual(problems, [], `${path} at ${width}px: ${JSON.stringify(problems, null, 2)}`);
      }
      // Resource titles keep the line to themselves: not squeezed to a word per line beside the buttons.
      await signedIn.goto(`${live.url}/dataset/dengue-cases`);
      const titleWidths: number[] = await signedIn.$$eval('.resource-item h3', (els: any[]) => els.map((e) => e.getBoundingClientRect().width));
      for (const w of titleWidths) assert.ok(w >= width * 0.6, `a resource title is ${w}px wide at ${width}px`);
      // The wide preview scrolls inside its own box.
      await signedIn.goto(`${live.url}/dataset/dengue-cases/resource/${wide}`);
      const box = await signedIn.$eval('.table-scroll', (el: any) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(box.scroll > box.client, 'the table scrolls in its box');
      const align = await signedIn.$eval('.preview-table td.num', (el: any) => window.getComputedStyle(el).textAlign);
      assert.equal(align, 'right');
    }
  });

  it('a draft saved from the form is found again on the dashboard; "add dataset" keeps the organisation; every error shows on the first submit', async () => {
    // Two organisations to choose from, so keeping the chosen one is the form's doing, not a default.
    await sys(live.env, 'organization_member_create', { id: 'moph', username: 'editor1', role: 'editor' });
    const page = await newPage(390, 844);
    await signIn(page, live.url, 'editor1', PASSWORD);
    await page.goto(`${live.url}/dataset`);
    await submit(page, '.add-dataset a');
    assert.match(page.url(), /\/dataset\/new$/);
    // From the organisation page, the organisation survives the data-type step.
    await page.goto(`${live.url}/dataset/new?owner_org=moph`);
    await page.check('input[name=data_type][value="ข้อมูลสถิติ"]');
    await submit(page, '.type-chooser button');
    assert.match(page.url(), /owner_org=moph/);
    assert.equal(await page.$eval('#field-owner_org', (el: any) => el.value), 'moph');
    // Submitting with the organisation unset and the rest empty: every error at once, with a summary linking each.
    await page.selectOption('#field-owner_org', '');
    await page.fill('#field-title', 'ร่างข้อมูลจากโทรศัพท์');
    await page.fill('#field-last_updated_date', '31/02/2567');
    await submit(page, 'button[name=save][value=next]');
    const items: string[] = await page.$$eval('#error-summary li a', (els: any[]) => els.map((e) => e.getAttribute('href')));
    assert.ok(items.includes('#field-owner_org'), items.join(' '));
    assert.ok(items.includes('#field-last_updated_date'), items.join(' '));
    assert.ok(items.length > 5, items.join(' '));
    for (const href of items) assert.ok(await page.$(href), `${href} is on the page`);
    assert.match(await page.textContent('#err-last_updated_date') ?? '', /กุมภาพันธ์ 2567 มี 29 วัน/);
    await screenshot(page, 'phone-390-form-errors');
    // Fix the organisation and the date, save a draft, and find it on the dashboard.
    await page.selectOption('#field-owner_org', 'ddc');
    await page.fill('#field-name', 'phone-draft');
    await page.fill('#field-last_updated_date', '15/01/2568');
    await submit(page, 'button[name=save][value=draft]');
    const stored = await sys(live.env, 'package_show', { id: 'phone-draft' });
    assert.equal(stored.state, 'draft');
    assert.equal(stored.last_updated_date, '2025-01-15');
    assert.equal(await page.$eval('#field-last_updated_date', (el: any) => el.value), '15/01/2568');
    await page.goto(`${live.url}/dashboard`);
    await screenshot(page, 'phone-390-dashboard-draft');
    await submit(page, 'text=ร่างข้อมูลจากโทรศัพท์');
    assert.match(page.url(), /\/dataset\/edit\/phone-draft$/);
  });
});
