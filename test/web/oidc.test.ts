import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { Provider } from 'oidc-provider';
import { testEnv, type TestEnv } from '../helpers.ts';
import { HAVE_CHROMIUM, SKIP_REASON, freePort, launch, navigation, screenshot } from './browser.ts';

/** A real OpenID Provider (oidc-provider) on loopback, standing in for DGA Digital ID. */
async function startProvider(redirectUri: string, accounts: Record<string, Record<string, unknown>>) {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = { client_id: 'banchi-web', client_secret: 'a-long-secret-for-the-portal-test-client' };
  const provider = new Provider(issuer, {
    clients: [{ ...client, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
    cookies: { keys: ['portal-test-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, sub: string) {
      const claims = accounts[sub];
      return claims ? { accountId: sub, claims: async () => ({ sub, ...claims }) } : undefined;
    },
  });
  server.on('request', provider.callback());
  return { issuer, ...client, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('sign-in with OpenID Connect through the portal (Chromium)', { skip: HAVE_CHROMIUM ? false : SKIP_REASON }, () => {
  let env: TestEnv;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let browser: Browser;
  let base = '';

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startProvider(`${base}/user/login/oidc/callback`, {
      'citizen-0001': { email: 'somchai@dga.or.th', email_verified: true, name: 'สมชาย ใจดี', preferred_username: 'somchai' },
    });
    env = await testEnv({ siteUrl: base, port, oidc: { issuer: provider.issuer, clientId: provider.client_id, clientSecret: provider.client_secret } }, { web: true });
    await env.app.listen({ port, host: '127.0.0.1' });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await env?.close();
    await provider?.close();
  });

  it('goes to the provider and back, and the person is signed in with a new account', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/user/login`);
    await navigation(page, () => page.click('a:has-text("Digital ID")'));
    assert.ok(page.url().startsWith(provider.issuer), `at the provider: ${page.url()}`);
    await page.fill('input[name=login]', 'citizen-0001');
    await page.fill('input[name=password]', 'any');
    await navigation(page, () => page.click('button[type=submit]'));
    // The provider asks for consent once; then it redirects back to the portal.
    if (page.url().startsWith(provider.issuer)) await navigation(page, () => page.click('button[type=submit]'));
    assert.ok(page.url().startsWith(base), `back at the portal: ${page.url()}`);
    assert.match(page.url(), /\/dashboard$/);
    // The new account is the one signed in: its profile is linked from the header by its user name.
    assert.ok(await page.locator('a[href="/user/somchai"]').count() > 0, 'signed in as somchai');
    await navigation(page, () => page.click('a[href="/user/somchai"] >> nth=0'));
    assert.equal((await page.textContent('h1'))?.trim(), 'สมชาย ใจดี');
    await screenshot(page, 'oidc-signed-in');
    const cookies = await ctx.cookies(base);
    assert.ok(cookies.some((c) => c.name === 'banchi_session' && c.httpOnly && c.sameSite === 'Lax'));
    assert.ok(!cookies.some((c) => c.name === 'banchi_oidc'), 'the pending request cookie is gone');
    await ctx.close();
  });

  it('a callback without the pending request (another browser, forged) signs no one in', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/user/login/oidc/callback?code=forged&state=forged`);
    assert.match(page.url(), /\/user\/login$/);
    assert.equal((await ctx.cookies(base)).some((c) => c.name === 'banchi_session'), false);
    await ctx.close();
  });
});
