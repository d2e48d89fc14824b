import { html, safeHref, type Html } from '../html.ts';
import { formatDateTime } from '../format.ts';
import { call, type PageCtx } from '../context.ts';
import { csrfField } from '../layout.ts';
import { rules } from '../../standard/index.ts';
import { L } from '../pages/governance/common.ts';
import type { PackageDict } from './types.ts';

export interface PushStatus {
  configured: boolean;
  portal_url: string | null;
  state: string | null;
  remote_url: string | null;
  pushed_at: string | null;
  error?: string | null;
}

/** The push state, asked only where a portal is configured and the dataset is of the public category. */
export async function pushStatusFor(p: PageCtx, d: PackageDict): Promise<PushStatus | null> {
  if (!p.services.config.openData || d.data_category !== rules.public_category) return null;
  return call<PushStatus>(p, 'opendata_push_status', { id: String(d.id) });
}

/** Sidebar section: published at the portal (a link), or — for editors — queued / failed with the reason and a retry. */
export function pushSection(p: PageCtx, d: PackageDict, s: PushStatus | null): Html {
  if (!s) return html``;
  const editor = 'error' in s;
  const host = s.portal_url ? new URL(s.portal_url).host : '';
  let body: Html;
  if (s.state === 'pushed' && s.remote_url) body = html`<p>${L(p, 'เผยแพร่ที่', 'Published at')} <a href="${safeHref(s.remote_url)}" rel="noopener">${host}</a>${s.pushed_at ? html` <span class="muted">(${formatDateTime(p.lang, s.pushed_at)})</span>` : ''}</p>`;
  else if (!editor) return html``;
  else if (s.state === 'failed') body = html`<p class="field-error">${L(p, 'ส่งไม่สำเร็จ', 'Push failed')}: ${s.error ?? ''}</p>`;
  else if (s.state === 'withdrawn') body = html`<p>${L(p, 'ถอนออกจากพอร์ทัลแล้ว (ชุดข้อมูลไม่เป็นข้อมูลเปิดแล้ว)', 'Withdrawn from the portal (no longer open data)')}</p>`;
  else body = html`<p>${L(p, 'รอส่งไปยังพอร์ทัลข้อมูลเปิด', 'Waiting to be sent to the open-data portal')} (${host})</p>`;
  return html`<section><h2>${L(p, 'พอร์ทัลข้อมูลเปิด', 'Open-data portal')}</h2>${body}
    ${editor && s.state !== 'pushed' ? html`<form method="post" action="/dataset/opendata-push/${encodeURIComponent(d.name)}">${csrfField(p)}<button type="submit" class="secondary">${L(p, 'ส่งอีกครั้ง', 'Send again')}</button></form>` : ''}</section>`;
}
