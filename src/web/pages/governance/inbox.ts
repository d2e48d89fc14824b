import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import { timeEl } from '../../format.ts';
import { safeHref } from '../../html.ts';
import { cssLink, L } from './common.ts';

async function inboxPage(p: PageCtx) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const r = await call<{ unread: number; results: any[] }>(p, 'notification_list', { limit: 200 });
  const local = (u: string) => safeHref(u.replace(p.services.config.siteUrl, '') || '/');
  const body = html`${cssLink()}<h1>${L(p, 'กล่องแจ้งเตือน', 'Inbox')}</h1>
    <p>${L(p, `ยังไม่ได้อ่าน ${r.unread} รายการ`, `${r.unread} unread`)}</p>
    ${r.unread ? html`<form method="post" action="/governance/inbox/read">${csrfField(p)}<input type="hidden" name="all" value="true"><button type="submit" class="secondary">${L(p, 'ทำเครื่องหมายว่าอ่านแล้วทั้งหมด', 'Mark all read')}</button></form>` : ''}
    ${r.results.length ? html`<ul class="inbox">${r.results.map((n) => html`<li class="${n.read ? '' : 'unread'}">
        <a href="${local(n.url)}">${n.title}</a> · ${timeEl(p.lang, n.created + 'Z', true)}
        ${n.read ? '' : html`<form method="post" action="/governance/inbox/read" class="inline">${csrfField(p)}<input type="hidden" name="id" value="${n.id}"><button type="submit" class="link">${L(p, 'อ่านแล้ว', 'Mark read')}</button></form>`}</li>`)}</ul>`
      : html`<p>${L(p, 'ไม่มีการแจ้งเตือน', 'Nothing here yet')}</p>`}`;
  return render(p, L(p, 'กล่องแจ้งเตือน', 'Inbox'), body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [L(p, 'กล่องแจ้งเตือน', 'Inbox')]], noindex: true });
}

async function markRead(p: PageCtx) {
  if (!signedIn(p)) return errorPage(p, 403);
  await call(p, 'notification_mark_read', p.body.all === 'true' ? { all: true } : { id: String(p.body.id ?? '') });
  return redirect(p, '/governance/inbox');
}

export function inboxRoutes(scope: FastifyInstance, web: Web): void {
  scope.get('/governance/inbox', page(web, inboxPage));
  scope.post('/governance/inbox/read', form(web, markRead));
}
