import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'otplib';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, signIn, type LiveServer } from './browser.ts';
import { PASSWORD, seedCatalog } from './seed.ts';

// Code passed to page.evaluate runs in the browser; these names exist there (the project compiles without the DOM library).
declare const document: any;
declare function getComputedStyle(el: unknown): { outlineStyle: string };
type HTMLInputElement = any;
type HTMLSelectElement = any;
type HTMLOptionElement = any;

/** The end-to-end journeys in Debian's Chromium against the real server on 127.0.0.1. */
describe('portal end to end (Chromium)', { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let live: LiveServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(ctx);
    return ctx.newPage();
  }
  const go = (page: Page, p: string) => page.goto(live.url + p);
  const submit = (page: Page, selector: string) => navigation(page, () => page.click(selector));

  before(async () => {
    live = await liveServer();
    await seedCatalog(live.env);
    browser = await launch();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await live?.env.close();
  });

  it('searches in Thai from the home page and opens a result', async () => {
    const page = await newPage();
    await go(page, '/');
    await page.fill('#home-q', 'ไข้เลือดออก');
    await Promise.all([page.waitForURL(/\/dataset\?q=/), page.press('#home-q', 'Enter')]);
    assert.match(await page.textContent('.results-count') ?? '', /พบ 1 ชุดข้อมูล/);
    await screenshot(page, 'e2e-search-thai');
    await Promise.all([page.waitForURL(/\/dataset\/dengue-cases$/), page.click('.dataset-list a >> nth=0')]);
    assert.equal((await page.textContent('h1'))?.trim(), 'จำนวนผู้ป่วยโรคไข้เลือดออกรายจังหวัด');
    await Promise.all([page.waitForURL(/\/resource\//), page.click('.resource-list a:has-text("ดูตัวอย่าง") >> nth=0')]);
    assert.equal(await page.locator('.preview-table tbody tr').count(), 4);
    await screenshot(page, 'e2e-resource-preview');
  });

  it('an anonymous visitor cannot see a private or personal-data dataset, by URL or by search', async () => {
    const page = await newPage();
    const personal = await go(page, '/dataset/hospital-survey-micro');
    assert.equal(personal?.status(), 404);
    const priv = await go(page, '/dataset/internal-budget');
    assert.equal(priv?.status(), 403);
    assert.equal(await page.locator('text=งบประมาณภายใน').count(), 0);
    await go(page, `/dataset?q=${encodeURIComponent('สถานพยาบาล')}`);
    assert.equal(await page.locator('.dataset-list a').count(), 0);
    await go(page, `/dataset?q=${encodeURIComponent('งบประมาณ')}`);
    assert.equal(await page.locator('.dataset-list a').count(), 0);
    await go(page, '/organization/ddc');
    assert.equal(await page.locator('a:has-text("สำรวจสถานพยาบาลเอกชน")').count(), 0);
  });

  it('creates a statistical dataset with two resources through the form and finds it in search', async () => {
    const page = await newPage();
    await signIn(page, live.url, 'editor1', PASSWORD);
    await go(page, '/dataset/new');
    await page.check('input[name=data_type][value="ข้อมูลสถิติ"]');
    await submit(page, '.type-chooser button');
    await page.fill('#field-title', 'อัตราการว่างงานรายไตรมาส');
    await page.fill('#field-name', 'unemployment-quarterly');
    await page.fill('#field-maintainer', 'กลุ่มสถิติแรงงาน');
    await page.fill('#field-maintainer_email', 'labour@ddc.go.th');
    await page.fill('#field-tags', 'ว่างงาน, แรงงาน');
    await page.fill('#field-notes', 'อัตราการว่างงานของประชากรอายุ 15 ปีขึ้นไป รายไตรมาส');
    await page.check('input[name=objective][value="พันธกิจหน่วยงาน"]');
    await page.selectOption('#field-update_frequency_unit', 'ไตรมาส');
    await page.selectOption('#field-geo_coverage', 'ประเทศ');
    await page.fill('#field-data_source', 'การสำรวจภาวะการทำงานของประชากร');
    await page.check('input[name=data_format][value="CSV"]');
    await page.selectOption('#field-data_category', 'ข้อมูลสาธารณะ');
    assert.equal(await page.inputValue('#field-data_classification'), 'เปิดเผย', 'the category chose its only level');
    await page.selectOption('#field-license_id', 'Open Data Common');
    await page.fill('#field-first_year_of_data', '2560');
    await submit(page, 'button[name=save][value=next]');
    assert.match(page.url(), /\/dataset\/resources\/unemployment-quarterly$/);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-e2e-')), 'unemployment.csv');
    fs.writeFileSync(file, 'ไตรมาส,อัตรา\n2567Q1,1.01\n2567Q2,1.07\n');
    await page.setInputFiles('#field-upload', file);
    await page.fill('#field-name', 'อัตราการว่างงาน 2567');
    await submit(page, '.resource-form button[type=submit]');
    await page.check('input[name=source][value=link]');
    assert.equal(await page.isVisible('#field-upload'), false, 'the link panel replaces the upload panel');
    await page.fill('#field-link', 'https://www.nso.go.th/api/unemployment.json');
    await page.fill('#field-name', 'บริการข้อมูล API');
    await page.fill('#field-format', 'JSON');
    await submit(page, '.resource-form button[type=submit]');
    assert.equal(await page.locator('.resource-list .resource-item').count(), 2);
    await screenshot(page, 'e2e-form-step2');
    await submit(page, 'text=เสร็จสิ้นและเผยแพร่');
    assert.match(page.url(), /\/dataset\/unemployment-quarterly$/);
    assert.match(await page.textContent('.flash') ?? '', /เผยแพร่/);

    const anon = await newPage();
    await go(anon, `/dataset?q=${encodeURIComponent('ว่างงาน')}`);
    assert.equal(await anon.locator('.dataset-list a[href="/dataset/unemployment-quarterly"]').count(), 1);
    await go(anon, '/dataset/unemployment-quarterly');
    assert.equal(await anon.locator('.resource-item').count(), 2);
    await screenshot(anon, 'e2e-created-dataset');
  });

  it('shows a validation error beside its field, and the error list takes focus', async () => {
    const page = await newPage();
    await signIn(page, live.url, 'editor1', PASSWORD);
    await go(page, `/dataset/new?data_type=${encodeURIComponent('ข้อมูลสถิติ')}`);
    await page.fill('#field-title', 'ชุดข้อมูลที่อีเมลผิด');
    await page.fill('#field-maintainer_email', 'ไม่ใช่อีเมล');
    await submit(page, 'button[name=save][value=next]');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary');
    const error = page.locator('#err-maintainer_email');
    assert.ok(await error.isVisible());
    assert.match(await error.textContent() ?? '', /รูปแบบอีเมลไม่ถูกต้อง/);
    assert.match(await page.getAttribute('#field-maintainer_email', 'aria-describedby') ?? '', /err-maintainer_email/);
    const gap = await page.evaluate(() => {
      const e = document.getElementById('err-maintainer_email')!.getBoundingClientRect();
      const i = document.getElementById('field-maintainer_email')!.getBoundingClientRect();
      return i.top - e.bottom;
    });
    assert.ok(gap >= 0 && gap < 40, `the message sits right above its input (gap ${gap}px)`);
    await page.click('.error-summary a[href="#field-maintainer_email"]');
    await screenshot(page, 'e2e-validation-error');
  });

  it('the dataset form works with the keyboard alone', async () => {
    const page = await newPage();
    await signIn(page, live.url, 'editor1', PASSWORD);
    await go(page, '/dataset/new');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    // Type chooser: Tab to the radios, arrow to "ข้อมูลสถิติ", Tab to the button, Enter.
    await tabUntil(page, (el) => el.name === 'data_type');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).value), 'ข้อมูลสถิติ');
    await page.keyboard.press('Tab');
    await Promise.all([page.waitForURL(/data_type=/), page.keyboard.press('Enter')]);

    const text: Record<string, string> = {
      title: 'จำนวนนักเรียนรายจังหวัด', name: 'students-by-province', maintainer: 'กลุ่มสารสนเทศ', maintainer_email: 'info@moe.go.th',
      tag_string: 'การศึกษา, นักเรียน', notes: 'จำนวนนักเรียนทุกระดับชั้น จำแนกรายจังหวัด', data_source: 'ระบบสารสนเทศทางการศึกษา',
    };
    const checks: Record<string, string[]> = { objective: ['พันธกิจหน่วยงาน'], data_format: ['CSV'] };
    const selects: Record<string, string> = { update_frequency_unit: 'ปี', geo_coverage: 'จังหวัด', data_category: 'ข้อมูลสาธารณะ', license_id: 'Open Data Common' };
    const seen = new Set<string>();
    let unseenFocus = 0;
    for (let i = 0; i < 400; i++) {
      await page.keyboard.press('Tab');
      const el = await page.evaluate(() => {
        const a = document.activeElement as HTMLInputElement & HTMLSelectElement;
        const style = getComputedStyle(a);
        return { tag: a.tagName, type: a.type, name: a.name, value: a.value, id: a.id, outline: style.outlineStyle, options: a.tagName === 'SELECT' ? [...a.options].map((o) => o.value) : [], selected: a.selectedIndex };
      });
      // Chrome highlights the focused part of a date field itself (its inner fields take the focus).
      if (el.outline === 'none' && el.type !== 'date') unseenFocus++;
      const key = `${el.name}|${el.value}|${el.id}`;
      if (el.tag === 'BUTTON' && el.name === 'save' && el.value === 'next') {
        await Promise.all([page.waitForURL(/\/dataset\/resources\//), page.keyboard.press('Enter')]);
        break;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      if ((el.tag === 'INPUT' || el.tag === 'TEXTAREA') && text[el.name] !== undefined && el.type !== 'checkbox') await page.keyboard.type(text[el.name]!);
      else if (el.type === 'checkbox' && checks[el.name]?.includes(el.value)) await page.keyboard.press('Space');
      else if (el.tag === 'SELECT' && selects[el.name]) {
        const target = el.options.indexOf(selects[el.name]!);
        for (let k = el.selected; k < target; k++) await page.keyboard.press('ArrowDown');
      }
    }
    assert.match(page.url(), /\/dataset\/resources\/students-by-province$/, 'step 1 saved by keyboard');
    assert.equal(unseenFocus, 0, 'every focused control shows a focus outline');
    // Step 2 by keyboard: choose "link", type it, a name and a format, then save.
    await tabUntil(page, (el) => el.name === 'source');
    await page.keyboard.press('ArrowRight');
    await tabUntil(page, (el) => el.name === 'url');
    await page.keyboard.type('https://data.moe.go.th/students.csv');
    await tabUntil(page, (el) => el.name === 'name');
    await page.keyboard.type('นักเรียนรายจังหวัด 2567');
    await tabUntil(page, (el) => el.name === 'format');
    await page.keyboard.type('CSV');
    await tabUntil(page, (el) => el.tag === 'BUTTON' && el.text.includes('บันทึกและเพิ่มทรัพยากร'));
    await navigation(page, () => page.keyboard.press('Enter'));
        assert.equal(await page.locator('.resource-list .resource-item').count(), 1);
    await tabUntil(page, (el) => el.tag === 'BUTTON' && el.text.includes('เสร็จสิ้นและเผยแพร่'));
    await Promise.all([page.waitForURL(/\/dataset\/students-by-province$/), page.keyboard.press('Enter')]);
    const row = await live.env.services.store.db.selectFrom('datasets').select('state').where('name', '=', 'students-by-province').executeTakeFirstOrThrow();
    assert.equal(row.state, 'active');
  });

  it('reveals the "อื่นๆ" text box when อื่นๆ is chosen, and limits levels by category', async () => {
    const page = await newPage();
    await signIn(page, live.url, 'editor1', PASSWORD);
    await go(page, `/dataset/new?data_type=${encodeURIComponent('ข้อมูลสถิติ')}`);
    assert.equal(await page.isVisible('#field-geo_coverage_other'), false);
    await page.selectOption('#field-geo_coverage', 'อื่นๆ');
    assert.equal(await page.isVisible('#field-geo_coverage_other'), true);
    assert.equal(await page.isVisible('#field-objective_other'), false);
    await page.check('input[name=objective][value="อื่นๆ"]');
    assert.equal(await page.isVisible('#field-objective_other'), true);
    await page.selectOption('#field-data_category', 'ข้อมูลส่วนบุคคล');
    const enabled = await page.$$eval('#field-data_classification option:not([disabled])', (os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    assert.deepEqual(enabled, ['ชั้นเผยแพร่ภายในองค์กร', 'ลับ', 'ลับมาก']);
  });

  it('signs in with two factors: set-up with a QR code, recovery codes, then a code at the next sign-in', async () => {
    const page = await newPage();
    await signIn(page, live.url, 'root', PASSWORD);
    assert.match(page.url(), /\/user\/2fa\/setup$/);
    assert.ok(await page.isVisible('img.qr'));
    await screenshot(page, 'e2e-2fa-setup');
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, '');
    await page.fill('#field-code', await generate({ secret }));
    await submit(page, 'main button[type=submit]');
    assert.equal(await page.locator('.recovery-codes li').count(), 10);
    await submit(page, 'text=ดำเนินการต่อ');
    assert.match(page.url(), /\/dashboard$/);
    await submit(page, 'header button:has-text("ออกจากระบบ")');
    await signIn(page, live.url, 'root', PASSWORD);
    assert.match(page.url(), /\/user\/2fa\/verify$/);
    await screenshot(page, 'e2e-2fa-verify');
    await page.fill('#field-code', await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await submit(page, 'main button[type=submit]');
    assert.match(page.url(), /\/dashboard$/);
    assert.ok(await page.isVisible('header a[href="/ckan-admin"]'), 'signed in as sysadmin');
  });
});

interface Focused {
  tag: string;
  name: string;
  text: string;
}

/** Presses Tab until the focused element matches (at most 200 times). */
async function tabUntil(page: Page, match: (el: Focused) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement;
      return { tag: a.tagName, name: a.name ?? '', text: a.textContent ?? '' };
    });
    if (match(el)) return;
  }
  throw new Error('focus never reached the wanted element');
}
