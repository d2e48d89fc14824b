import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import { formatDate, formatPlainDate } from '../../format.ts';
import { workflows } from '../../../actions/governance/cases-engine.ts';
import type { InputDef } from '../../../workflow/types.ts';
import { policyKindLinks } from './policy.ts';
import { cssLink, errorBox, errorsOf, inputControl, L, readInputs, type InputView, type StepErrors } from './common.ts';

const REQUEST_PROCESSES = ['information_request', 'subject_request', 'publication', 'annual_review', 'data_policy'];

function view(p: PageCtx, i: InputDef): InputView {
  return { name: i.name, type: i.type, label: L(p, i.label.th, i.label.en), required: !!i.required, required_when: i.required_when, max: i.max, options: i.options?.map((o) => ({ value: o.value, label: L(p, o.label.th, o.label.en) })) };
}

async function newPage(p: PageCtx, process: string, values: Record<string, unknown> = {}, errors: StepErrors = {}) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  if (!REQUEST_PROCESSES.includes(process)) return errorPage(p, 404);
  const proc = workflows().get(process);
  const inputs = proc.start.inputs.map((i) => view(p, i));
  const labels: Record<string, string> = { organization: L(p, 'ถึงหน่วยงาน', 'To organisation'), dataset: L(p, 'ชุดข้อมูล', 'Dataset') };
  for (const i of inputs) labels[i.name] = i.label;
  const q = p.req.query as Record<string, string>;
  let target: Html;
  if (process === 'publication') {
    const ds = String(values.dataset ?? q.dataset ?? '');
    target = html`<div class="field${errors.dataset ? ' has-error' : ''}"><label for="new-dataset">${labels.dataset} <span class="required" aria-hidden="true">*</span></label>${errors.dataset ? html`<p class="field-error" id="new-dataset-err">${errors.dataset.join(' ')}</p>` : ''}<input id="new-dataset" name="dataset" type="text" required value="${ds}"></div>`;
  } else {
    const orgs = await call<any[]>(p, 'organization_list', { all_fields: true, limit: 1000 });
    const chosen = String(values.organization ?? q.organization ?? '');
    target = html`<div class="field${errors.organization ? ' has-error' : ''}"><label for="new-organization">${labels.organization} <span class="required" aria-hidden="true">*</span></label>${errors.organization ? html`<p class="field-error">${errors.organization.join(' ')}</p>` : ''}
      <select id="new-organization" name="organization" required><option value="">—</option>${orgs.map((o) => html`<option value="${o.name}"${o.name === chosen ? html` selected` : ''}>${o.title || o.name}</option>`)}</select></div>`;
  }
  const title = L(p, proc.def.label.th, proc.def.label.en);
  const body = html`${cssLink()}<h1>${title}</h1>
    ${proc.def.description ? html`<p>${L(p, proc.def.description.th, proc.def.description.en)}</p>` : ''}
    ${proc.def.rule ? html`<p class="hint">${L(p, proc.def.rule.th, proc.def.rule.en)}</p>` : ''}
    ${policyKindLinks(p, proc.def.policy)}
    ${errorBox(p, errors, labels)}
    <form method="post" action="/governance/new/${process}" novalidate>${csrfField(p)}
      ${target}
      ${process === 'information_request' ? html`<h2>${L(p, 'ส่วนที่ 1 ผู้ขอใช้ข้อมูล', 'Part 1: the requester')}</h2>` : ''}
      ${inputs.map((i) => inputControl('new', i, values[i.name], errors))}
      <button type="submit">${L(p, proc.start.label.th, proc.start.label.en)}</button>
    </form>`;
  return render(p, title, body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [title]], noindex: true }, Object.keys(errors).length ? 400 : 200);
}

async function newPost(p: PageCtx, process: string) {
  if (!signedIn(p)) return errorPage(p, 403);
  if (!REQUEST_PROCESSES.includes(process)) return errorPage(p, 404);
  const proc = workflows().get(process);
  const inputs = readInputs(p.body, proc.start.inputs.map((i) => view(p, i)));
  const target = process === 'publication' ? { dataset: String(p.body.dataset ?? '') } : { organization: String(p.body.organization ?? '') };
  try {
    const c = await call<{ id: string }>(p, 'case_create', { process, ...target, inputs });
    return redirect(p, `/governance/cases/${c.id}`);
  } catch (e) {
    const errors = errorsOf(p, e);
    if (!errors) throw e;
    return newPage(p, process, { ...inputs, ...target }, errors);
  }
}

/** Form ISMS-FRM-ITD-040 as the paper form reads, four parts, filled from the case (print stylesheet in common.ts). */
async function paperForm(p: PageCtx, id: string) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const c = await call<any>(p, 'case_show', { id });
  if (c.process !== 'information_request') return errorPage(p, 404);
  const proc = workflows().get(c.process);
  const f = c.facts as Record<string, unknown>;
  const val = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v === undefined || v === null || v === '' ? '-' : String(v));
  const opt = (inputs: readonly InputDef[], name: string, v: unknown) => {
    const i = inputs.find((x) => x.name === name);
    const o = i?.options?.find((x) => x.value === v);
    return o ? L(p, o.label.th, o.label.en) : val(v);
  };
  const stepInputs = (name: string) => proc.def.transitions.find((t) => t.name === name)?.inputs ?? [];
  // Dates on the printed form in the reader's calendar (พ.ศ. on a Thai form), never as YYYY-MM-DD.
  const day = (v: unknown) => (typeof v === 'string' && v ? formatPlainDate(p.lang, v) : val(v));
  const ev = (from: string, name: string) => [...c.events].reverse().find((e: any) => e.from === from && e.transition === name);
  const decision = [...c.events].reverse().find((e: any) => ['cdo_decision', 'committee_decision', 'dpo_decision'].includes(e.from));
  const analyse = ev('owner_analysis', 'analyse');
  const approval = c.events.find((e: any) => e.from === 'owner_approval');
  const exchange = ev('exchange', 'record_exchange');
  const receipt = ev('it_check', 'approve');
  const rows = (pairs: [string, unknown][]) => html`<table><tbody>${pairs.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${val(v)}</td></tr>`)}</tbody></table>`;
  const start = proc.start.inputs;
  const lbl = (name: string) => { const i = start.find((x) => x.name === name); return i ? L(p, i.label.th, i.label.en) : name; };
  const when = (e: any) => (e ? formatDate(p.lang, e.at + 'Z') : '-');
  const who = (e: any) => (e ? `${e.actor ?? ''} (${e.roles_label.join(', ')})` : '-');
  const body = html`${cssLink()}
    <p class="no-print"><a href="/governance/cases/${c.id}">← ${c.number}</a> · ${L(p, 'ใช้คำสั่งพิมพ์ของเบราว์เซอร์ (Ctrl+P) เพื่อพิมพ์แบบฟอร์ม', 'Use the browser\'s print command (Ctrl+P) to print the form')}</p>
    <article class="paper-form">
      <header><strong>ISMS-FRM-ITD-040</strong><span>${L(p, 'เลขที่คำขอ', 'Request no.')} ${c.number}</span></header>
      <h1>${L(p, 'แบบคำขอใช้ข้อมูล / แลกเปลี่ยนข้อมูล', 'Information / data exchange request form')}</h1>
      <p>${L(p, 'ถึง', 'To')}: ${val(f.organization_title)} · ${L(p, 'วันที่ยื่น', 'Filed')}: ${formatDate(p.lang, c.created + 'Z')}</p>
      <h2>${L(p, 'ส่วนที่ 1 สำหรับผู้ขอใช้ข้อมูล', 'Part 1 — the requester')}</h2>
      ${rows([[lbl('requester_name'), f.requester_name], [lbl('requester_kind'), opt(start, 'requester_kind', f.requester_kind)], [lbl('agency'), f.agency], [lbl('position'), f.position], [lbl('email'), f.email], [lbl('phone'), f.phone], [lbl('legal_basis'), f.legal_basis], [lbl('purpose'), f.purpose], [lbl('datasets'), f.datasets], [lbl('fields'), f.fields], [lbl('period_from'), day(f.period_from)], [lbl('period_to'), day(f.period_to)], [lbl('frequency'), opt(start, 'frequency', f.frequency)], [lbl('format'), f.format], [lbl('technology'), opt(start, 'technology', f.technology)]])}
      <div class="sign"><p>${L(p, 'ผู้ขอใช้ข้อมูล', 'Requester')}<br>${val(f.requester_name)}</p><p>${L(p, 'ผู้รับคำขอ (ทส.)', 'Received by (IT)')}<br>${who(receipt)} ${when(receipt)}</p></div>
      <h2>${L(p, 'ส่วนที่ 2 การวิเคราะห์ของเจ้าของข้อมูล', 'Part 2 — the data owner\'s analysis')}</h2>
      ${rows([[L(p, 'ผลการวิเคราะห์', 'Analysis'), analyse?.inputs.analysis], [L(p, 'มีข้อมูลตามที่ขอ', 'Data available'), opt(stepInputs('analyse'), 'data_available', analyse?.inputs.data_available)], [L(p, 'ชั้นของข้อมูล', 'Data class'), opt(stepInputs('analyse'), 'category', f.category)], [L(p, 'เงื่อนไข', 'Conditions'), analyse?.inputs.conditions], [L(p, 'ผู้วิเคราะห์', 'Analysed by'), `${who(analyse)} ${when(analyse)}`]])}
      <h2>${L(p, 'ส่วนที่ 3 การพิจารณาอนุมัติ', 'Part 3 — approval')}</h2>
      ${rows([[L(p, 'เจ้าของข้อมูล', 'Data owner'), approval ? `${approval.label} — ${who(approval)} ${when(approval)} ${approval.reason}` : '-'], [L(p, 'ผู้มีอำนาจตามหลักเกณฑ์ข้อ 6', 'Rule-6 decision'), decision ? `${decision.label} — ${who(decision)} ${when(decision)} ${decision.reason}` : '-']])}
      <h2>${L(p, 'ส่วนที่ 4 การบันทึกการแลกเปลี่ยนข้อมูล (ทส.)', 'Part 4 — exchange record (IT)')}</h2>
      ${rows([[L(p, 'ผลการดำเนินการ', 'Result'), exchange?.inputs.result], [L(p, 'วันที่ส่งมอบ', 'Delivered on'), day(exchange?.inputs.delivered_on)], [L(p, 'จำนวนระเบียน', 'Records'), exchange?.inputs.records_count], [L(p, 'วิธีการ', 'Method'), opt(stepInputs('record_exchange'), 'method', exchange?.inputs.method)], [L(p, 'ผู้บันทึก', 'Recorded by'), `${who(exchange)} ${when(exchange)}`]])}
      <p>${L(p, 'สถานะ', 'State')}: ${c.state_label}</p>
    </article>`;
  return render(p, `ISMS-FRM-ITD-040 ${c.number}`, body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [c.number, `/governance/cases/${c.id}`], ['ISMS-FRM-ITD-040']], noindex: true });
}

/** The one-time answer link: GET shows a button (a GET never writes), POST hands the file over once. */
async function answerPage(p: PageCtx, token: string) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const body = html`${cssLink()}<h1>${L(p, 'รับข้อมูลส่วนบุคคลของท่าน', 'Collect your personal data')}</h1>
    <p>${L(p, 'ลิงก์นี้ใช้ได้ครั้งเดียว เฉพาะผู้ขอที่ยืนยันตัวตนแล้ว และมีวันหมดอายุ', 'This link works once, only for the verified requester, and expires.')}</p>
    <form method="post" action="/governance/answer/${encodeURIComponent(token)}">${csrfField(p)}<button type="submit">${L(p, 'ดาวน์โหลด (PDF)', 'Download (PDF)')}</button></form>`;
  return render(p, L(p, 'รับข้อมูล', 'Collect'), body, { noindex: true });
}

async function answerPost(p: PageCtx, token: string) {
  if (!signedIn(p)) return errorPage(p, 403);
  const r = await call<{ filename: string; data: string }>(p, 'case_answer_download', { token });
  return p.reply.type('application/pdf').header('Content-Disposition', `attachment; filename="${r.filename.replace(/[^\w.-]/g, '_')}"`).header('Cache-Control', 'no-store').send(Buffer.from(r.data, 'base64'));
}

export function requestRoutes(scope: FastifyInstance, web: Web): void {
  const param = (p: PageCtx, k: string) => String((p.req.params as Record<string, string>)[k] ?? '');
  scope.get('/governance/new/:process', page(web, (p) => newPage(p, param(p, 'process'))));
  scope.post('/governance/new/:process', form(web, (p) => newPost(p, param(p, 'process'))));
  scope.get('/governance/cases/:id/form', page(web, (p) => paperForm(p, param(p, 'id'))));
  scope.get('/governance/answer/:token', page(web, (p) => answerPage(p, param(p, 'token'))));
  scope.post('/governance/answer/:token', form(web, (p) => answerPost(p, param(p, 'token'))));
}
