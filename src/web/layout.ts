import type { FastifyReply } from 'fastify';
import { html, type Html } from './html.ts';
import type { PageCtx } from './context.ts';
import { CSRF_FIELD } from './csrf.ts';
import type { MessageKey } from './i18n/index.ts';
import { th } from './i18n/th.ts';

export interface LayoutOptions {
  /** Trail above the title; the last entry is the current page (no link). */
  breadcrumbs?: Array<[string, string?]>;
  /** Extra class on <main> (e.g. a two-column page). */
  mainClass?: string;
  /** Set when the page should not be indexed (forms, admin). */
  noindex?: boolean;
}

/** Static assets carry a version so browsers may cache them for long. */
export const ASSET_VERSION = '2';

/** The configured site title; the default Thai one is translated on English pages. */
export function siteName(p: PageCtx): string {
  const configured = p.services.config.siteTitle;
  return !configured || (configured === th['site.title'] && p.lang === 'en') ? p.t('site.title') : configured;
}

export function csrfField(p: PageCtx): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${p.csrf}">`;
}

function currentPath(p: PageCtx): string {
  const url = p.req.url;
  // Drop ?lang= so the switch does not fight the cookie it sets.
  return url.replace(/([?&])lang=[^&]*&?/, '$1').replace(/[?&]$/, '');
}

function userMenu(p: PageCtx): Html {
  const { t } = p;
  const pending = p.req.webSession?.state === 'pending' ? p.req.webSession : null;
  if (p.actor.kind !== 'user' && pending) {
    // Mid-sign-in (password accepted, a step left): say where the person is, not "sign in".
    const step = pending.step === 'totp' ? 'nav.step_totp' : pending.step === 'totp_setup' ? 'nav.step_totp_setup' : 'nav.step_change_password';
    return html`<li><span class="signing-in">${t('nav.signing_in', { name: pending.user.name })} · ${t(step)}</span></li>
    <li><form method="post" action="/user/logout" class="inline">${csrfField(p)}<button type="submit" class="link">${t('nav.signin_cancel')}</button></form></li>`;
  }
  if (p.actor.kind !== 'user') {
    return html`<li><a href="/user/login"${p.req.url.startsWith('/user/login') ? html` aria-current="page"` : ''}>${t('nav.signin')}</a></li>`;
  }
  const u = p.actor.user;
  const lang = p.lang;
  return html`
    ${u.sysadmin ? html`<li><a href="/ckan-admin">${t('nav.admin')}</a></li>` : ''}
    <li><a href="/dashboard">${t('nav.dashboard')}</a></li>
    <li><a href="/governance/inbox">${lang === 'en' ? 'Inbox' : 'แจ้งเตือน'}${p.req.inboxUnread ? html` <span class="badge" aria-label="${lang === 'en' ? `${p.req.inboxUnread} unread` : `ยังไม่อ่าน ${p.req.inboxUnread}`}">${p.req.inboxUnread}</span>` : ''}</a></li>
    <li><a href="/user/${encodeURIComponent(u.name)}" aria-label="${t('nav.profile', { name: u.name })}">${u.name}</a></li>
    <li><form method="post" action="/user/logout" class="inline">${csrfField(p)}<button type="submit" class="link">${t('nav.signout')}</button></form></li>`;
}

function breadcrumbs(p: PageCtx, items: Array<[string, string?]>): Html {
  if (!items.length) return html``;
  const all: Array<[string, string?]> = [[p.t('nav.home'), '/'], ...items];
  return html`<nav aria-label="${p.t('nav.breadcrumb')}" class="breadcrumb"><ol>${all.map(([label, href], i) =>
    i === all.length - 1 || !href ? html`<li><span aria-current="page">${label}</span></li>` : html`<li><a href="${href}">${label}</a></li>`,
  )}</ol></nav>`;
}

/** The one page shell: skip link, language, landmarks, navigation, flash message, footer. */
/** Registration (issue 8): the NSO queue on a registry, the officer's page on an agency site with a registry. */
function registryNav(p: PageCtx, path: string): Html | string {
  if (p.actor.kind !== 'user') return '';
  const cfg = p.services.config;
  const href = cfg.siteKind === 'registry' ? '/registry/queue' : cfg.registryUrl ? '/registry/agency' : '';
  if (!href) return '';
  return html`<li><a href="${href}"${path.startsWith('/registry/') ? html` aria-current="page"` : ''}>${p.lang === 'en' ? 'Registration' : 'ลงทะเบียน'}</a></li>`;
}

export function layout(p: PageCtx, title: string, body: Html, opts: LayoutOptions = {}): Html {
  const { t, lang } = p;
  const other = lang === 'th' ? 'en' : 'th';
  const site = siteName(p);
  const path = p.req.url.split('?')[0]!;
  const navLink = (href: string, key: MessageKey) =>
    html`<li><a href="${href}"${path === href || path.startsWith(href + '/') ? html` aria-current="page"` : ''}>${t(key)}</a></li>`;
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title ? `${title} — ${site}` : site}</title>
${opts.noindex ? html`<meta name="robots" content="noindex">` : ''}
<link rel="icon" href="/favicon.ico" sizes="32x32">
<link rel="icon" href="/static/favicon.svg?v=${ASSET_VERSION}" type="image/svg+xml">
<link rel="stylesheet" href="/static/portal.css?v=${ASSET_VERSION}">
<script src="/static/portal.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">${t('site.skip')}</a>
<header class="site-header">
  <div class="wrap header-row">
    <a class="brand" href="/"><span class="brand-mark" aria-hidden="true">บ</span><span>${site}</span></a>
    <nav aria-label="${t('nav.main')}">
      <ul class="nav">
        ${navLink('/dataset', 'nav.datasets')}
        ${navLink('/organization', 'nav.organizations')}
        ${navLink('/group', 'nav.groups')}
        ${p.actor.kind === 'user' ? html`<li><a href="/governance"${path === '/governance' || path.startsWith('/governance/') ? html` aria-current="page"` : ''}>${lang === 'en' ? 'Governance' : 'ธรรมาภิบาลข้อมูล'}</a></li>` : ''}
        ${registryNav(p, path)}
        ${navLink('/about', 'nav.about')}
      </ul>
    </nav>
    <nav aria-label="${t('nav.account')}">
      <ul class="nav nav-account">
        ${userMenu(p)}
        <li><a href="/lang/${other}?next=${encodeURIComponent(currentPath(p))}" lang="${other}" hreflang="${other}">${t('nav.language')}</a></li>
      </ul>
    </nav>
  </div>
</header>
<main id="main" tabindex="-1" class="wrap ${opts.mainClass ?? ''}">
${breadcrumbs(p, opts.breadcrumbs ?? [])}
${p.flash ? html`<div class="flash" role="status">${t(p.flash)}</div>` : ''}
${body}
</main>
<footer class="site-footer">
  <div class="wrap">
    <p>${site} · ${t('footer.powered')}</p>
    <ul class="nav">
      <li><a href="/api/3">${t('footer.api')}</a></li>
      <li><a href="/api/openapi.json">OpenAPI</a></li>
      <li><a href="/about">${t('nav.about')}</a></li>
    </ul>
  </div>
</footer>
</body>
</html>`;
}

const ERROR_KEYS: Record<number, MessageKey> = {
  400: 'error.badrequest',
  403: 'error.forbidden',
  404: 'error.notfound',
  413: 'error.toolarge',
  429: 'error.toomany',
  500: 'error.server',
};

export function errorPage(p: PageCtx, status: number, detail?: string): FastifyReply {
  const { t } = p;
  const title = t(ERROR_KEYS[status] ?? 'error.server');
  const signIn = status === 403 && p.actor.kind !== 'user';
  const body = html`<div class="error-page">
    <h1>${title}</h1>
    ${detail ? html`<p>${detail}</p>` : html`<p>${t(`${ERROR_KEYS[status] ?? 'error.server'}.help` as MessageKey)}</p>`}
    ${signIn ? html`<p><a class="button" href="/user/login?came_from=${encodeURIComponent(p.req.url)}">${t('nav.signin')}</a></p>` : ''}
    <p><a href="/">${t('error.home')}</a> · <a href="/dataset">${t('error.search')}</a></p>
  </div>`;
  return p.reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(layout(p, title, body).value);
}
