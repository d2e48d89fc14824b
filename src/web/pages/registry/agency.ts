import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { timeEl } from '../../format.ts';
import { currentStandard } from '../../../standard/index.ts';
import { STATES } from '../../../registry/actions.ts';
import { L, many, q } from './common.ts';

/** Agency side (P8): the registration officer pulls the catalog's datasets, filters, ticks and registers / revokes / updates. */
export function registryAgencyRoutes(app: FastifyInstance, web: Web): void {
  app.get('/registry/agency', page(web, async (p) => {
    const filters = { q: q(p, 'q'), data_type: q(p, 'data_type'), status: q(p, 'status'), access: q(p, 'access'), tags: q(p, 'tags') };
    const list = await call<{ results: Array<Record<string, any>>; registry: string }>(p, 'registry_agency_list', filters);
    const title = L(p, 'ลงทะเบียนบัญชีข้อมูลภาครัฐ', 'Register with the national catalog');
    const sel = (name: string, options: Array<[string, string]>) => html`<select name="${name}"><option value="">${L(p, 'ทั้งหมด', 'All')}</option>${options.map(([v, t]) => html`<option value="${v}" ${(filters as Record<string, string>)[name] === v ? 'selected' : ''}>${t}</option>`)}</select>`;
    const body = html`<h1>${title}</h1>
      <p>${L(p, 'ระบบลงทะเบียน', 'Registry')}: ${list.registry || L(p, 'ยังไม่ได้ตั้งค่า', 'not set')}</p>
      <form method="post" action="/registry/agency">${csrfField(p)}<button type="submit" name="op" value="pull">${L(p, 'ดึงชุดข้อมูล', 'Pull the datasets')}</button></form>
      <form method="get" action="/registry/agency" class="filters">
        <label>${L(p, 'ชื่อชุดข้อมูล', 'Title')} <input name="q" value="${filters.q}"></label>
        <label>${L(p, 'ประเภทข้อมูล', 'Data type')} ${sel('data_type', currentStandard().file.data_types.map((t) => [t.value, t.value]))}</label>
        <label>${L(p, 'สถานะ', 'Status')} ${sel('status', [['NONE', L(p, 'ยังไม่ได้ลงทะเบียน', 'Not registered')], ...STATES.map((s) => [s, s] as [string, string])])}</label>
        <label>${L(p, 'การเข้าถึง', 'Access')} ${sel('access', [['PUBLIC', 'PUBLIC'], ['PRIVATE', 'PRIVATE']])}</label>
        <label>${L(p, 'คำสำคัญ', 'Tag')} <input name="tags" value="${filters.tags}"></label>
        <button type="submit">${L(p, 'กรอง', 'Filter')}</button>
      </form>
      <form method="post" action="/registry/agency">${csrfField(p)}
      <table class="data">
        <caption>${L(p, `${list.results.length} ชุดข้อมูล`, `${list.results.length} datasets`)}</caption>
        <thead><tr><th scope="col">${L(p, 'เลือก', 'Pick')}</th><th scope="col">${L(p, 'ชื่อชุดข้อมูล', 'Title')}</th><th scope="col">${L(p, 'หน่วยงานเจ้าของ', 'Owner unit')}</th><th scope="col">${L(p, 'แหล่งที่มา', 'Source')}</th><th scope="col">${L(p, 'ประเภทข้อมูล', 'Data type')}</th><th scope="col">${L(p, 'การเข้าถึง', 'Access')}</th><th scope="col">${L(p, 'ปรับปรุงเมื่อ', 'Updated at')}</th><th scope="col">${L(p, 'สถานะเปลี่ยนเมื่อ', 'Status changed at')}</th><th scope="col">${L(p, 'สถานะ', 'Status')}</th></tr></thead>
        <tbody>${list.results.map((r) => html`<tr>
          <td><input type="checkbox" name="ids" value="${r.id}" aria-label="${r.title}"></td>
          <td><a href="/dataset/${encodeURIComponent(r.name)}">${r.title}</a></td>
          <td>${r.owner_unit}</td><td><small>${r.source}</small></td><td>${r.data_type}</td><td>${r.access}</td>
          <td>${timeEl(p.lang, r.updated_at, true)}</td><td>${r.status_changed_at ? timeEl(p.lang, r.status_changed_at, true) : '-'}</td>
          <td>${r.status_text}${r.reject_reason ? html`<br><small>${L(p, 'เหตุผล', 'Reason')}: ${r.reject_reason}</small>` : ''}</td>
        </tr>`)}</tbody>
      </table>
      <p><button type="submit" name="op" value="register">${L(p, 'ลงทะเบียน', 'Register')}</button>
        <button type="submit" name="op" value="update">${L(p, 'ปรับปรุง (ส่งการแก้ไข)', 'Update (send the changes)')}</button>
        <button type="submit" name="op" value="revoke" class="danger">${L(p, 'ขอเพิกถอน', 'Request revocation')}</button></p>
      </form>`;
    return render(p, title, body, { breadcrumbs: [[title]], noindex: true });
  }));

  app.post('/registry/agency', form(web, async (p) => {
    await call(p, 'registry_agency_submit', { op: String(p.body.op ?? ''), ids: many(p.body.ids) });
    return redirect(p, '/registry/agency', 'flash.saved');
  }));
}

/** The national state on an agency's dataset page (nothing when no registry is configured). */
export async function registryPanel(p: PageCtx, d: Record<string, unknown>): Promise<Html> {
  if (!p.services.config.registryUrl || p.services.config.siteKind === 'registry') return html``;
  let s: Record<string, any>;
  try {
    s = await call<Record<string, any>>(p, 'registry_status_show', { id: d.id as string });
  } catch {
    return html`<section class="notice" aria-label="GD Catalog"><p>${L(p, 'สถานะบัญชีข้อมูลภาครัฐ: ตรวจสอบไม่ได้ในขณะนี้', 'National catalog state: cannot be checked now')}</p></section>`;
  }
  if (!s.configured || !s.consent || !s.state) return html``;
  return html`<section class="notice" aria-label="GD Catalog" id="gdc-state"><p>${L(p, 'สถานะบัญชีข้อมูลภาครัฐ', 'National catalog state')}: <strong>${s.state_text}</strong>
    ${s.registered_at ? html` (${timeEl(p.lang, s.registered_at)})` : ''}
    ${s.national_url ? html` <a href="${s.national_url}">${L(p, 'ดูที่บัญชีข้อมูลภาครัฐ', 'See it in the national catalog')}</a>` : ''}</p></section>`;
}
