import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'otplib';
import { makeUser, sys, makeOrg, STORE_KIND } from '../helpers.ts';
import { startWorkers, type Workers } from '../../src/jobs/worker.ts';
import { HAVE_CHROMIUM, SKIP_REASON, launch, liveServer, navigation, screenshot, signIn, type LiveServer } from './browser.ts';

/**
 * Two account journeys in a real browser: forgot password with the mail read from a real SMTP
 * server on loopback, and an admin deactivating an account while its owner is signed in elsewhere.
 */
const inbox: Array<{ to: string[]; raw: string }> = [];

function bodyText(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head!)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head!)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

async function mailFor(address: string, from: number): Promise<string> {
  const end = Date.now() + 20_000;
  for (;;) {
    const m = inbox.slice(from).find((x) => x.to.includes(address));
    if (m) return bodyText(m.raw);
    if (Date.now() > end) throw new Error(`no mail for ${address}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`[${STORE_KIND}] account journeys in Chromium`, { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let smtp: SMTPServer;
  let live: LiveServer;
  let workers: Workers;
  let browser: Browser;

  before(async () => {
    smtp = new SMTPServer({
      hideSTARTTLS: true,
      authOptional: true,
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as AddressInfo).port;
    live = await liveServer(() => ({ smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: 'noreply@catalog.example.go.th' }));
    workers = startWorkers(live.env.services, 100);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await workers?.stop();
    await live?.env.close();
    await new Promise<void>((r) => smtp.close(() => r()));
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
    const from = inbox.length;
    await submit(page, 'main button[type=submit]');
    assert.match((await page.textContent('[role=status]')) ?? '', /หากชื่อผู้ใช้หรืออีเมลนี้มีบัญชีอยู่/);
    const text = await mailFor('malee@example.go.th', from);
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
