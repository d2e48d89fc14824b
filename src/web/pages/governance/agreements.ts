import type { FastifyInstance } from 'fastify';
import { html, raw, type Html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import { ValidationError, type FieldErrors, type Msg } from '../../../actions/errors.ts';
import { CODES, GROUNDS, type Code } from '../../../actions/governance/agreements-shared.ts';
import { renderDiagram } from '../../../workflow/diagram.ts';
import { workflows } from '../../../actions/governance/agreements-shared.ts';
import { refKey, type FileRef } from '../../../files/upload.ts';
import { contentDisposition } from '../../../files/mime.ts';
import { runAction } from '../../../actions/registry.ts';
import { agreementMtlsRoutes, mtlsSection } from './agreement-mtls.ts';
import { timeEl } from '../../format.ts';
import { bangkokDay } from '../../../workflow/numbers.ts';

/** Pages for agreements (rule 3): list, detail with the process diagram and steps, create/edit forms that work without JavaScript. */

export const L = (p: PageCtx, m: Msg | null | undefined): string => (m ? (p.lang === 'en' ? m.en : m.th) : '');
export const tt = (p: PageCtx, th: string, en: string): string => (p.lang === 'en' ? en : th);

export function errorsOf(e: unknown): FieldErrors | null {
  return e instanceof ValidationError ? e.errors : null;
}

export function fieldError(p: PageCtx, errs: FieldErrors | null, ...keys: string[]): Html {
  const msgs = keys.flatMap((k) => errs?.[k] ?? []);
  return msgs.length ? html`<p class="field-error" role="alert">${msgs.map((m) => L(p, m)).join(' ')}</p>` : html``;
}

export function otherErrors(p: PageCtx, errs: FieldErrors | null, shown: string[]): Html {
  if (!errs) return html``;
  const rest = Object.entries(errs).filter(([k]) => !shown.some((s) => k === s || k.startsWith(`${s}.`)));
  return rest.length ? html`<div class="alert error" role="alert"><ul>${rest.map(([k, ms]) => html`<li>${k}: ${ms.map((m) => L(p, m)).join(' ')}</li>`)}</ul></div>` : html``;
}

export function input(p: PageCtx, name: string, label: string, value: unknown, errs: FieldErrors | null, opts: { type?: string; required?: boolean; textarea?: boolean } = {}): Html {
  const v = value === undefined || value === null ? '' : String(value);
  return html`<div class="field"><label for="f-${name}">${label}${opts.required ? html` <span aria-hidden="true">*</span>` : ''}</label>
    ${opts.textarea ? html`<textarea id="f-${name}" name="${name}" rows="4">${v}</textarea>` : html`<input id="f-${name}" name="${name}" type="${opts.type ?? 'text'}" value="${v}"${opts.required ? html` required` : ''}>`}
    ${fieldError(p, errs, name)}</div>`;
}

export function select(p: PageCtx, name: string, label: string, list: Code[], value: unknown, errs: FieldErrors | null, blank = false): Html {
  return html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">
    ${blank ? html`<option value="">—</option>` : ''}${list.map((c) => html`<option value="${c.value}"${c.value === value ? html` selected` : ''}>${L(p, c.label)}</option>`)}
  </select>${fieldError(p, errs, name)}</div>`;
}

export function stepForms(p: PageCtx, action: string, next: { name: string; label: Msg; reason_required: boolean }[], version: number): Html {
  if (!next.length) return html``;
  return html`<section class="steps"><h2>${tt(p, 'ขั้นตอนที่ท่านดำเนินการได้', 'Steps you may take')}</h2>${next.map((n) => html`
    <form method="post" action="${action}" class="step-form">${csrfField(p)}
      <input type="hidden" name="transition" value="${n.name}"><input type="hidden" name="version" value="${version}">
      <label>${tt(p, 'เหตุผล/หมายเหตุ', 'Reason / note')}${n.reason_required ? ' *' : ''} <input name="reason"${n.reason_required ? html` required` : ''}></label>
      <button type="submit">${L(p, n.label)}</button></form>`)}</section>`;
}

/** The process's history with its own step and state names (never the definition's keys), dates in พ.ศ. on Thai pages. */
export function timeline(p: PageCtx, process: string, events: { at: string | Date; actor_name: string; transition: string; from_state: string | null; to_state: string; reason: string }[]): Html {
  const proc = workflows().get(process);
  const step = (e: { transition: string; from_state: string | null }) => {
    const t = e.from_state === null ? proc.start : proc.outgoing.get(e.from_state)?.find((x) => x.name === e.transition);
    return t ? L(p, t.label) : e.transition;
  };
  const state = (s: string) => L(p, proc.states.get(s)?.label) || s;
  return html`<ol class="timeline">${events.map((e) => html`<li>${timeEl(p.lang, e.at, true)} — ${e.actor_name}: ${step(e)} → ${state(e.to_state)}${e.reason ? html` (${e.reason})` : ''}</li>`)}</ol>`;
}

/** The last moment inside a window whose end is exclusive (midnight after the last day). */
const lastMoment = (to: string) => new Date(Date.parse(to) - 1);

export function diagram(p: PageCtx, process: string, state: string, events: unknown[]): Html {
  const svg = renderDiagram(workflows().get(process), { lang: p.lang, current: state, events: events as never });
  // The renderer escapes every label it draws: its SVG is trusted markup.
  return html`<figure class="process-diagram">${raw(svg)}</figure>`;
}

const STATUS: Record<string, Msg> = {
  draft: { th: 'ร่าง', en: 'Draft' }, legal_review: { th: 'ฝ่ายกฎหมายพิจารณา', en: 'Legal review' }, approval: { th: 'รออนุมัติ', en: 'Awaiting approval' },
  approved: { th: 'อนุมัติแล้ว', en: 'Approved' }, active: { th: 'มีผลบังคับใช้', en: 'Active' }, scheduled: { th: 'ยังไม่ถึงช่วงเข้าถึง', en: 'Not yet in its window' },
  expired: { th: 'หมดอายุ', en: 'Expired' }, terminated: { th: 'ยกเลิก/สิ้นสุดแล้ว', en: 'Terminated' },
};

function agreementForm(p: PageCtx, a: Record<string, any>, errs: FieldErrors | null, action: string): Html {
  const item = a.items?.[0] ?? {};
  const fields = Array.isArray(item.fields) ? item.fields.join(', ') : (a.fields ?? '');
  // The form shows the Bangkok days of the window; its end is exclusive, so the last day is the one before it.
  const day = (v: unknown, end = false) => (typeof v !== 'string' || !v ? '' : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : Number.isNaN(Date.parse(v)) ? v : bangkokDay(new Date(Date.parse(v) - (end ? 1 : 0))));
  const shown = ['kind', 'organization', 'partner', 'case_id', 'title', 'purpose', 'scope_of_use', 'access_from', 'access_to', 'frequency_unit', 'frequency_count', 'service_level', 'period_of_use', 'technology', 'technology_note', 'legal_basis', 'upload', 'items', 'dataset', 'fields', 'row_condition'];
  return html`<form method="post" action="${action}" enctype="multipart/form-data" class="stacked">${csrfField(p)}
    ${otherErrors(p, errs, shown)}
    ${select(p, 'kind', tt(p, 'ประเภท', 'Kind'), CODES.agreement_kind, a.kind ?? 'agreement', errs)}
    ${a.id ? '' : input(p, 'organization', tt(p, 'หน่วยงานเจ้าของข้อมูล (ชื่อย่อ)', 'Owner organisation (name)'), a.organization?.name ?? a.organization, errs, { required: true })}
    ${input(p, 'partner', tt(p, 'หน่วยงานคู่สัญญา (ชื่อย่อ)', 'Partner organisation (name)'), a.partner?.name ?? a.partner, errs, { required: true })}
    ${input(p, 'case_id', tt(p, 'เลขที่คำขอที่เกี่ยวข้อง (ถ้ามี)', 'Request it answers (optional)'), a.case_id, errs)}
    ${input(p, 'title', tt(p, 'ชื่อสัญญา/ข้อตกลง', 'Title'), a.title, errs, { required: true })}
    ${input(p, 'purpose', tt(p, 'วัตถุประสงค์ในการนำไปใช้', 'Purpose of use'), a.purpose, errs, { required: true, textarea: true })}
    ${input(p, 'scope_of_use', tt(p, 'ขอบเขตในการนำไปใช้', 'Scope of use'), a.scope_of_use, errs, { required: true, textarea: true })}
    ${input(p, 'access_from', tt(p, 'วันเริ่มเข้าถึง', 'Access from'), day(a.access_from), errs, { type: 'date', required: true })}
    ${input(p, 'access_to', tt(p, 'วันสิ้นสุดการเข้าถึง', 'Access to'), day(a.access_to, true), errs, { type: 'date', required: true })}
    ${select(p, 'frequency_unit', tt(p, 'หน่วยความถี่ในการเข้าถึง', 'Access frequency unit'), CODES.frequency_unit, a.frequency?.unit ?? a.frequency_unit, errs)}
    ${input(p, 'frequency_count', tt(p, 'จำนวนครั้ง', 'How many'), a.frequency?.count ?? a.frequency_count, errs, { type: 'number', required: true })}
    ${input(p, 'service_level', tt(p, 'ระดับการให้บริการ', 'Service level'), a.service_level, errs, { required: true })}
    ${input(p, 'period_of_use', tt(p, 'ช่วงเวลาในการนำไปใช้', 'Period of use'), a.period_of_use, errs, { required: true })}
    ${select(p, 'technology', tt(p, 'เทคโนโลยีและมาตรฐาน', 'Technology and standard'), CODES.technology, a.technology, errs)}
    ${input(p, 'technology_note', tt(p, 'รายละเอียดเทคโนโลยี', 'Technology details'), a.technology_note, errs)}
    ${input(p, 'legal_basis', tt(p, 'ฐานทางกฎหมาย', 'Legal basis'), a.legal_basis, errs, { textarea: true })}
    <div class="field"><label for="f-upload">${tt(p, 'หนังสือแสดงความยินยอม/เอกสารฐานทางกฎหมาย', 'Consent letter / legal basis document')}</label><input id="f-upload" type="file" name="upload">${fieldError(p, errs, 'upload')}</div>
    <fieldset><legend>${tt(p, 'ชุดข้อมูล ฟิลด์ และระเบียนที่เข้าถึงได้', 'Dataset, accessible fields and records')}</legend>
      ${input(p, 'dataset', tt(p, 'ชุดข้อมูล (ชื่อย่อ)', 'Dataset (name)'), item.dataset_name ?? a.dataset, errs, { required: true })}
      ${fieldError(p, errs, 'items', 'items.0', 'items.0.dataset')}
      ${input(p, 'fields', tt(p, 'ฟิลด์ที่เข้าถึงได้ (คั่นด้วยจุลภาค ตามพจนานุกรมข้อมูล)', 'Accessible fields (comma separated, from the data dictionary)'), fields, errs, { required: true })}
      ${fieldError(p, errs, 'items.0.fields')}
      ${input(p, 'row_condition', tt(p, "เงื่อนไขระเบียน เช่น province = 'เชียงใหม่' AND age >= 18", "Row condition, e.g. province = 'Chiang Mai' AND age >= 18"), item.row_condition_text ?? a.row_condition, errs)}
      ${fieldError(p, errs, 'items.0.row_condition')}
    </fieldset>
    <button type="submit">${tt(p, 'บันทึก', 'Save')}</button></form>`;
}

function formInput(p: PageCtx): Record<string, unknown> {
  const b = { ...p.body };
  if (b.frequency_count === '') delete b.frequency_count;
  if (b.case_id === '') delete b.case_id;
  return b;
}

export function agreementRoutes(app: FastifyInstance, web: Web): void {
  app.get('/governance/agreements', page(web, async (p) => {
    const list = await call<Record<string, any>[]>(p, 'agreement_list', {});
    const title = tt(p, 'สัญญา/ข้อตกลงการแลกเปลี่ยนข้อมูล', 'Data exchange agreements');
    return render(p, title, html`<h1>${title}</h1><p><a class="button" href="/governance/agreements/new">${tt(p, 'จัดทำสัญญาใหม่', 'New agreement')}</a></p>
      ${list.length ? html`<table><thead><tr><th>${tt(p, 'เลขที่', 'Number')}</th><th>${tt(p, 'ชื่อ', 'Title')}</th><th>${tt(p, 'คู่สัญญา', 'Partner')}</th><th>${tt(p, 'ช่วงเข้าถึง', 'Window')}</th><th>${tt(p, 'สถานะ', 'Status')}</th></tr></thead><tbody>
        ${list.map((a) => html`<tr><td><a href="/governance/agreements/${a.id}">${a.number}</a></td><td>${a.title}</td><td>${a.partner?.title}</td><td>${timeEl(p.lang, a.access_from)} – ${timeEl(p.lang, lastMoment(a.access_to))}</td><td>${L(p, STATUS[a.status])}</td></tr>`)}
      </tbody></table>` : html`<p class="empty">${tt(p, 'ยังไม่มีสัญญา', 'No agreements yet')}</p>`}`, { breadcrumbs: [[title]] });
  }));
  // A visitor gets the 403 page (with its sign-in link), not a form every action would refuse.
  app.get('/governance/agreements/new', page(web, async (p) => {
    if (!signedIn(p)) return errorPage(p, 403);
    return render(p, tt(p, 'จัดทำสัญญาใหม่', 'New agreement'), html`<h1>${tt(p, 'จัดทำสัญญาใหม่', 'New agreement')}</h1>${agreementForm(p, {}, null, '/governance/agreements/new')}`, { noindex: true });
  }));
  app.post('/governance/agreements/new', form(web, async (p) => {
    try {
      const a = await call<{ id: string }>(p, 'agreement_create', formInput(p));
      return redirect(p, `/governance/agreements/${a.id}`);
    } catch (e) {
      const errs = errorsOf(e);
      if (!errs) throw e;
      return render(p, tt(p, 'จัดทำสัญญาใหม่', 'New agreement'), html`<h1>${tt(p, 'จัดทำสัญญาใหม่', 'New agreement')}</h1>${agreementForm(p, p.body, errs, '/governance/agreements/new')}`, { noindex: true }, 409);
    }
  }, { upload: 'agreement_create' }));
  app.get('/governance/agreements/:id', page(web, async (p) => {
    const a = await call<Record<string, any>>(p, 'agreement_show', { id: (p.req.params as { id: string }).id });
    const grounds = html`<form method="post" action="/governance/agreements/${a.id}/terminate" class="stacked">${csrfField(p)}
      ${select(p, 'ground', tt(p, 'เหตุแห่งการยกเลิก (ข้อ 7.2)', 'Ground (§7.2)'), GROUNDS, '', null)}
      <label>${tt(p, 'หมายเหตุ', 'Note')} * <input name="reason" required></label><button type="submit">${tt(p, 'ยกเลิก/สิ้นสุดสัญญา', 'Terminate')}</button></form>`;
    return render(p, a.number, html`<h1>${a.number} ${a.title}</h1>
      <p class="status">${tt(p, 'สถานะ', 'Status')}: <strong>${L(p, STATUS[a.status])}</strong></p>
      ${diagram(p, 'agreement', a.state, a.events)}
      <dl class="facts">
        <dt>${tt(p, 'ประเภท', 'Kind')}</dt><dd>${L(p, CODES.agreement_kind.find((c) => c.value === a.kind)?.label)}</dd>
        <dt>${tt(p, 'เจ้าของข้อมูล', 'Owner')}</dt><dd>${a.organization?.title}</dd><dt>${tt(p, 'คู่สัญญา', 'Partner')}</dt><dd>${a.partner?.title}</dd>
        <dt>${tt(p, 'วัตถุประสงค์', 'Purpose')}</dt><dd>${a.purpose}</dd><dt>${tt(p, 'ขอบเขตการใช้', 'Scope of use')}</dt><dd>${a.scope_of_use}</dd>
        <dt>${tt(p, 'ช่วงวันที่เข้าถึง', 'Access window')}</dt><dd>${timeEl(p.lang, a.access_from)} – ${timeEl(p.lang, lastMoment(a.access_to))}</dd>
        <dt>${tt(p, 'ความถี่', 'Frequency')}</dt><dd>${a.frequency?.count} ${L(p, CODES.frequency_unit.find((c) => c.value === a.frequency?.unit)?.label)}</dd>
        <dt>${tt(p, 'ระดับการให้บริการ', 'Service level')}</dt><dd>${a.service_level}</dd><dt>${tt(p, 'ช่วงเวลาใช้', 'Period of use')}</dt><dd>${a.period_of_use}</dd>
        <dt>${tt(p, 'เทคโนโลยี', 'Technology')}</dt><dd>${L(p, CODES.technology.find((c) => c.value === a.technology)?.label)} ${a.technology_note}</dd>
        <dt>${tt(p, 'ฐานทางกฎหมาย', 'Legal basis')}</dt><dd>${a.legal_basis}${a.legal_file ? html` — <a href="/governance/agreements/${a.id}/legal-file">${a.legal_file.filename}</a>` : ''}</dd>
      </dl>
      <h2>${tt(p, 'สิทธิ์เข้าถึงที่ออกโดยสัญญานี้', 'Grants issued by this agreement')}</h2>
      <table><thead><tr><th>${tt(p, 'ชุดข้อมูล', 'Dataset')}</th><th>${tt(p, 'ฟิลด์', 'Fields')}</th><th>${tt(p, 'เงื่อนไขระเบียน', 'Row condition')}</th><th>${tt(p, 'ใช้ได้ขณะนี้', 'Usable now')}</th></tr></thead><tbody>
        ${(a.grants as any[]).map((g) => html`<tr><td>${g.dataset_title}</td><td>${(g.fields ?? []).join(', ')}</td><td><code>${g.row_condition_text}</code></td><td>${g.usable ? tt(p, 'ใช้ได้', 'yes') : tt(p, 'ไม่ได้', 'no')}</td></tr>`)}
      </tbody></table>
      ${mtlsSection(p, a)}
      ${a.state === 'draft' ? html`<p><a class="button" href="/governance/agreements/${a.id}/edit">${tt(p, 'แก้ไขร่าง', 'Edit draft')}</a></p>` : ''}
      ${stepForms(p, `/governance/agreements/${a.id}/step`, a.next.filter((n: any) => n.name !== 'terminate'), a.version)}
      ${['draft', 'approved', 'active'].includes(a.state) ? grounds : ''}
      <h2>${tt(p, 'ลำดับเหตุการณ์', 'Timeline')}</h2>${timeline(p, 'agreement', a.events)}`, { breadcrumbs: [[tt(p, 'สัญญา', 'Agreements'), '/governance/agreements'], [a.number]] });
  }));
  // The consent letter: always an attachment, never rendered (it came from outside).
  app.get('/governance/agreements/:id/legal-file', page(web, async (p) => {
    // Internal (read-only) action: the page's call() admits only API actions on GET.
    const f = await runAction<{ file: FileRef; filename: string }>(p.services, 'agreement_legal_file', { id: (p.req.params as { id: string }).id }, { actor: p.actor, lang: p.lang, ip: p.req.ip });
    const opened = await p.services.files.read(refKey(f.file));
    if (!opened) return p.reply.code(404).type('text/plain; charset=utf-8').send(tt(p, 'ไม่พบไฟล์', 'Not found'));
    return p.reply.header('Content-Type', 'application/octet-stream').header('X-Content-Type-Options', 'nosniff').header('Content-Security-Policy', "default-src 'none'; sandbox")
      .header('Content-Disposition', contentDisposition('attachment', f.filename)).header('Content-Length', opened.size).header('Cache-Control', 'no-store').send(opened.stream);
  }));
  app.get('/governance/agreements/:id/edit', page(web, async (p) => {
    const a = await call<Record<string, any>>(p, 'agreement_show', { id: (p.req.params as { id: string }).id });
    return render(p, a.number, html`<h1>${tt(p, 'แก้ไขร่าง', 'Edit draft')} ${a.number}</h1>${agreementForm(p, a, null, `/governance/agreements/${a.id}/edit`)}`, { noindex: true });
  }));
  app.post('/governance/agreements/:id/edit', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    try {
      await call(p, 'agreement_update', { ...formInput(p), id });
      return redirect(p, `/governance/agreements/${id}`);
    } catch (e) {
      const errs = errorsOf(e);
      if (!errs) throw e;
      return render(p, tt(p, 'แก้ไขร่าง', 'Edit draft'), html`<h1>${tt(p, 'แก้ไขร่าง', 'Edit draft')}</h1>${agreementForm(p, { ...p.body, id }, errs, `/governance/agreements/${id}/edit`)}`, { noindex: true }, 409);
    }
  }, { upload: 'agreement_update' }));
  app.post('/governance/agreements/:id/step', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'agreement_transition', { id, transition: p.body.transition, reason: p.body.reason ?? '', version: Number(p.body.version) || undefined });
    return redirect(p, `/governance/agreements/${id}`);
  }));
  app.post('/governance/agreements/:id/terminate', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'agreement_terminate', { id, ground: p.body.ground, reason: p.body.reason });
    return redirect(p, `/governance/agreements/${id}`);
  }));
  agreementMtlsRoutes(app, web);
}
