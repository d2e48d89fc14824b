import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { Config } from '../../src/config.ts';
import { testEnv, type TestEnv } from '../helpers.ts';

/** Debian's Chromium; the browser tests never download one. */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
export const SKIP_REASON = `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser tests`;
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface LiveServer {
  env: TestEnv;
  url: string;
}

/** The real app (PGlite or PostgreSQL, as the test run chooses) listening on 127.0.0.1 at a free port. */
export async function liveServer(overrides: (url: string) => Partial<Config> = () => ({})): Promise<LiveServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = await testEnv({ siteUrl: url, port, ...overrides(url) }, { web: true });
  await env.app.listen({ port, host: '127.0.0.1' });
  return { env, url };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** WCAG 2.1 A/AA rules; returns the serious and critical violations only. */
export async function seriousViolations(page: Page): Promise<AxeProblem[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}

/** Signs in through the page, with username and password only (for users without 2FA). */
export async function signIn(page: Page, base: string, login: string, password: string): Promise<void> {
  await page.goto(`${base}/user/login`);
  await page.fill('#field-login', login);
  await page.fill('#field-password', password);
  await navigation(page, () => page.click('main button[type=submit]'));
}

/** Runs an action that loads a new document (a link, a form post and its redirect) and waits for it. */
export async function navigation(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated', (f) => f === page.mainFrame()), action()]);
  await page.waitForLoadState('load');
}
