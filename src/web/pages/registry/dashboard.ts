import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, page, render, type Web } from '../../context.ts';
import { barChart } from '../governance/kpi.ts';
import { L } from './common.ts';
import { STATES } from '../../../registry/actions.ts';
import { usageSection, type UsageSummary } from './usage.ts';

interface Dashboard {
  total: number;
  states: Array<{ state: string; label: string; count: number }>;
  agencies: Array<{ name: string; title: string; total: number; states: Record<string, number> }>;
  catalog_kinds: Array<{ kind: string; label: string; count: number }>;
}

/** Registration counts by state, by agency and by catalog kind: server-rendered SVG charts with the same numbers in tables. */
export function registryDashboardRoutes(app: FastifyInstance, web: Web): void {
  app.get('/registry/dashboard', page(web, async (p) => {
    const d = await call<Dashboard>(p, 'registration_dashboard', {});
    const usage = await call<UsageSummary>(p, 'registry_usage_summary', {});
    const title = L(p, 'ภาพรวมการลงทะเบียน', 'Registration dashboard');
    const body = html`<h1>${title}</h1>
      <p>${L(p, `ทั้งหมด ${d.total} รายการ`, `${d.total} registrations`)}</p>
      ${barChart(L(p, 'จำนวนตามสถานะ', 'By state'), d.states.map((s) => ({ label: `${s.state} ${s.label}`, value: s.count })))}
      <table class="data"><caption>${L(p, 'จำนวนตามสถานะ', 'By state')}</caption>
        <thead><tr><th scope="col">${L(p, 'สถานะ', 'State')}</th><th scope="col">${L(p, 'จำนวน', 'Count')}</th></tr></thead>
        <tbody>${d.states.map((s) => html`<tr><th scope="row">${s.state} ${s.label}</th><td>${String(s.count)}</td></tr>`)}</tbody></table>
      ${barChart(L(p, 'จำนวนตามหน่วยงาน', 'By agency'), d.agencies.map((a) => ({ label: a.title, value: a.total })))}
      <table class="data"><caption>${L(p, 'จำนวนตามหน่วยงานและสถานะ', 'By agency and state')}</caption>
        <thead><tr><th scope="col">${L(p, 'หน่วยงาน', 'Agency')}</th>${STATES.map((s) => html`<th scope="col">${s}</th>`)}<th scope="col">${L(p, 'รวม', 'Total')}</th></tr></thead>
        <tbody>${d.agencies.map((a) => html`<tr><th scope="row">${a.title}</th>${STATES.map((s) => html`<td>${String(a.states[s] ?? 0)}</td>`)}<td>${String(a.total)}</td></tr>`)}</tbody></table>
      ${barChart(L(p, 'จำนวนตามประเภทบัญชีข้อมูล', 'By catalog kind'), d.catalog_kinds.map((k) => ({ label: k.label, value: k.count })))}
      <table class="data"><caption>${L(p, 'จำนวนตามประเภทบัญชีข้อมูล', 'By catalog kind')}</caption>
        <thead><tr><th scope="col">${L(p, 'ประเภทบัญชีข้อมูล', 'Catalog kind')}</th><th scope="col">${L(p, 'จำนวน', 'Count')}</th></tr></thead>
        <tbody>${d.catalog_kinds.map((k) => html`<tr><th scope="row">${k.label}</th><td>${String(k.count)}</td></tr>`)}</tbody></table>
      ${usageSection(p, usage)}`;
    return render(p, title, body, { breadcrumbs: [[title]], noindex: true });
  }));
}
