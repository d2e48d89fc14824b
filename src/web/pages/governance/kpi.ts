import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, page, render, type PageCtx, type Web } from '../../context.ts';
import type { KpiReport } from '../../../actions/governance/kpi.ts';
import { L, tt } from './agreements.ts';
import { timeEl } from '../../format.ts';
import { workflows } from '../../../actions/governance/agreements-shared.ts';

/** A process by its own name in the page's language, never its key. */
function processLabel(p: PageCtx, name: string): string {
  try {
    return L(p, workflows().get(name).def.label);
  } catch {
    return name;
  }
}

/** The KPI report (P7) as a page: server-rendered SVG bar charts, the same numbers in tables, and the CSV. */

/** A horizontal bar chart; readable without JavaScript, with a text title and each value written beside its bar. */
export function barChart(title: string, rows: { label: string; value: number }[], unit = ''): Html {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = 26;
  const width = 640;
  const labelW = 260;
  const barW = width - labelW - 80;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${rows.length * h + 30}" width="100%" aria-label="${title}">
    <title>${title}</title>
    <text x="0" y="16" font-size="14" font-weight="bold">${title}</text>
    ${rows.map((r, i) => html`<g transform="translate(0 ${30 + i * h})">
      <text x="${labelW - 8}" y="16" font-size="12" text-anchor="end">${r.label}</text>
      <rect x="${labelW}" y="4" height="16" width="${Math.max(1, Math.round((r.value / max) * barW))}" fill="#1f5fa8"></rect>
      <text x="${labelW + Math.round((r.value / max) * barW) + 6}" y="16" font-size="12">${String(r.value)}${unit}</text></g>`)}
  </svg>`;
}

function query(p: PageCtx): Record<string, unknown> {
  const q = p.req.query as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['from', 'to', 'expiring_within_days']) if (typeof q[k] === 'string' && q[k]) out[k] = (q[k] as string).slice(0, 40);
  return out;
}

export function kpiRoutes(app: FastifyInstance, web: Web): void {
  app.get('/governance/kpi', page(web, async (p) => {
    const q = query(p);
    const r = await call<KpiReport>(p, 'kpi_report', q);
    const title = tt(p, 'รายงานตัวชี้วัด (KPI) การบูรณาการข้อมูล', 'Integration KPI report');
    const steps = r.time_in_step;
    const body = html`<h1>${title}</h1>
      <form method="get" action="/governance/kpi" class="filters">
        <label>${tt(p, 'ยื่นตั้งแต่วันที่', 'Filed from')} <input type="date" name="from" value="${String(q.from ?? '')}"></label>
        <label>${tt(p, 'ถึงวันที่', 'to')} <input type="date" name="to" value="${String(q.to ?? '')}"></label>
        <label>${tt(p, 'สิทธิ์ที่จะหมดอายุภายใน (วัน)', 'Grants ending within (days)')} <input type="number" min="0" name="expiring_within_days" value="${String(q.expiring_within_days ?? '')}"></label>
        <button type="submit">${tt(p, 'แสดง', 'Show')}</button></form>
      <p><a href="/governance/kpi.csv${Object.keys(q).length ? `?${new URLSearchParams(q as Record<string, string>)}` : ''}">${tt(p, 'ดาวน์โหลด CSV', 'Download CSV')}</a></p>
      <h2>${tt(p, 'คำขอจำแนกตามผล', 'Requests by outcome')}</h2>
      ${barChart(tt(p, 'คำขอจำแนกตามผล', 'Requests by outcome'), r.requests_by_outcome.map((x) => ({ label: `${processLabel(p, x.process)}: ${L(p, x.label)}`, value: x.count })))}
      <table><thead><tr><th>${tt(p, 'กระบวนการ', 'Process')}</th><th>${tt(p, 'สถานะ', 'State')}</th><th>${tt(p, 'จำนวน', 'Count')}</th></tr></thead><tbody>
        ${r.requests_by_outcome.map((x) => html`<tr><td>${processLabel(p, x.process)}</td><td>${L(p, x.label)}</td><td>${x.count}</td></tr>`)}</tbody></table>
      <h2>${tt(p, 'เวลาในแต่ละขั้นตอน (ชั่วโมง)', 'Time in each step (hours)')}</h2>
      ${barChart(tt(p, 'ค่ามัธยฐาน (ชั่วโมง)', 'Median (hours)'), steps.map((x) => ({ label: `${processLabel(p, x.process)}: ${L(p, x.label)}`, value: x.median_hours })), ' h')}
      <table><thead><tr><th>${tt(p, 'กระบวนการ', 'Process')}</th><th>${tt(p, 'ขั้นตอน', 'Step')}</th><th>${tt(p, 'จำนวน', 'Count')}</th><th>${tt(p, 'มัธยฐาน', 'Median')}</th><th>${tt(p, 'เปอร์เซ็นไทล์ที่ 90', '90th percentile')}</th></tr></thead><tbody>
        ${steps.map((x) => html`<tr><td>${processLabel(p, x.process)}</td><td>${L(p, x.label)}</td><td>${x.count}</td><td>${x.median_hours}</td><td>${x.p90_hours}</td></tr>`)}</tbody></table>
      <h2>${tt(p, 'การเชื่อมโยงจำแนกตามสถานะ', 'Linkages by status')}</h2>
      ${barChart(tt(p, 'การเชื่อมโยงจำแนกตามสถานะ', 'Linkages by status'), r.linkages_by_status.map((x) => ({ label: L(p, x.label), value: x.count })))}
      <table><tbody>${r.linkages_by_status.map((x) => html`<tr><td>${L(p, x.label)}</td><td>${x.count}</td></tr>`)}</tbody></table>
      <h2>${tt(p, 'หนังสือหลักฐานการเปิดเผยข้อมูล (หลักเกณฑ์ข้อ 5)', 'Evidence letters (rule 5)')}</h2>
      <p>${tt(p, `ออกแล้ว ${r.evidence_letters.issued} ฉบับ · ดาวน์โหลด ${r.evidence_letters.downloads} ครั้ง`, `${r.evidence_letters.issued} issued · ${r.evidence_letters.downloads} download(s)`)}</p>
      <table><thead><tr><th>${tt(p, 'เรื่อง', 'Case')}</th><th>${tt(p, 'กระบวนการ', 'Process')}</th><th>${tt(p, 'สิ้นสุดเมื่อ', 'Closed')}</th><th>${tt(p, 'ดาวน์โหลด', 'Downloads')}</th><th>${tt(p, 'หนังสือ', 'Letter')}</th></tr></thead><tbody>
        ${r.evidence_letters.letters.map((l) => html`<tr><td><a href="/governance/cases/${l.case_id}">${l.number}</a></td><td>${processLabel(p, l.process)}</td><td>${l.closed_at ? timeEl(p.lang, l.closed_at, true) : ''}</td><td>${l.downloads}</td><td><a href="/governance/cases/${l.case_id}/letter.pdf" download>PDF</a></td></tr>`)}</tbody></table>
      <h2>${tt(p, `สิทธิ์ที่จะหมดอายุภายใน ${r.expiring_within_days} วัน`, `Grants ending within ${r.expiring_within_days} days`)}</h2>
      <table><thead><tr><th>${tt(p, 'สัญญา', 'Agreement')}</th><th>${tt(p, 'ชุดข้อมูล', 'Dataset')}</th><th>${tt(p, 'ผู้รับสิทธิ์', 'Grantee')}</th><th>${tt(p, 'สิ้นสุด', 'Ends')}</th></tr></thead><tbody>
        ${r.grants_expiring.map((g) => html`<tr><td>${g.agreement_number ?? ''}</td><td>${g.dataset_name}</td><td>${g.grantee_org_title ?? ''}</td><td>${g.expires_at ? timeEl(p.lang, g.expires_at, true) : ''}</td></tr>`)}</tbody></table>`;
    return render(p, title, body, { breadcrumbs: [[title]] });
  }));
  app.get('/governance/kpi.csv', page(web, async (p) => {
    const r = await call<{ csv: string }>(p, 'kpi_report', { ...query(p), format: 'csv' });
    return p.reply.code(200).type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="kpi-report.csv"').header('Cache-Control', 'no-store').send(r.csv);
  }));
}
