import { html, type Html } from '../../html.ts';
import { call, type PageCtx } from '../../context.ts';
import { canEdit } from '../../components/dataset-header.ts';
import type { PackageDict } from '../../components/types.ts';
import { L, outcome } from './common.ts';

interface Shown {
  score: number;
  criteria: Array<{ key: string; label: string; weight: number; result: string; points: number; reason: string }>;
}

/** The quality panel of a dataset page, for those who may edit it (the agency's editors and admins). */
export async function qualityPanel(p: PageCtx, d: PackageDict): Promise<Html> {
  if (!canEdit(p, d)) return html``;
  const q = await call<Shown>(p, 'package_quality_show', { id: d.id as string });
  return html`<section class="quality" aria-labelledby="quality-title" id="quality">
    <h2 id="quality-title">${L(p, 'คุณภาพคำอธิบายชุดข้อมูล', 'Metadata quality')}: <strong>${String(q.score)}</strong>/100</h2>
    <table class="data">
      <thead><tr><th scope="col">${L(p, 'เกณฑ์', 'Criterion')}</th><th scope="col">${L(p, 'ผล', 'Result')}</th><th scope="col">${L(p, 'คะแนน', 'Points')}</th><th scope="col">${L(p, 'เหตุผล', 'Reason')}</th></tr></thead>
      <tbody>${q.criteria.map((c) => html`<tr><td>${c.label}</td><td>${outcome(p, c.result)}</td><td>${String(c.points)} / ${String(c.weight)}</td><td>${c.reason}</td></tr>`)}</tbody>
    </table>
    ${d.organization ? html`<p><a href="/organization/${encodeURIComponent(d.organization.name)}/quality">${L(p, 'คุณภาพชุดข้อมูลทั้งหน่วยงาน', "The organisation's quality scores")}</a></p>` : ''}
  </section>`;
}
