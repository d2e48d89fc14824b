import type { FastifyInstance } from 'fastify';
import { html, raw, type Html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { errorPage } from '../../layout.ts';
import { formatPlainDate, timeEl } from '../../format.ts';
import { renderDiagram } from '../../../workflow/diagram.ts';
import { workflows } from '../../../actions/governance/cases-engine.ts';
import { cssLink, errorBox, errorsOf, inputControl, L, readInputs, type InputView, type StepErrors } from './common.ts';

interface NextView {
  name: string;
  label: string;
  to: string;
  to_label: string;
  reason_required: boolean;
  inputs: InputView[];
}

const TABS: [string, string, string][] = [
  ['waiting', 'รอการดำเนินการของฉัน', 'Waiting for me'],
  ['mine', 'เรื่องที่ฉันยื่น', 'My requests'],
  ['all', 'ทุกเรื่องที่เห็นได้', 'All I can see'],
];

function badge(c: { state_label: string; terminal?: boolean; closed_at?: string | null }): Html {
  return html`<span class="state-badge${c.closed_at ? ' closed' : ''}">${c.state_label}</span>`;
}

async function listPage(p: PageCtx) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const q = p.req.query as Record<string, string>;
  const tab = TABS.some(([k]) => k === q.tab) ? q.tab! : 'waiting';
  const input: Record<string, unknown> = { limit: 100 };
  if (tab === 'waiting') input.waiting_for_me = true;
  if (tab === 'mine') input.mine = true;
  if (typeof q.process === 'string' && /^[a-z_]{1,40}$/.test(q.process)) input.process = q.process;
  const list = await call<{ count: number; results: any[] }>(p, 'case_list', input);
  const body = html`${cssLink()}
    <h1>${L(p, 'งานธรรมาภิบาลข้อมูล', 'Data governance')}</h1>
    <p class="no-print"><a class="button" href="/governance/new/information_request">${L(p, 'ยื่นคำขอข้อมูล (ISMS-FRM-ITD-040)', 'Request data (ISMS-FRM-ITD-040)')}</a>
      <a class="button secondary" href="/governance/new/subject_request">${L(p, 'ขอข้อมูลส่วนบุคคลของตนเอง', 'Ask for my personal data')}</a>
      <a class="button secondary" href="/governance/policy">${L(p, 'นโยบายและคู่มือ', 'Policies and manual')}</a>
      <a class="button secondary" href="/governance/inbox">${L(p, 'กล่องแจ้งเตือน', 'Inbox')}${p.req.inboxUnread ? ` (${p.req.inboxUnread})` : ''}</a></p>
    <nav aria-label="${L(p, 'มุมมอง', 'Views')}"><ul class="gov-tabs">${TABS.map(([k, th, en]) => html`<li><a href="/governance?tab=${k}"${k === tab ? html` aria-current="page"` : ''}>${L(p, th, en)}</a></li>`)}</ul></nav>
    <p>${L(p, `${list.count} เรื่อง`, `${list.count} case(s)`)}</p>
    ${list.results.length
      ? html`<table><thead><tr><th scope="col">${L(p, 'เลขที่', 'Number')}</th><th scope="col">${L(p, 'กระบวนการ', 'Process')}</th><th scope="col">${L(p, 'เรื่อง', 'Subject')}</th><th scope="col">${L(p, 'สถานะ', 'State')}</th><th scope="col">${L(p, 'ปรับปรุงล่าสุด', 'Modified')}</th></tr></thead>
        <tbody>${list.results.map((c) => html`<tr><td><a href="/governance/cases/${c.id}">${c.number}</a></td><td>${c.process_label}</td><td>${c.title}</td><td>${badge(c)}</td><td>${timeEl(p.lang, c.modified + 'Z', true)}</td></tr>`)}</tbody></table>`
      : html`<p>${L(p, 'ไม่มีเรื่องในมุมมองนี้', 'No cases in this view')}</p>`}`;
  return render(p, L(p, 'งานธรรมาภิบาลข้อมูล', 'Data governance'), body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance')]], noindex: true });
}

/** Thai/English names of every input of a process, with its option labels, for facts and the timeline. */
function inputNames(p: PageCtx, process: string): Map<string, { label: string; options: Map<string, string>; fact: boolean; date: boolean; lang: PageCtx['lang'] }> {
  const proc = workflows().get(process);
  const out = new Map<string, { label: string; options: Map<string, string>; fact: boolean; date: boolean; lang: PageCtx['lang'] }>();
  for (const i of [...proc.start.inputs.map((x) => ({ ...x, fact: true })), ...proc.def.transitions.flatMap((t) => t.inputs ?? [])]) {
    if (out.has(i.name) && !i.fact) continue;
    out.set(i.name, { label: L(p, i.label.th, i.label.en), options: new Map((i.options ?? []).map((o) => [o.value, L(p, o.label.th, o.label.en)])), fact: !!i.fact, date: i.type === 'date', lang: p.lang });
  }
  return out;
}

function shown(names: ReturnType<typeof inputNames>, k: string, v: unknown): string {
  const n = names.get(k);
  const o = n?.options;
  // A date input (YYYY-MM-DD) in the page's calendar: พ.ศ. on Thai pages.
  const one = (x: unknown) => (n?.date && typeof x === 'string' ? formatPlainDate(n.lang, x) : (o?.get(String(x)) ?? String(x)));
  return Array.isArray(v) ? v.map(one).join(', ') : one(v);
}

function factRows(p: PageCtx, c: any): Html {
  const names = inputNames(p, c.process);
  const rows = Object.entries(c.facts as Record<string, unknown>).filter(([k]) => names.get(k)?.fact);
  if (!rows.length) return html``;
  return html`<h2>${L(p, 'ข้อมูลของเรื่อง', 'Case details')}</h2><table class="metadata"><tbody>${rows.map(([k, v]) => html`<tr><th scope="row">${names.get(k)!.label}</th><td>${shown(names, k, v)}</td></tr>`)}</tbody></table>`;
}

/** P7: every unit the memo went to, with its reply or that it has not replied. */
function replyRows(p: PageCtx, c: any): Html {
  const byUnit = new Map<string, any>((c.replies ?? []).map((r: any) => [r.unit_id, r]));
  const units: any[] = Array.isArray(c.facts.units) ? c.facts.units : [];
  return html`<h2>${L(p, 'คำตอบของหน่วยงาน', 'Units\' replies')} (${byUnit.size}/${units.length})</h2>
    <table><thead><tr><th scope="col">${L(p, 'หน่วยงาน', 'Unit')}</th><th scope="col">${L(p, 'ความต้องการเชื่อมโยง', 'Linkage needs')}</th><th scope="col">${L(p, 'ทบทวนการเชื่อมโยงเดิม', 'Existing linkages')}</th><th scope="col">${L(p, 'ผู้ตอบ', 'Replied by')}</th></tr></thead>
    <tbody>${units.map((u) => {
      const r = byUnit.get(u.id);
      return html`<tr><td><a href="/governance/reviews/${c.id}/reply/${u.name}">${u.title}</a></td><td>${r ? r.needs : L(p, 'ยังไม่ตอบ', 'No reply yet')}</td><td>${r?.linkage_review ?? ''}</td><td>${r ? html`${r.replied_by} ${timeEl(p.lang, r.at + 'Z', true)}` : ''}</td></tr>`;
    })}</tbody></table>`;
}

function timeline(p: PageCtx, c: any): Html {
  const names = inputNames(p, c.process);
  return html`<h2>${L(p, 'ลำดับเหตุการณ์', 'Timeline')}</h2><ol class="timeline">${c.events.map((e: any) => {
    // The first step repeats the form shown above; later steps list what was entered.
    const inputs = e.from === null ? [] : Object.entries(e.inputs as Record<string, unknown>);
    return html`<li><strong>${e.label}</strong> → ${e.to_label}<br>
      ${timeEl(p.lang, e.at + 'Z', true)} · ${e.actor ?? ''} ${e.roles_label.length ? html`(${e.roles_label.join(', ')})` : ''}
      ${e.reason || inputs.length ? html`<dl>${e.reason ? html`<dt>${L(p, 'เหตุผล', 'Reason')}</dt><dd>${e.reason}</dd>` : ''}${inputs.map(([k, v]) => html`<dt>${names.get(k)?.label ?? k}</dt><dd>${shown(names, k, v)}</dd>`)}</dl>` : ''}</li>`;
  })}</ol>`;
}

function stepForm(p: PageCtx, c: any, n: NextView, values: Record<string, unknown>, errors: StepErrors): Html {
  const prefix = `step-${n.name}`;
  const labels: Record<string, string> = { reason: L(p, 'เหตุผล', 'Reason'), transition: L(p, 'ขั้นตอน', 'Step'), version: L(p, 'ฉบับ', 'Version') };
  for (const i of n.inputs) labels[i.name] = i.label;
  return html`<form method="post" action="/governance/cases/${c.id}/step" class="step-form" novalidate>${csrfField(p)}
    <h3>${n.label}</h3>
    <p class="hint">${L(p, 'ไปยัง', 'Leads to')}: ${n.to_label}</p>
    ${errorBox(p, errors, labels)}
    <input type="hidden" name="transition" value="${n.name}"><input type="hidden" name="version" value="${c.version}">
    ${n.inputs.map((i) => inputControl(prefix, i, values[i.name], errors))}
    ${inputControl(prefix, { name: 'reason', type: 'text', label: L(p, 'เหตุผล / หมายเหตุ', 'Reason / note'), required: n.reason_required, max: 4000 }, values.reason, errors)}
    <button type="submit"${n.name === 'reject' ? html` class="danger"` : ''}>${n.label}</button>
  </form>`;
}

async function casePage(p: PageCtx, id: string, failed?: { step: string; values: Record<string, unknown>; errors: StepErrors }) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const c = await call<any>(p, 'case_show', { id });
  const proc = workflows().get(c.process);
  const svg = renderDiagram(proc, { lang: p.lang, current: c.state, events: c.events.map((e: any) => ({ from_state: e.from, to_state: e.to })) });
  const disclosed = c.closed_at && (c.state === 'completed' || c.state === 'delivered');
  const body = html`${cssLink()}
    <h1>${c.number} · ${c.process_label}</h1>
    <p>${L(p, 'สถานะปัจจุบัน', 'Current state')}: ${badge(c)}
      ${c.waiting_for.length && !c.closed_at ? html` · ${L(p, 'รอ', 'Waiting for')}: ${c.waiting_for.map((w: any) => w.label).join(', ')}` : ''}</p>
    ${proc.def.rule ? html`<p class="hint">${L(p, 'ตามหลักเกณฑ์', 'Applies')}: ${L(p, proc.def.rule.th, proc.def.rule.en)}</p>` : ''}
    ${c.policies?.length ? html`<p class="hint">${L(p, 'นโยบายที่ใช้', 'Policies applied')}: ${c.policies.map((d: any, i: number) => html`${i ? ' · ' : ''}<a href="/policy/${d.id}">${d.title} (${L(p, 'ฉบับที่', 'v.')} ${d.version})</a>`)}</p>` : ''}
    ${c.document ? html`<p>${L(p, 'เอกสารของเรื่องนี้', 'This case\'s document')}: <a href="/policy/${c.document.id}">${c.document.version ? `${L(p, 'ฉบับที่', 'version')} ${c.document.version}` : L(p, 'ร่าง', 'draft')}</a></p>` : ''}
    <p class="no-print">${c.process === 'information_request' ? html`<a href="/governance/cases/${c.id}/form">${L(p, 'แบบฟอร์ม ISMS-FRM-ITD-040 (พิมพ์)', 'Form ISMS-FRM-ITD-040 (print)')}</a>` : ''}
      ${disclosed ? html` · <a href="/governance/cases/${c.id}/letter.pdf" download>${L(p, 'หนังสือหลักฐานการเปิดเผยข้อมูล (PDF)', 'Evidence letter (PDF)')}</a>` : ''}
      ${c.subjects.filter((s: any) => s.type === 'dataset').map((s: any) => html` · <a href="/dataset/${s.id}">${L(p, 'ชุดข้อมูล', 'Dataset')}</a>`)}</p>
    <h2>${L(p, 'แผนภาพกระบวนการ', 'Process diagram')}</h2>
    <figure class="diagram-wrap">${raw(svg)}<figcaption class="hint">${L(p, 'กรอบสีเข้ม: สถานะปัจจุบัน · สีอ่อนและเส้นหนา: เส้นทางที่ผ่านมา', 'Dark box: current state · light boxes and bold arrows: the path taken')}</figcaption></figure>
    ${c.next.length ? html`<h2>${L(p, 'ขั้นตอนที่ท่านดำเนินการได้', 'Steps you may take')}</h2><div class="step-forms">${c.next.map((n: NextView) => stepForm(p, c, n, failed?.step === n.name ? failed.values : {}, failed?.step === n.name ? failed.errors : {}))}</div>` : ''}
    ${failed && !c.next.some((n: NextView) => n.name === failed.step) ? errorBox(p, failed.errors, {}) : ''}
    ${factRows(p, c)}
    ${c.process === 'annual_review' ? replyRows(p, c) : ''}
    ${timeline(p, c)}`;
  return render(p, `${c.number} ${c.process_label}`, body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [c.number]], noindex: true }, failed ? 400 : 200);
}

async function stepPost(p: PageCtx, id: string) {
  if (!signedIn(p)) return errorPage(p, 403);
  const transition = String(p.body.transition ?? '');
  const shown = await call<any>(p, 'case_show', { id });
  const def = (shown.next as NextView[]).find((n) => n.name === transition);
  const inputs = def ? readInputs(p.body, def.inputs) : {};
  const reason = typeof p.body.reason === 'string' ? p.body.reason : '';
  try {
    await call(p, 'case_transition', { id, transition, reason, inputs, ...(typeof p.body.version === 'string' && /^\d+$/.test(p.body.version) ? { version: Number(p.body.version) } : {}) });
  } catch (e) {
    const errors = errorsOf(p, e);
    if (!errors) throw e;
    return casePage(p, id, { step: transition, values: { ...inputs, reason }, errors });
  }
  return redirect(p, `/governance/cases/${shown.id}`);
}

async function letterPdf(p: PageCtx, id: string) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const r = await call<{ filename: string; data: string }>(p, 'evidence_letter_show', { id });
  return p.reply
    .type('application/pdf')
    .header('Content-Disposition', `attachment; filename="${r.filename.replace(/[^\w.-]/g, '_')}"`)
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .send(Buffer.from(r.data, 'base64'));
}

export function caseRoutes(scope: FastifyInstance, web: Web): void {
  scope.get('/governance', page(web, listPage));
  scope.get<{ Params: { id: string } }>('/governance/cases/:id', page(web, (p) => casePage(p, (p.req.params as { id: string }).id)));
  scope.post<{ Params: { id: string } }>('/governance/cases/:id/step', form(web, (p) => stepPost(p, (p.req.params as { id: string }).id)));
  scope.get<{ Params: { id: string } }>('/governance/cases/:id/letter.pdf', page(web, (p) => letterPdf(p, (p.req.params as { id: string }).id)));
}
