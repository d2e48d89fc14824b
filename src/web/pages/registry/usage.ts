import { html, type Html } from '../../html.ts';
import type { PageCtx } from '../../context.ts';
import { barChart } from '../governance/kpi.ts';
import { L } from './common.ts';

export interface UsageSummary {
  months: Array<{ month: string; views: number; downloads: number }>;
  agencies: Array<{ name: string; title: string; views: number; downloads: number }>;
  datasets: Array<{ title: string; name: string; agency: string; views: number; downloads: number }>;
}

/** Thai month label: "พ.ย. 2569" (Buddhist era), English "2026-11". */
function monthLabel(p: PageCtx, month: string): string {
  if (p.lang === 'en') return month;
  const [y, m] = month.split('-').map(Number) as [number, number];
  const names = ['ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.'];
  return `${names[m - 1]} ${y + 543}`;
}

/** Usage the agencies reported for registered datasets: SVG bars per month and by agency, the same numbers in tables. */
export function usageSection(p: PageCtx, u: UsageSummary): Html {
  const head = (first: string) => html`<thead><tr><th scope="col">${first}</th><th scope="col">${L(p, 'การเข้าชม', 'Views')}</th><th scope="col">${L(p, 'การดาวน์โหลด', 'Downloads')}</th></tr></thead>`;
  return html`<section aria-labelledby="usage-title">
    <h2 id="usage-title">${L(p, 'สถิติการใช้งานชุดข้อมูลที่ลงทะเบียน', 'Usage of registered datasets')}</h2>
    <p class="muted">${L(p, 'ตัวเลขรายเดือนที่ได้รับจากบัญชีข้อมูลของหน่วยงานระหว่างการเก็บเกี่ยว (เวลาประเทศไทย)', 'Monthly figures collected from the agency catalogs during harvest (Asia/Bangkok months)')}</p>
    ${barChart(L(p, 'การเข้าชมรายเดือน', 'Views per month'), u.months.map((m) => ({ label: monthLabel(p, m.month), value: m.views })))}
    ${barChart(L(p, 'การดาวน์โหลดรายเดือน', 'Downloads per month'), u.months.map((m) => ({ label: monthLabel(p, m.month), value: m.downloads })))}
    <table class="data"><caption>${L(p, 'การใช้งานรายเดือน', 'Usage per month')}</caption>${head(L(p, 'เดือน', 'Month'))}
      <tbody>${u.months.map((m) => html`<tr><th scope="row">${monthLabel(p, m.month)}</th><td>${String(m.views)}</td><td>${String(m.downloads)}</td></tr>`)}</tbody></table>
    ${u.agencies.length ? barChart(L(p, 'การเข้าชมตามหน่วยงาน', 'Views by agency'), u.agencies.map((a) => ({ label: a.title, value: a.views }))) : ''}
    <table class="data"><caption>${L(p, 'การใช้งานตามหน่วยงาน', 'Usage by agency')}</caption>${head(L(p, 'หน่วยงาน', 'Agency'))}
      <tbody>${u.agencies.length ? u.agencies.map((a) => html`<tr><th scope="row">${a.title}</th><td>${String(a.views)}</td><td>${String(a.downloads)}</td></tr>`) : html`<tr><td colspan="3">${L(p, 'ยังไม่มีข้อมูล', 'No figures yet')}</td></tr>`}</tbody></table>
    <table class="data"><caption>${L(p, 'ชุดข้อมูลที่มีการใช้งานมากที่สุด', 'Most used datasets')}</caption>
      <thead><tr><th scope="col">${L(p, 'ชุดข้อมูล', 'Dataset')}</th><th scope="col">${L(p, 'หน่วยงาน', 'Agency')}</th><th scope="col">${L(p, 'การเข้าชม', 'Views')}</th><th scope="col">${L(p, 'การดาวน์โหลด', 'Downloads')}</th></tr></thead>
      <tbody>${u.datasets.map((d) => html`<tr><th scope="row">${d.title}</th><td>${d.agency}</td><td>${String(d.views)}</td><td>${String(d.downloads)}</td></tr>`)}</tbody></table>
  </section>`;
}
