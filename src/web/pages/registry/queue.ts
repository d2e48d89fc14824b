import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, page, redirect, render, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { timeEl } from '../../format.ts';
import { L, many, q } from './common.ts';
import { NATIONAL_CATEGORIES, STATES } from '../../../registry/actions.ts';

/** NSO side: the reviewer queue with the automatic standard checks, bulk approve / reject, one entry with its timeline and categories. */
export function registryQueueRoutes(app: FastifyInstance, web: Web): void {
  app.get('/registry/queue', page(web, async (p) => {
    const state = q(p, 'state');
    const list = await call<{ count: number; results: Array<Record<string, any>> }>(p, 'registration_list', { ...(state ? { state } : { queue: 'review' }), q: q(p, 'q'), checks: true, limit: 200 });
    const body = html`<h1>${L(p, 'คิวตรวจสอบการลงทะเบียน', 'Registration review queue')}</h1>
      <p><a href="/registry/dashboard">${L(p, 'ภาพรวมการลงทะเบียน', 'Registration dashboard')}</a> · <a href="/registry/catalogs">${L(p, 'บัญชีข้อมูลหน่วยงานที่ลงทะเบียน', 'Registered agency catalogs')}</a></p>
      <form method="get" action="/registry/queue" class="filters">
        <label>${L(p, 'ชื่อชุดข้อมูล', 'Title')} <input name="q" value="${q(p, 'q')}"></label>
        <label>${L(p, 'สถานะ', 'State')} <select name="state"><option value="">${L(p, 'รอท่านดำเนินการ', 'Waiting for me')}</option>${STATES.map((s) => html`<option value="${s}" ${s === state ? 'selected' : ''}>${s}</option>`)}</select></label>
        <button type="submit">${L(p, 'กรอง', 'Filter')}</button>
      </form>
      <form method="post" action="/registry/queue">${csrfField(p)}
      <table class="data">
        <caption>${L(p, `${list.count} รายการ`, `${list.count} entries`)}</caption>
        <thead><tr><th scope="col">${L(p, 'เลือก', 'Pick')}</th><th scope="col">${L(p, 'ชุดข้อมูล', 'Dataset')}</th><th scope="col">${L(p, 'หน่วยงาน', 'Agency')}</th><th scope="col">${L(p, 'สถานะ', 'State')}</th><th scope="col">${L(p, 'การตรวจอัตโนมัติ', 'Automatic checks')}</th><th scope="col">${L(p, 'คะแนนคุณภาพ', 'Quality score')}</th></tr></thead>
        <tbody>${list.results.map((r) => html`<tr>
          <td><input type="checkbox" name="ids" value="${r.id}" aria-label="${r.title}"></td>
          <td><a href="/registry/entry/${encodeURIComponent(r.number)}">${r.title}</a><br><small>${r.number} · ${r.site}</small></td>
          <td>${r.organization.title}<br><small>${r.agency.title}</small></td>
          <td>${r.state_text}<br><small>${r.state} · ${timeEl(p.lang, r.state_changed, true)}</small>${r.reject_reason ? html`<br><small>${L(p, 'เหตุผล', 'Reason')}: ${r.reject_reason}</small>` : ''}</td>
          <td><ul class="checks">${(r.checks ?? []).map((c: any) => html`<li class="${c.ok ? 'ok' : 'fail'}">${c.ok ? '✔' : '✘'} ${c.label}${c.detail.length ? html` <small>(${c.detail.join('; ')})</small>` : ''}</li>`)}</ul></td>
          <td class="quality-score">${r.quality_score === null || r.quality_score === undefined ? '–' : html`<strong>${String(r.quality_score)}</strong>/100`}</td>
        </tr>`)}</tbody>
      </table>
      <p><label>${L(p, 'เหตุผล (จำเป็นเมื่อไม่ผ่าน)', 'Reason (needed to reject)')}<br><textarea name="reason" rows="3" cols="60"></textarea></label></p>
      <p><button type="submit" name="transition" value="approve">${L(p, 'ผ่าน / อนุมัติรายการที่เลือก', 'Approve the ticked entries')}</button>
         <button type="submit" name="transition" value="reject" class="danger">${L(p, 'ไม่ผ่าน ส่งกลับรายการที่เลือก', 'Reject the ticked entries')}</button></p>
      </form>`;
    return render(p, L(p, 'คิวตรวจสอบการลงทะเบียน', 'Registration review queue'), body, { breadcrumbs: [[L(p, 'คิวตรวจสอบ', 'Review queue')]], noindex: true });
  }));

  app.post('/registry/queue', form(web, async (p) => {
    await call(p, 'registration_transition', { ids: many(p.body.ids), transition: String(p.body.transition ?? ''), reason: String(p.body.reason ?? '') });
    return redirect(p, '/registry/queue', 'flash.saved');
  }));

  app.get('/registry/entry/:id', page(web, async (p) => {
    const r = await call<Record<string, any>>(p, 'registration_show', { id: (p.req.params as { id: string }).id });
    const body = html`<h1>${r.title}</h1>
      <dl class="meta">
        <dt>${L(p, 'เลขที่', 'Number')}</dt><dd>${r.number}</dd>
        <dt>${L(p, 'สถานะ', 'State')}</dt><dd>${r.state_text} (${r.state})</dd>
        <dt>${L(p, 'หน่วยงาน', 'Organisation')}</dt><dd>${r.organization.title} · ${r.agency.title}</dd>
        <dt>${L(p, 'บัญชีข้อมูลต้นทาง', 'Source catalog')}</dt><dd>${r.site} · ${r.remote_name}</dd>
        <dt>${L(p, 'สำเนาระดับชาติ', 'National copy')}</dt><dd>${r.published_name ? html`<a href="/dataset/${encodeURIComponent(r.published_name)}">${r.published_name}</a>` : '-'}</dd>
        <dt>${L(p, 'หมวดหมู่ระดับชาติ', 'National categories')}</dt><dd>${r.categories.map((k: string) => NATIONAL_CATEGORIES.find((c) => c.key === k)?.label[p.lang] ?? k).join(', ') || '-'}</dd>
      </dl>
      <h2>${L(p, 'การตรวจอัตโนมัติตามมาตรฐาน', 'Automatic standard checks')}</h2>
      <ul class="checks">${r.checks.map((c: any) => html`<li class="${c.ok ? 'ok' : 'fail'}">${c.ok ? '✔' : '✘'} ${c.label}${c.detail.length ? html` <small>(${c.detail.join('; ')})</small>` : ''}</li>`)}</ul>
      ${r.next.length ? html`<h2>${L(p, 'ดำเนินการ', 'Act')}</h2><form method="post" action="/registry/entry/${encodeURIComponent(r.number)}">${csrfField(p)}
        <p><label>${L(p, 'เหตุผล', 'Reason')}<br><textarea name="reason" rows="3" cols="60"></textarea></label></p>
        <p>${r.next.map((n: any) => html`<button type="submit" name="transition" value="${n.name}">${n.label}</button> `)}</p></form>` : ''}
      <h2>${L(p, 'หมวดหมู่ระดับชาติ', 'National categories')}</h2>
      <form method="post" action="/registry/entry/${encodeURIComponent(r.number)}/categories">${csrfField(p)}
        <fieldset><legend>${L(p, 'สำหรับผู้จัดหมวดหมู่ข้อมูล', 'For the categorizer')}</legend>
        ${NATIONAL_CATEGORIES.map((c) => html`<label><input type="checkbox" name="categories" value="${c.key}" ${r.categories.includes(c.key) ? 'checked' : ''}> ${c.label[p.lang]}</label> `)}</fieldset>
        <button type="submit">${L(p, 'บันทึกหมวดหมู่', 'Save categories')}</button></form>
      <h2>${L(p, 'ลำดับเหตุการณ์', 'Timeline')}</h2>
      <table class="data"><thead><tr><th scope="col">${L(p, 'เมื่อ', 'When')}</th><th scope="col">${L(p, 'ผู้ดำเนินการ', 'By')}</th><th scope="col">${L(p, 'ขั้นตอน', 'Step')}</th><th scope="col">${L(p, 'เหตุผล', 'Reason')}</th></tr></thead>
      <tbody>${r.events.map((e: any) => html`<tr><td>${timeEl(p.lang, e.at, true)}</td><td>${e.actor_name}</td><td>${e.from_state ?? ''} → ${e.to_state}</td><td>${e.reason}</td></tr>`)}</tbody></table>`;
    return render(p, r.title, body, { breadcrumbs: [[L(p, 'คิวตรวจสอบ', 'Review queue'), '/registry/queue'], [r.number]], noindex: true });
  }));

  app.post('/registry/entry/:id', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'registration_transition', { ids: [id], transition: String(p.body.transition ?? ''), reason: String(p.body.reason ?? '') });
    return redirect(p, `/registry/entry/${encodeURIComponent(id)}`, 'flash.saved');
  }));

  app.post('/registry/entry/:id/categories', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'registration_categorize', { id, categories: many(p.body.categories) });
    return redirect(p, `/registry/entry/${encodeURIComponent(id)}`, 'flash.saved');
  }));
}
