import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import type { FieldErrors } from '../../../actions/errors.ts';
import { CODES, GROUNDS } from '../../../actions/governance/agreements-shared.ts';
import { L, tt, diagram, errorsOf, input, otherErrors, select, stepForms, timeline } from './agreements.ts';

/** The linkage registry (ทะเบียนการเชื่อมโยง): list with filters, detail with steps and cancellation, propose form. */

const STATE: Record<string, { th: string; en: string }> = {
  proposed: { th: 'เสนอ', en: 'Proposed' }, approved: { th: 'อนุมัติแล้ว', en: 'Approved' }, active: { th: 'เชื่อมโยงอยู่', en: 'Active' },
  suspended: { th: 'ระงับชั่วคราว', en: 'Suspended' }, cancelled: { th: 'ยกเลิก', en: 'Cancelled' },
};

function linkageForm(p: PageCtx, v: Record<string, any>, errs: FieldErrors | null): any {
  return html`<form method="post" action="/governance/linkages/new" class="stacked">${csrfField(p)}
    ${otherErrors(p, errs, ['organization', 'direction', 'partner', 'datasets', 'method', 'frequency', 'frequency_note', 'plan', 'meeting_notes', 'agreement_id'])}
    ${input(p, 'organization', tt(p, 'หน่วยงานของเรา (ชื่อย่อ)', 'Our organisation (name)'), v.organization, errs, { required: true })}
    ${select(p, 'direction', tt(p, 'ทิศทาง', 'Direction'), CODES.linkage_direction, v.direction, errs)}
    ${input(p, 'partner', tt(p, 'คู่เชื่อมโยง (ชื่อย่อ)', 'Partner (name)'), v.partner, errs, { required: true })}
    ${input(p, 'datasets', tt(p, 'ชุดข้อมูล (ชื่อย่อ คั่นด้วยจุลภาค)', 'Datasets (names, comma separated)'), v.datasets, errs)}
    ${input(p, 'method', tt(p, 'วิธีการเชื่อมโยง', 'Linkage method'), v.method, errs, { required: true })}
    ${select(p, 'frequency', tt(p, 'ความถี่การส่งข้อมูล', 'Delivery frequency'), CODES.delivery_frequency, v.frequency, errs)}
    ${input(p, 'frequency_note', tt(p, 'รายละเอียดความถี่', 'Frequency details'), v.frequency_note, errs)}
    ${input(p, 'plan', tt(p, 'แผนการดำเนินการเชื่อมโยง', 'Linkage plan'), v.plan, errs, { textarea: true })}
    ${input(p, 'meeting_notes', tt(p, 'บันทึกการประชุมเชิงเทคนิค', 'Technical meeting notes'), v.meeting_notes, errs, { textarea: true })}
    ${input(p, 'agreement_id', tt(p, 'รหัสสัญญา/ข้อตกลง (ถ้ามี)', 'Agreement id (optional)'), v.agreement_id, errs)}
    <button type="submit">${tt(p, 'เสนอการเชื่อมโยง', 'Propose')}</button></form>`;
}

export function linkageRoutes(app: FastifyInstance, web: Web): void {
  app.get('/governance/linkages', page(web, async (p) => {
    const q = p.req.query as Record<string, string>;
    const filters: Record<string, string> = {};
    for (const k of ['direction', 'state', 'frequency']) if (typeof q[k] === 'string' && q[k]) filters[k] = q[k]!.slice(0, 40);
    const list = await call<Record<string, any>[]>(p, 'linkage_list', filters);
    const title = tt(p, 'ทะเบียนการเชื่อมโยงข้อมูล', 'Linkage registry');
    return render(p, title, html`<h1>${title}</h1><p><a class="button" href="/governance/linkages/new">${tt(p, 'เสนอการเชื่อมโยง', 'Propose a linkage')}</a></p>
      <form method="get" class="filters">${select(p, 'direction', tt(p, 'ทิศทาง', 'Direction'), CODES.linkage_direction, filters.direction, null, true)}
        ${select(p, 'state', tt(p, 'สถานะ', 'Status'), Object.entries(STATE).map(([value, label]) => ({ value, label })), filters.state, null, true)}
        ${select(p, 'frequency', tt(p, 'ความถี่', 'Frequency'), CODES.delivery_frequency, filters.frequency, null, true)}<button type="submit">${tt(p, 'กรอง', 'Filter')}</button></form>
      ${list.length ? html`<table><thead><tr><th>${tt(p, 'เลขที่', 'Number')}</th><th>${tt(p, 'ทิศทาง', 'Direction')}</th><th>${tt(p, 'คู่เชื่อมโยง', 'Partner')}</th><th>${tt(p, 'ชุดข้อมูล', 'Datasets')}</th><th>${tt(p, 'วิธี', 'Method')}</th><th>${tt(p, 'ความถี่', 'Frequency')}</th><th>${tt(p, 'สถานะ', 'Status')}</th></tr></thead><tbody>
      ${list.map((l) => html`<tr><td><a href="/governance/linkages/${l.id}">${l.number}</a></td><td>${L(p, CODES.linkage_direction.find((c) => c.value === l.direction)?.label)}</td><td>${l.partner?.title}</td><td>${(l.datasets as any[]).map((d) => d.title).join(', ')}</td><td>${l.method}</td><td>${L(p, l.frequency_label)}</td><td>${L(p, STATE[l.state])}</td></tr>`)}
      </tbody></table>` : html`<p class="empty">${tt(p, 'ยังไม่มีการเชื่อมโยง', 'No linkages')}</p>`}`, { breadcrumbs: [[title]] });
  }));
  // A visitor gets the 403 page (with its sign-in link), not a form every action would refuse.
  app.get('/governance/linkages/new', page(web, async (p) => {
    if (!signedIn(p)) return errorPage(p, 403);
    return render(p, tt(p, 'เสนอการเชื่อมโยง', 'Propose a linkage'), html`<h1>${tt(p, 'เสนอการเชื่อมโยง', 'Propose a linkage')}</h1>${linkageForm(p, {}, null)}`, { noindex: true });
  }));
  app.post('/governance/linkages/new', form(web, async (p) => {
    const b = { ...p.body };
    if (b.agreement_id === '') delete b.agreement_id;
    try {
      const l = await call<{ id: string }>(p, 'linkage_create', b);
      return redirect(p, `/governance/linkages/${l.id}`);
    } catch (e) {
      const errs = errorsOf(e);
      if (!errs) throw e;
      return render(p, tt(p, 'เสนอการเชื่อมโยง', 'Propose a linkage'), html`<h1>${tt(p, 'เสนอการเชื่อมโยง', 'Propose a linkage')}</h1>${linkageForm(p, p.body, errs)}`, { noindex: true }, 409);
    }
  }));
  app.get('/governance/linkages/:id', page(web, async (p) => {
    const l = await call<Record<string, any>>(p, 'linkage_show', { id: (p.req.params as { id: string }).id });
    return render(p, l.number, html`<h1>${l.number} — ${l.partner?.title}</h1>
      <p class="status">${tt(p, 'สถานะ', 'Status')}: <strong>${L(p, STATE[l.state])}</strong></p>
      ${diagram(p, 'linkage', l.state, l.events)}
      <dl class="facts"><dt>${tt(p, 'ทิศทาง', 'Direction')}</dt><dd>${L(p, CODES.linkage_direction.find((c) => c.value === l.direction)?.label)}</dd>
        <dt>${tt(p, 'ชุดข้อมูล', 'Datasets')}</dt><dd>${(l.datasets as any[]).map((d) => d.title).join(', ')}</dd>
        <dt>${tt(p, 'วิธีการ', 'Method')}</dt><dd>${l.method}</dd><dt>${tt(p, 'ความถี่', 'Frequency')}</dt><dd>${L(p, l.frequency_label)} ${l.frequency_note}</dd>
        <dt>${tt(p, 'แผน', 'Plan')}</dt><dd>${l.plan}</dd><dt>${tt(p, 'บันทึกประชุมเชิงเทคนิค', 'Meeting notes')}</dt><dd>${l.meeting_notes}</dd>
        ${l.agreement_id ? html`<dt>${tt(p, 'สัญญา', 'Agreement')}</dt><dd><a href="/governance/agreements/${l.agreement_id}">${l.agreement_id}</a></dd>` : ''}
        ${l.cancel_ground ? html`<dt>${tt(p, 'เหตุที่ยกเลิก', 'Cancelled because')}</dt><dd>${L(p, GROUNDS.find((g) => g.value === l.cancel_ground)?.label)} ${l.cancel_note}</dd>` : ''}</dl>
      ${stepForms(p, `/governance/linkages/${l.id}/step`, l.next.filter((n: any) => n.name !== 'cancel'), l.version)}
      ${l.state !== 'cancelled' ? html`<form method="post" action="/governance/linkages/${l.id}/cancel" class="stacked">${csrfField(p)}
        ${select(p, 'ground', tt(p, 'เหตุแห่งการยกเลิก (ข้อ 7.2)', 'Ground (§7.2)'), GROUNDS, '', null)}
        <label>${tt(p, 'หมายเหตุ', 'Note')} * <input name="reason" required></label><button type="submit">${tt(p, 'ยกเลิกการเชื่อมโยง', 'Cancel the linkage')}</button></form>` : ''}
      <h2>${tt(p, 'ลำดับเหตุการณ์', 'Timeline')}</h2>${timeline(p, 'linkage', l.events)}`, { breadcrumbs: [[tt(p, 'ทะเบียนการเชื่อมโยง', 'Linkage registry'), '/governance/linkages'], [l.number]] });
  }));
  app.post('/governance/linkages/:id/step', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'linkage_transition', { id, transition: p.body.transition, reason: p.body.reason ?? '', version: Number(p.body.version) || undefined });
    return redirect(p, `/governance/linkages/${id}`);
  }));
  app.post('/governance/linkages/:id/cancel', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'linkage_cancel', { id, ground: p.body.ground, reason: p.body.reason });
    return redirect(p, `/governance/linkages/${id}`);
  }));
}
