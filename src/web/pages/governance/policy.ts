import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import { formatDate } from '../../format.ts';
import { cssLink, errorBox, errorsOf, inputControl, L, type StepErrors } from './common.ts';
import { DOCUMENT_KINDS } from '../../../workflow/definitions.ts';
import { KIND_LABELS } from '../../../actions/governance/documents.ts';

/** Links to the published documents of the kinds a process applies (its page and its form). */
export function policyKindLinks(p: PageCtx, kinds: readonly string[] | undefined): Html {
  if (!kinds?.length) return html``;
  return html`<p class="hint">${L(p, 'นโยบายที่กระบวนการนี้ใช้', 'Policies this process applies')}: ${kinds.map((k, i) => html`${i ? ' · ' : ''}<a href="/policy?kind=${k}">${L(p, KIND_LABELS[k]?.th ?? k, KIND_LABELS[k]?.en ?? k)}</a>`)}</p>`;
}

/**
 * The agency's published data policy and integration manual (public: published versions only), the
 * governance office's drafts, and a unit's reply to the yearly review memo (P7).
 */

interface Doc {
  id: string;
  kind: string;
  kind_label: string;
  version: number | null;
  state: string;
  title: string;
  title_th: string;
  title_en: string;
  organization: string;
  organization_title: string;
  organization_id: string;
  change_note: string;
  published_at: string | null;
  modified: string;
  case_id?: string | null;
  case_number?: string | null;
  body_th?: string;
  body_en?: string;
  history?: Doc[];
}

const STATE_LABELS: Record<string, [string, string]> = {
  published: ['ฉบับที่ใช้อยู่', 'Current'],
  superseded: ['ฉบับเดิม (ถูกแทนที่)', 'Superseded'],
  draft: ['ร่าง (อยู่ระหว่างอนุมัติ)', 'Draft (under approval)'],
  withdrawn: ['ถอนแล้ว', 'Withdrawn'],
};
const stateLabel = (p: PageCtx, s: string) => L(p, ...(STATE_LABELS[s] ?? [s, s]));
const when = (p: PageCtx, t: string | null) => (t ? formatDate(p.lang, t + 'Z') : '-');

/** Paragraphs of a document's plain text (escaped; blank lines separate paragraphs). */
function paragraphs(text: string): Html {
  return html`${text.split(/\n\s*\n/).map((para) => html`<p>${para.split('\n').map((line, i) => (i ? html`<br>${line}` : html`${line}`))}</p>`)}`;
}

async function listPage(p: PageCtx) {
  const q = p.req.query as Record<string, unknown>;
  const filter: Record<string, string> = {};
  if (typeof q.kind === 'string' && DOCUMENT_KINDS.includes(q.kind)) filter.kind = q.kind;
  if (typeof q.organization === 'string' && /^[a-z0-9_-]{1,100}$/.test(q.organization)) filter.organization = q.organization;
  const r = await call<{ results: Doc[] }>(p, 'policy_document_list', filter);
  const byAgency = new Map<string, Doc[]>();
  for (const d of r.results) byAgency.set(d.organization_title, [...(byAgency.get(d.organization_title) ?? []), d]);
  const title = L(p, 'นโยบายข้อมูลและคู่มือของหน่วยงาน', 'Agencies\' data policies and manuals');
  const body = html`${cssLink()}<h1>${title}</h1>
    <p>${L(p, 'นโยบายข้อมูล 3 ส่วน (ความมั่นคงปลอดภัยและความเป็นส่วนตัว การประกันคุณภาพ การแลกเปลี่ยนข้อมูล) และคู่มือการบูรณาการเชื่อมโยงข้อมูล ฉบับที่ผ่านการอนุมัติและประกาศใช้แล้ว', 'The three parts of each agency\'s data policy (security and privacy, quality assurance, exchange) and its integration manual, as approved and published.')}</p>
    ${byAgency.size
      ? [...byAgency].map(([agency, docs]) => html`<h2>${agency}</h2><table><thead><tr><th scope="col">${L(p, 'เอกสาร', 'Document')}</th><th scope="col">${L(p, 'ประเภท', 'Kind')}</th><th scope="col">${L(p, 'ฉบับที่', 'Version')}</th><th scope="col">${L(p, 'ประกาศใช้', 'Published')}</th></tr></thead>
          <tbody>${docs.map((d) => html`<tr><td><a href="/policy/${d.id}">${d.title}</a></td><td>${d.kind_label}</td><td>${d.version ?? ''}</td><td>${when(p, d.published_at)}</td></tr>`)}</tbody></table>`)
      : html`<p>${L(p, 'ยังไม่มีเอกสารที่ประกาศใช้', 'Nothing published yet')}</p>`}`;
  return render(p, title, body, { breadcrumbs: [[title]] });
}

async function docPage(p: PageCtx, id: string) {
  const d = await call<Doc>(p, 'policy_document_show', { id });
  const first = p.lang === 'en' ? ['en', d.title_en, d.body_en] : ['th', d.title_th, d.body_th];
  const second = p.lang === 'en' ? ['th', d.title_th, d.body_th] : ['en', d.title_en, d.body_en];
  const body = html`${cssLink()}<h1>${d.title}</h1>
    <p>${d.organization_title} · ${d.kind_label} · ${L(p, 'ฉบับที่', 'Version')} ${d.version ?? '-'} · <span class="state-badge${d.state === 'published' ? '' : ' closed'}">${stateLabel(p, d.state)}</span>
      ${d.published_at ? html` · ${L(p, 'ประกาศใช้', 'Published')} ${when(p, d.published_at)}` : ''}</p>
    ${d.case_id ? html`<p class="hint">${L(p, 'เรื่องที่อนุมัติ', 'Approving case')}: <a href="/governance/cases/${d.case_id}">${d.case_number}</a></p>` : ''}
    ${d.change_note ? html`<p><strong>${L(p, 'สรุปการเปลี่ยนแปลง', 'What changed')}:</strong> ${d.change_note}</p>` : ''}
    <section lang="${first[0]}"><h2>${first[1]}</h2>${paragraphs(first[2] ?? '')}</section>
    <section lang="${second[0]}"><h2>${second[1]}</h2>${paragraphs(second[2] ?? '')}</section>
    <h2>${L(p, 'ประวัติฉบับ', 'Version history')}</h2>
    <table><thead><tr><th scope="col">${L(p, 'ฉบับที่', 'Version')}</th><th scope="col">${L(p, 'เอกสาร', 'Document')}</th><th scope="col">${L(p, 'สถานะ', 'State')}</th><th scope="col">${L(p, 'ประกาศใช้', 'Published')}</th><th scope="col">${L(p, 'สรุปการเปลี่ยนแปลง', 'What changed')}</th></tr></thead>
      <tbody>${(d.history ?? []).map((h) => html`<tr><td>${h.version ?? '-'}</td><td>${h.id === d.id ? h.title : html`<a href="/policy/${h.id}">${h.title}</a>`}</td><td>${stateLabel(p, h.state)}</td><td>${when(p, h.published_at)}</td><td>${h.change_note}</td></tr>`)}</tbody></table>`;
  const crumb = L(p, 'นโยบายข้อมูล', 'Data policy');
  return render(p, d.title, body, { breadcrumbs: [[crumb, '/policy'], [d.title]], ...(d.state === 'published' || d.state === 'superseded' ? {} : { noindex: true }) });
}

/** The governance office: drafts under approval, and the ways to start a new version or the yearly review. */
async function officePage(p: PageCtx) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const r = await call<{ results: Doc[] }>(p, 'policy_document_list', { drafts: true, history: true });
  const title = L(p, 'สำนักงานธรรมาภิบาลข้อมูล: นโยบายและคู่มือ', 'Governance office: policies and the manual');
  const body = html`${cssLink()}<h1>${title}</h1>
    <p class="no-print"><a class="button" href="/governance/new/data_policy">${L(p, 'เสนอนโยบายข้อมูลฉบับใหม่', 'Propose a new policy version')}</a>
      <a class="button secondary" href="/governance/new/annual_review">${L(p, 'เริ่มการทบทวนคู่มือประจำปี (P7)', 'Start the annual manual review (P7)')}</a>
      <a class="button secondary" href="/policy">${L(p, 'หน้าที่เผยแพร่', 'Public page')}</a></p>
    <table><thead><tr><th scope="col">${L(p, 'หน่วยงาน', 'Agency')}</th><th scope="col">${L(p, 'เอกสาร', 'Document')}</th><th scope="col">${L(p, 'ประเภท', 'Kind')}</th><th scope="col">${L(p, 'ฉบับที่', 'Version')}</th><th scope="col">${L(p, 'สถานะ', 'State')}</th><th scope="col">${L(p, 'เรื่อง', 'Case')}</th></tr></thead>
      <tbody>${r.results.map((d) => html`<tr><td>${d.organization_title}</td><td><a href="/policy/${d.id}">${d.title}</a></td><td>${d.kind_label}</td><td>${d.version ?? '-'}</td><td>${stateLabel(p, d.state)}</td><td>${d.case_id ? html`<a href="/governance/cases/${d.case_id}">${d.case_number}</a>` : ''}</td></tr>`)}</tbody></table>`;
  return render(p, title, body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [title]], noindex: true });
}

async function replyPage(p: PageCtx, id: string, unit: string, values: Record<string, unknown> = {}, errors: StepErrors = {}, saved = false) {
  if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
  const r = await call<any>(p, 'annual_review_reply_show', { id, unit });
  const labels = { needs: L(p, 'ความต้องการเชื่อมโยงข้อมูล', 'Linkage needs'), linkage_review: L(p, 'ผลการทบทวนการเชื่อมโยงเดิม', 'Review of existing linkages') };
  const v = (k: string) => values[k] ?? r.reply?.[k] ?? '';
  const title = L(p, `ตอบบันทึกทบทวนการเชื่อมโยงข้อมูล ปี ${r.review_year}`, `Reply to the ${r.review_year} linkage review memo`);
  const body = html`${cssLink()}<h1>${title}</h1>
    <p>${r.number} · ${r.unit.title} · ${L(p, 'ตอบภายใน', 'Reply by')} ${r.reply_by}</p>
    ${saved ? html`<p class="notice" role="status">${L(p, 'บันทึกคำตอบแล้ว', 'Reply saved')}</p>` : ''}
    <h2>${L(p, 'บันทึกแจ้ง', 'The memo')}</h2>${paragraphs(String(r.memo ?? ''))}
    <h2>${L(p, 'การเชื่อมโยงเดิมของหน่วยงาน', 'The unit\'s existing linkages')}</h2>
    ${r.linkages.length
      ? html`<table><thead><tr><th scope="col">${L(p, 'เลขที่', 'Number')}</th><th scope="col">${L(p, 'ทิศทาง', 'Direction')}</th><th scope="col">${L(p, 'คู่เชื่อมโยง', 'Partner')}</th><th scope="col">${L(p, 'วิธีการ', 'Method')}</th><th scope="col">${L(p, 'ความถี่', 'Frequency')}</th><th scope="col">${L(p, 'สถานะ', 'State')}</th></tr></thead>
        <tbody>${r.linkages.map((l: any) => html`<tr><td>${l.number}</td><td>${l.direction}</td><td>${l.partner}</td><td>${l.method}</td><td>${l.frequency}</td><td>${l.state}</td></tr>`)}</tbody></table>`
      : html`<p>${L(p, 'ไม่มีการเชื่อมโยงในทะเบียน', 'No linkages in the registry')}</p>`}
    ${r.open
      ? html`${errorBox(p, errors, labels)}<form method="post" action="/governance/reviews/${r.case_id}/reply/${r.unit.name}" novalidate>${csrfField(p)}
          ${inputControl('reply', { name: 'needs', type: 'text', label: labels.needs, required: true, max: 20000 }, v('needs'), errors)}
          ${inputControl('reply', { name: 'linkage_review', type: 'text', label: labels.linkage_review, required: true, max: 20000 }, v('linkage_review'), errors)}
          <button type="submit">${r.reply ? L(p, 'แก้ไขคำตอบ', 'Correct the reply') : L(p, 'ส่งคำตอบ', 'Send the reply')}</button></form>`
      : html`<p>${L(p, 'ปิดรับคำตอบแล้ว', 'Replies are closed')}</p>${r.reply ? html`<dl><dt>${labels.needs}</dt><dd>${r.reply.needs}</dd><dt>${labels.linkage_review}</dt><dd>${r.reply.linkage_review}</dd></dl>` : ''}`}`;
  return render(p, title, body, { breadcrumbs: [[L(p, 'ธรรมาภิบาลข้อมูล', 'Governance'), '/governance'], [title]], noindex: true }, Object.keys(errors).length ? 400 : 200);
}

async function replyPost(p: PageCtx, id: string, unit: string) {
  if (!signedIn(p)) return errorPage(p, 403);
  const values = { needs: String(p.body.needs ?? ''), linkage_review: String(p.body.linkage_review ?? '') };
  try {
    await call(p, 'annual_review_reply', { id, unit, ...values });
  } catch (e) {
    const errors = errorsOf(p, e);
    if (!errors) throw e;
    return replyPage(p, id, unit, values, errors);
  }
  return replyPage(p, id, unit, {}, {}, true);
}

export function policyRoutes(scope: FastifyInstance, web: Web): void {
  const param = (p: PageCtx, k: string) => String((p.req.params as Record<string, string>)[k] ?? '');
  scope.get('/policy', page(web, listPage));
  scope.get('/policy/:id', page(web, (p) => docPage(p, param(p, 'id'))));
  scope.get('/governance/policy', page(web, officePage));
  scope.get('/governance/reviews/:id/reply/:unit', page(web, (p) => replyPage(p, param(p, 'id'), param(p, 'unit'))));
  scope.post('/governance/reviews/:id/reply/:unit', form(web, (p) => replyPost(p, param(p, 'id'), param(p, 'unit'))));
}
