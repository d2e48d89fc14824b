import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, may, page, redirect, render, type PageCtx, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { CODES } from '../../../actions/governance/agreements-shared.ts';
import { FLAGS, type ItemState, type MonitorItem } from '../../../exchange/monitoring/state.ts';
import { L } from '../governance/common.ts';
import { timeEl } from '../../format.ts';

/** P10 dashboard: counts as seed 003 shows them, by partner and by frequency, as SVG charts with the same numbers in tables. */
interface Count { delivered: number; waiting: number; late: number; total: number }
interface Dashboard extends Count {
  by_partner: (Count & { partner: string; partner_id: string })[];
  by_frequency: (Count & { frequency: string; label: { th: string; en: string } | null })[];
  flags: { flag: string; label: { th: string; en: string }; computed: boolean; count: number }[];
  items: MonitorItem[];
  items_offset: number;
}

const COLORS: Record<ItemState, string> = { delivered: '#2e7d32', waiting: '#f9a825', late: '#c62828' };
const STATE_LABEL: Record<ItemState, [string, string]> = { delivered: ['ส่งข้อมูลแล้ว', 'Delivered'], waiting: ['รอส่งข้อมูล', 'Waiting'], late: ['ล่าช้า', 'Late'] };
const STATES: ItemState[] = ['delivered', 'waiting', 'late'];

/** Stacked horizontal bars (delivered / waiting / late) with each number written in its segment's row label. */
export function stackedChart(p: PageCtx, title: string, rows: { label: string; c: Count }[]): Html {
  const max = Math.max(1, ...rows.map((r) => r.c.total));
  const h = 26, width = 680, labelW = 240, barW = width - labelW - 120;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${rows.length * h + 52}" width="100%" aria-label="${title}">
    <title>${title}</title><text x="0" y="16" font-size="14" font-weight="bold">${title}</text>
    ${STATES.map((s, i) => html`<g transform="translate(${labelW + i * 130} 22)"><rect width="12" height="12" fill="${COLORS[s]}"></rect><text x="16" y="11" font-size="12">${L(p, ...STATE_LABEL[s])}</text></g>`)}
    ${rows.map((r, i) => {
      let x = labelW;
      return html`<g transform="translate(0 ${46 + i * h})"><text x="${labelW - 8}" y="16" font-size="12" text-anchor="end">${r.label}</text>
        ${STATES.map((s) => {
          const w = Math.round((r.c[s] / max) * barW);
          const seg = w ? html`<rect x="${x}" y="4" height="16" width="${w}" fill="${COLORS[s]}"><title>${L(p, ...STATE_LABEL[s])}: ${r.c[s]}</title></rect>` : '';
          x += w;
          return seg;
        })}
        <text x="${x + 6}" y="16" font-size="12">${r.c.delivered}/${r.c.waiting}/${r.c.late}</text></g>`;
    })}
  </svg>`;
}

function countTable(p: PageCtx, head: string, rows: { label: string; c: Count }[]): Html {
  return html`<table><thead><tr><th>${head}</th>${STATES.map((s) => html`<th>${L(p, ...STATE_LABEL[s])}</th>`)}<th>${L(p, 'รวม', 'Total')}</th></tr></thead><tbody>
    ${rows.map((r) => html`<tr><td>${r.label}</td>${STATES.map((s) => html`<td>${r.c[s]}</td>`)}<td>${r.c.total}</td></tr>`)}</tbody></table>`;
}

function filters(p: PageCtx): Record<string, string> {
  const q = p.req.query as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of ['flag', 'state', 'frequency', 'partner']) if (typeof q[k] === 'string' && q[k]) out[k] = (q[k] as string).slice(0, 60);
  return out;
}

export function monitoringRoutes(app: FastifyInstance, web: Web): void {
  app.get('/exchange/monitoring', page(web, async (p) => {
    const f = filters(p);
    const pageNo = Math.max(1, Math.min(10_000, Number((p.req.query as Record<string, unknown>).page) || 1));
    const d = await call<Dashboard>(p, 'monitor_dashboard', { ...f, limit: ITEMS_PAGE, offset: (pageNo - 1) * ITEMS_PAGE });
    const title = L(p, 'ติดตามการเชื่อมโยงข้อมูล', 'Integration monitoring');
    const link = (over: Record<string, string | null>) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...f, ...over })) if (v) q.set(k, v);
      return `/exchange/monitoring${q.size ? `?${q}` : ''}`;
    };
    const partners = d.by_partner.map((r) => ({ label: r.partner, c: r }));
    const freqs = d.by_frequency.map((r) => ({ label: r.label ? L(p, r.label.th, r.label.en) : r.frequency, c: r }));
    const body = html`<h1>${title}</h1>
      <section aria-label="${L(p, 'สรุป', 'Summary')}"><p class="summary-figures">
        <strong>${d.total}</strong> ${L(p, 'รายการ', 'items')} ·
        ${STATES.map((s) => html`<a href="${link({ state: s })}">${L(p, ...STATE_LABEL[s])} <strong>${d[s]}</strong> ${L(p, 'รายการ', 'items')}</a> · `)}
        ${Object.keys(f).length ? html`<a href="/exchange/monitoring">${L(p, 'ล้างตัวกรอง', 'Clear filters')}</a>` : ''}</p></section>
      <section><h2>${L(p, 'ข้อจำกัดการเชื่อมโยงข้อมูล', 'Known limits')}</h2><ul>
        ${d.flags.map((x) => html`<li><a href="${link({ flag: f.flag === x.flag ? null : x.flag })}"${f.flag === x.flag ? html` aria-current="true"` : ''}>${L(p, x.label.th, x.label.en)}</a>: ${x.count}</li>`)}</ul></section>
      <section><h2>${L(p, 'จำแนกตามหน่วยงานคู่เชื่อมโยง', 'By partner')}</h2>
        ${stackedChart(p, L(p, 'รายการจำแนกตามหน่วยงาน', 'Items by partner'), partners)}${countTable(p, L(p, 'หน่วยงาน', 'Partner'), partners)}</section>
      <section><h2>${L(p, 'ความถี่การส่งข้อมูลตามมิติเวลา', 'By delivery frequency')}</h2>
        ${stackedChart(p, L(p, 'รายการจำแนกตามความถี่', 'Items by frequency'), freqs)}${countTable(p, L(p, 'ความถี่', 'Frequency'), freqs)}</section>
      <section><h2>${L(p, 'รายการเชื่อมโยง', 'Linkage items')}</h2>
        <table><thead><tr><th>${L(p, 'เลขที่', 'Number')}</th><th>${L(p, 'ชุดข้อมูล', 'Dataset')}</th><th>${L(p, 'คู่เชื่อมโยง', 'Partner')}</th><th>${L(p, 'ความถี่', 'Frequency')}</th><th>${L(p, 'ส่งล่าสุด', 'Last delivery')}</th><th>${L(p, 'สถานะ', 'State')}</th><th>${L(p, 'ข้อจำกัด', 'Limits')}</th></tr></thead><tbody>
        ${d.items.map((i) => html`<tr><td><a href="/governance/linkages/${i.linkage_id}">${i.number}</a></td><td>${i.dataset_title ?? i.dataset_name ?? '—'}</td><td>${i.partner_title}</td>
          <td>${(() => { const c = CODES.delivery_frequency.find((x) => x.value === i.frequency); return c ? L(p, c.label.th, c.label.en) : i.frequency; })()}</td>
          <td>${i.last_delivery ? timeEl(p.lang, i.last_delivery, true) : '—'}</td><td>${L(p, ...STATE_LABEL[i.state])}</td>
          <td>${i.flags.map((x) => { const fl = FLAGS.find((y) => y.value === x); return fl ? L(p, fl.label.th, fl.label.en) : x; }).join('; ')}
            ${may(p, 'monitor_flag_set', { owner_org: i.owner_org }) ? flagForm(p, i) : ''}</td></tr>`)}</tbody></table>
        ${itemPager(p, d, pageNo, (n) => link({ page: n > 1 ? String(n) : null }))}</section>`;
    return render(p, title, body, { breadcrumbs: [[L(p, 'การแลกเปลี่ยนข้อมูล', 'Exchange'), '/exchange'], [title]] });
  }));
  app.post('/exchange/monitoring/flags', form(web, async (p) => {
    const flags = Array.isArray(p.body.flags) ? p.body.flags : p.body.flags ? [p.body.flags] : [];
    await call(p, 'monitor_flag_set', { linkage_id: p.body.linkage_id, dataset_id: p.body.dataset_id || undefined, flags, note: p.body.note ?? '' });
    return redirect(p, '/exchange/monitoring');
  }));
}

const ITEMS_PAGE = 200;

/** Which items of how many the table shows, and the pages before and after (the counts above are of all of them). */
function itemPager(p: PageCtx, d: Dashboard, pageNo: number, href: (n: number) => string): Html {
  if (d.total <= ITEMS_PAGE && pageNo === 1) return html``;
  const first = d.items.length ? d.items_offset + 1 : 0;
  const last = d.items_offset + d.items.length;
  const pages = Math.max(1, Math.ceil(d.total / ITEMS_PAGE));
  return html`<nav aria-label="${L(p, 'หน้ารายการ', 'Item pages')}"><p>${L(p, `แสดงรายการที่ ${first}–${last} จาก ${d.total} รายการ`, `Items ${first}–${last} of ${d.total}`)}
    ${pageNo > 1 ? html` · <a href="${href(pageNo - 1)}" rel="prev">${L(p, 'ก่อนหน้า', 'Previous')}</a>` : ''}
    ${pageNo < pages ? html` · <a href="${href(pageNo + 1)}" rel="next">${L(p, 'ถัดไป', 'Next')}</a>` : ''}</p></nav>`;
}

function flagForm(p: PageCtx, i: MonitorItem): Html {
  return html`<details><summary>${L(p, 'ตั้งข้อจำกัด', 'Set limits')}</summary><form method="post" action="/exchange/monitoring/flags">${csrfField(p)}
    <input type="hidden" name="linkage_id" value="${i.linkage_id}"><input type="hidden" name="dataset_id" value="${i.dataset_id ?? ''}">
    ${FLAGS.filter((x) => !x.computed).map((x) => html`<label><input type="checkbox" name="flags" value="${x.value}"${i.flags.includes(x.value) ? html` checked` : ''}> ${L(p, x.label.th, x.label.en)}</label><br>`)}
    <label>${L(p, 'หมายเหตุ', 'Note')} <input name="note" maxlength="2000"></label> <button type="submit">${L(p, 'บันทึก', 'Save')}</button></form></details>`;
}
