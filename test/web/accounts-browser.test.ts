import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'otplib';
import { makeUser, sys, makeOrg, STORE_KIND } from '../helpers.ts';
import { startWorkers, type Workers } from '../../src/jobs/worker.ts';
import { startInbox, type Inbox } from '../mail/inbox.ts';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, signIn, type LiveServer } from './browser.ts';

/**
 * Two account journeys in a real browser: forgot password with the mail read from a real SMTP
 * server on loopback, and an admin deactivating an account while its owner is signed in elsewhere.
 */
describe(`[${STORE_KIND}] account journeys in Chromium`, { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let inbox: Inbox;
  let live: LiveServer;
  let workers: Workers;
  let browser: Browser;

  before(async () => {
    inbox = await startInbox();
    live = await liveServer(() => ({ smtpUrl: inbox.url, mailFrom: 'noreply@catalog.example.go.th' }));
    workers = startWorkers(live.env.services, 100);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await workers?.stop();
    await live?.env.close();
    await inbox?.close();
  });

  async function submit(page: Page, selector: string) {
    await navigation(page, () => page.click(selector));
  }

  it('forgot password: the link from the login page, the mail, the new password, and sign-in with it', async () => {
    await makeUser(live.env, 'malee');
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${live.url}/user/login`);
    await submit(page, 'main a[href="/user/reset"]');
    await page.fill('#field-login', 'malee@example.go.th');
    const from = inbox.messages.length;
    await submit(page, 'main button[type=submit]');
    assert.match((await page.textContent('[role=status]')) ?? '', /หากชื่อผู้ใช้หรืออีเมลนี้มีบัญชีอยู่/);
    const text = await inbox.mailFor('malee@example.go.th', from);
    const link = new RegExp(`${live.url.replace(/[.:/]/g, (c) => `\\${c}`)}/user/reset/[A-Za-z0-9_-]+`).exec(text)?.[0];
    assert.ok(link, `a reset link to this site in the mail: ${text}`);

    await page.goto(link);
    // A weak password is refused beside its field, and nothing changes.
    await page.fill('#field-new_password', 'aaaaaaaaaa');
    await page.fill('#field-confirm', 'aaaaaaaaaa');
    await submit(page, 'main button[type=submit]');
    assert.ok(await page.isVisible('#err-new_password'), 'the strength error is shown beside the field');
    await screenshot(page, 'reset-weak-password');
    await page.fill('#field-new_password', 'ทุเรียนหมอนทองหอมหวาน');
    await page.fill('#field-confirm', 'ทุเรียนหมอนทองหอมหวาน');
    await submit(page, 'main button[type=submit]');
    assert.match(page.url(), /\/user\/login$/);
    assert.match((await page.textContent('main')) ?? '', /ตั้งรหัสผ่านใหม่แล้ว/);

    // The link is spent; the new password signs in.
    const spent = await page.goto(link);
    assert.equal(spent?.status(), 410);
    await signIn(page, live.url, 'malee', 'ทุเรียนหมอนทองหอมหวาน');
    assert.match(page.url(), /\/dashboard$/);
    await screenshot(page, 'reset-signed-in');
  });

  it('deactivation by an admin ends the user\'s open browser session at once, and sign-in is refused', async () => {
    await makeOrg(live.env, 'dept-acc');
    await makeUser(live.env, 'kanda', { org: 'dept-acc', role: 'editor' });
    await makeUser(live.env, 'admin2', { sysadmin: true });

    // The editor is signed in and working in one browser.
    const userPage = await (await browser.newContext()).newPage();
    await signIn(userPage, live.url, 'kanda', 'correct horse battery');
    assert.match(userPage.url(), /\/dashboard$/);

    // The sysadmin (with a second factor, as sysadmins must) deactivates the account in another.
    const adminPage = await (await browser.newContext()).newPage();
    await signIn(adminPage, live.url, 'admin2', 'correct horse battery');
    assert.match(adminPage.url(), /\/user\/2fa\/setup$/);
    const secret = (await adminPage.textContent('#totp-secret'))!.replace(/\s/g, '');
    await adminPage.fill('#field-code', await generate({ secret }));
    await submit(adminPage, 'main button[type=submit]');
    await adminPage.goto(`${live.url}/ckan-admin/users/kanda`);
    await screenshot(adminPage, 'admin-user-edit');
    await submit(adminPage, 'form[action$="/deactivate"] button');
    assert.ok(await adminPage.isVisible('form[action$="/reactivate"] button'), 'the page now offers reactivation');

    // The editor's next page load is anonymous: the session ended in the same transaction.
    await userPage.goto(`${live.url}/dashboard`);
    assert.match(userPage.url(), /\/user\/login/);
    assert.equal(await userPage.locator('header a[href="/user/kanda"]').count(), 0, 'no longer signed in');
    await signIn(userPage, live.url, 'kanda', 'correct horse battery');
    assert.match(userPage.url(), /\/user\/login$/, 'a deactivated account cannot sign in');
    await screenshot(userPage, 'deactivated-sign-in');

    // Reactivated, the same password works again (nothing else was destroyed).
    await submit(adminPage, 'form[action$="/reactivate"] button');
    await signIn(userPage, live.url, 'kanda', 'correct horse battery');
    assert.match(userPage.url(), /\/dashboard$/);
    const rows = await sys(live.env, 'audit_search', { action: 'user_deactivate' });
    assert.ok(JSON.stringify(rows).includes('kanda'), 'the deactivation is in the audit log');
  });
});
