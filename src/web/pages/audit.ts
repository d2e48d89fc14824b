import type { FastifyInstance } from 'fastify';
import { AuthorizationError, ValidationError, localizeErrors } from '../../actions/errors.ts';
import { html, type Html } from '../html.ts';
import { call, page, render, type PageCtx, type Web } from '../context.ts';
import { timeEl } from '../format.ts';
import { errorList, errorSummary, type FormErrors } from '../components/form-fields.ts';
import type { MessageKey } from '../i18n/index.ts';
import { AUDIT_EXPORT_MAX, type AuditEntry } from '../../actions/audit-search.ts';

/** The audit log for sysadmins: filters in the query string (a bookmarkable search), CSV of the same. */
const FILTERS = ['actor', 'action', 'object_type', 'object_id', 'from', 'to', 'q'] as const;
const LABELS: Record<(typeof FILTERS)[number], MessageKey> = {
  actor: 'audit.actor', action: 'audit.action', object_type: 'audit.object_type', object_id: 'audit.object_id', from: 'audit.from', to: 'audit.to', q: 'audit.q',
};
const PAGE = 50;

function requireSysadmin(p: PageCtx): void {
  if (p.actor.kind !== 'user' || !p.actor.user.sysadmin) throw new AuthorizationError();
}

function filtersOf(p: PageCtx): Record<string, string> {
  const q = p.req.query as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const f of FILTERS) if (typeof q[f] === 'string' && q[f]) out[f] = String(q[f]).slice(0, 200);
  return out;
}

function qs(filters: Record<string, string>, extra: Record<string, string> = {}): string {
  const s = new URLSearchParams({ ...filters, ...extra }).toString();
  return s ? `?${s}` : '';
}

function filterForm(p: PageCtx, filters: Record<string, string>, errors: FormErrors): Html {
  const { t } = p;
  const input = (f: (typeof FILTERS)[number]) => {
    const err = errors[f]?.length;
    const type = f === 'from' || f === 'to' ? 'date' : 'text';
    return html`<div class="field${err ? ' has-error' : ''}"><label for="field-${f}">${t(LABELS[f])}</label>${errorList(errors, f)}
      <input id="field-${f}" name="${f}" type="${type}" value="${filters[f] ?? ''}"${err ? html` aria-invalid="true" aria-describedby="err-${f}"` : ''}></div>`;
  };
  return html`<form method="get" action="/ckan-admin/audit" class="filters" role="search" aria-label="${t('audit.filters')}">
    <div class="filter-grid">${FILTERS.map(input)}</div>
    <p class="help">${t('audit.help')}</p>
    <button type="submit">${t('search.submit')}</button> <a href="/ckan-admin/audit">${t('audit.clear')}</a>
  </form>`;
}

function detailText(d: Record<string, unknown>): string {
  const s = JSON.stringify(d);
  return s === '{}' ? '' : s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

interface VerifyView {
  intact: boolean;
  problems: number;
  first_problem: { seq: number | null; batch: number | null; kind: string; reason: string } | null;
  rows_checked: number;
  batches: number;
  unsealed: number;
  seconds: number;
  witness: { batch: number; matches: boolean } | null;
}

/** What each kind of problem means, in the reader's language (the verifier's reason is technical English). */
const PROBLEM_KINDS: Record<string, { th: string; en: string }> = {
  edited: { th: 'เนื้อหาของแถวถูกแก้ไข', en: 'the row was edited' },
  deleted: { th: 'แถวถูกลบ', en: 'a row was deleted' },
  inserted: { th: 'มีแถวถูกแทรกเข้ามา', en: 'a row was inserted' },
  reordered: { th: 'ลำดับของแถวถูกสลับ', en: 'rows were reordered' },
  checkpoint: { th: 'จุดตรวจสอบ (checkpoint) ถูกแก้ไขหรือแทนที่', en: 'a checkpoint was altered or replaced' },
  signature: { th: 'ลายมือชื่อดิจิทัลของจุดตรวจสอบไม่ถูกต้อง', en: 'a checkpoint signature does not verify' },
  cut_off: { th: 'ส่วนท้ายของบันทึกถูกตัดทิ้ง', en: 'the end of the log was cut off' },
};

export function auditRoutes(app: FastifyInstance, web: Web): void {
  app.get('/ckan-admin/audit', page(web, async (p) => {
    requireSysadmin(p);
    const { t, lang } = p;
    const filters = filtersOf(p);
    const pageNo = Math.max(1, Math.min(100_000, Number((p.req.query as Record<string, unknown>).page) || 1));
    let errors: FormErrors = {};
    let found: { count: number; results: AuditEntry[]; export_parts?: Array<string | null> } = { count: 0, results: [] };
    try {
      found = await call(p, 'audit_search', { ...filters, limit: PAGE, offset: (pageNo - 1) * PAGE, ...(pageNo === 1 ? { export_parts: true } : {}) });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      errors = localizeErrors(e.errors, lang);
    }
    const pages = Math.max(1, Math.ceil(found.count / PAGE));
    const body = html`<h1>${t('admin.audit')}</h1>
      <p><a href="/ckan-admin">${t('nav.admin')}</a></p>
      ${errorSummary(p, errors, (f) => (f in LABELS ? t(LABELS[f as keyof typeof LABELS]) : f))}
      ${filterForm(p, filters, errors)}
      <p>${t('audit.count', { n: found.count })} · <a href="/ckan-admin/audit.csv${qs(filters)}" download>${t('audit.csv')}</a></p>
      ${found.export_parts ? html`<p>${t('audit.csv_parts', { n: AUDIT_EXPORT_MAX.toLocaleString('en-US') })}</p>
        <ul class="chips">${found.export_parts.map((before, i) => html`<li><a href="/ckan-admin/audit.csv${qs(filters, before ? { before_seq: before } : {})}" download>${t('audit.csv_part', { n: i + 1 })}</a></li>`)}</ul>` : ''}
      <div class="table-scroll"><table class="data">
        <caption class="visually-hidden">${t('admin.audit')}</caption>
        <thead><tr><th scope="col">#</th><th scope="col">${t('audit.when')}</th><th scope="col">${t('audit.actor')}</th><th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.object')}</th><th scope="col">${t('audit.address')}</th><th scope="col">${t('audit.detail')}</th></tr></thead>
        <tbody>${found.results.map((r) => html`<tr>
          <td>${r.seq}</td><td>${timeEl(lang, r.at)}</td>
          <td><a href="/ckan-admin/audit${qs({ actor: r.actor_name || r.actor_id || '' })}">${r.actor_name || '—'}</a></td>
          <td><a href="/ckan-admin/audit${qs({ action: r.action })}">${r.action}</a></td>
          <td>${r.object_type}${r.object_id ? html` <a class="mono" href="/ckan-admin/audit${qs({ object_id: r.object_id })}">${r.object_id.slice(0, 8)}</a>` : ''}</td>
          <td>${r.ip}</td><td class="mono small">${detailText(r.detail)}</td></tr>`)}</tbody>
      </table></div>
      ${pages > 1 ? html`<nav aria-label="${t('audit.pages')}" class="pagination"><ul>
        ${pageNo > 1 ? html`<li><a rel="prev" href="/ckan-admin/audit${qs(filters, { page: String(pageNo - 1) })}">${t('audit.newer')}</a></li>` : ''}
        <li aria-current="page">${t('audit.page_of', { n: pageNo, total: pages })}</li>
        ${pageNo < pages ? html`<li><a rel="next" href="/ckan-admin/audit${qs(filters, { page: String(pageNo + 1) })}">${t('audit.older')}</a></li>` : ''}
      </ul></nav>` : ''}`;
    return render(p, t('admin.audit'), body, { breadcrumbs: [[t('nav.admin'), '/ckan-admin'], [t('admin.audit')]], noindex: true }, Object.keys(errors).length ? 400 : 200);
  }));

  // The verification an auditor reads: what was checked, and the first problem named by row, kind and reason.
  app.get('/ckan-admin/audit/verify', page(web, async (p) => {
    requireSysadmin(p);
    const v = await call<VerifyView>(p, 'audit_verify', {});
    const L = (th: string, en: string) => (p.lang === 'en' ? en : th);
    const title = L('ตรวจสอบความครบถ้วนของบันทึกการใช้งาน', 'Audit log verification');
    const fp = v.first_problem;
    const kind = fp ? PROBLEM_KINDS[fp.kind] ?? { th: fp.kind, en: fp.kind } : null;
    const body = html`<h1>${title}</h1>
      <p><a href="/ckan-admin/audit">${p.t('admin.audit')}</a></p>
      ${v.intact
        ? html`<div class="notice" role="status"><p><strong>${L('ครบถ้วน ไม่พบการแก้ไข ลบ แทรก หรือสลับลำดับ', 'Intact: nothing edited, deleted, inserted or reordered')}</strong></p></div>`
        : html`<div class="notice notice-error" role="alert"><p><strong>${L(`พบปัญหา ${v.problems} รายการ`, `${v.problems} problem(s) found`)}</strong></p>
            <p>${L('ปัญหาแรก', 'First problem')}: ${fp?.seq != null ? html`${L('แถวที่', 'row')} ${fp.seq}` : ''}${fp?.batch != null ? html` (${L('ชุดที่ลงนาม', 'sealed batch')} ${fp.batch})` : ''} — <strong>${kind ? L(kind.th, kind.en) : ''}</strong></p>
            <p class="mono small">${fp?.reason ?? ''}</p></div>`}
      <table class="data"><tbody>
        <tr><th scope="row">${L('แถวที่ตรวจ', 'Rows checked')}</th><td>${v.rows_checked}</td></tr>
        <tr><th scope="row">${L('ชุดที่ลงนามแล้ว', 'Sealed batches')}</th><td>${v.batches}</td></tr>
        <tr><th scope="row">${L('แถวที่ยังไม่ได้ลงนาม (ตรวจกับค่าแฮชของแถวแล้ว)', 'Rows not sealed yet (checked against their own hash)')}</th><td>${v.unsealed}</td></tr>
        <tr><th scope="row">${L('สำเนาพยานนอกฐานข้อมูล', 'Witness copy outside the database')}</th><td>${v.witness ? (v.witness.matches ? L(`ตรงกับชุดที่ ${v.witness.batch}`, `matches batch ${v.witness.batch}`) : L(`ไม่ตรงกับชุดที่ ${v.witness.batch}`, `does not match batch ${v.witness.batch}`)) : L('ไม่มี', 'none')}</td></tr>
        <tr><th scope="row">${L('เวลาที่ใช้', 'Time taken')}</th><td>${v.seconds} ${L('วินาที', 's')}</td></tr>
      </tbody></table>
      <p><a href="/ckan-admin/audit.csv" download>${p.t('audit.csv')}</a></p>`;
    return render(p, title, body, { breadcrumbs: [[p.t('nav.admin'), '/ckan-admin'], [p.t('admin.audit'), '/ckan-admin/audit'], [title]], noindex: true }, v.intact ? 200 : 409);
  }));

  app.get('/ckan-admin/audit.csv', page(web, async (p) => {
    requireSysadmin(p);
    const filters = filtersOf(p);
    const before = (p.req.query as Record<string, unknown>).before_seq;
    const out = await call<{ csv: string; count: number; total: number; truncated: boolean; next_before_seq: string | null }>(p, 'audit_export', { ...filters, ...(typeof before === 'string' && before ? { before_seq: before } : {}) });
    // A part of a larger export says so in its name and headers, with where the next part starts.
    const name = out.truncated || before ? `audit-log-part-${typeof before === 'string' && before ? `before-${before.replace(/\D/g, '')}` : 'newest'}.csv` : 'audit-log.csv';
    if (out.next_before_seq) p.reply.header('Link', `</ckan-admin/audit.csv${qs(filters, { before_seq: out.next_before_seq })}>; rel="next"`);
    const { csv } = out;
    return p.reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .header('X-Total-Count', String(out.total))
      .header('Cache-Control', 'no-store')
      .send(csv);
  }));
}
