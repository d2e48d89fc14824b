import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { csvCell } from '../../util/csv-cell.ts';
import { ErrorBag, type Msg } from '../errors.ts';
import { isSysadmin } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import { naturalNumber } from '../params.ts';
import { checkTime, workflows } from './agreements-shared.ts';
import { listGrants } from './grants.ts';
import { visibleCasesSql } from './cases-engine.ts';

/** P7's KPI report: requests by outcome, time in each step (median, 90th percentile), linkages by status, grants expiring soon. */
export const REQUEST_PROCESSES = ['information_request', 'subject_request'];

export interface KpiReport {
  generated: string;
  period: { from: string | null; to: string | null };
  requests_by_outcome: { process: string; state: string; label: Msg; terminal: boolean; count: number }[];
  time_in_step: { process: string; state: string; label: Msg; count: number; median_hours: number; p90_hours: number }[];
  linkages_by_status: { state: string; label: Msg; count: number }[];
  grants_expiring: { id: string; dataset_name: string; grantee_org_title: string | null; agreement_number: string | null; expires_at: string | null }[];
  expiring_within_days: number;
  /** Rule 5: every finished disclosure has its evidence letter; how often each was taken (audit rows). */
  evidence_letters: { issued: number; downloads: number; letters: { case_id: string; number: string; process: string; closed_at: string | null; downloads: number }[] };
}

/** States after which a case has disclosed data, so its evidence letter exists. */
const DISCLOSED: Record<string, string> = { information_request: 'completed', subject_request: 'delivered' };

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function kpiReport(ctx: ActionContext, input: Record<string, unknown>): Promise<KpiReport> {
  const bag = new ErrorBag();
  // Bare dates are whole Bangkok days: to=2026-12-31 counts the cases filed on the 31st too.
  const from = checkTime(bag, 'from', input.from, false, 'start');
  const to = checkTime(bag, 'to', input.to, false, 'end');
  bag.throwIfAny();
  const days = naturalNumber(input, 'expiring_within_days', 3650) ?? 30;
  const orgs = isSysadmin(ctx.actor) ? null : [...new Set(ROLE_KEYS.flatMap((r) => orgsWithDuty(ctx.actor, r)))];
  const none = ['00000000-0000-0000-0000-000000000000'];
  const wf = workflows();
  // The cases the caller may open, by the list rule (a duty the process names, in the case's organisation).
  let cq = ctx.db.selectFrom('cases').select(['id', 'process', 'state', 'number', 'closed_at']).where(visibleCasesSql(ctx.actor, 'cases', { own: false }));
  if (from) cq = cq.where('created', '>=', from);
  if (to) cq = cq.where('created', '<', to);
  const cases = await cq.where('process', 'in', [...REQUEST_PROCESSES, 'publication', 'agreement', 'linkage']).limit(200_000).execute();
  const outcome = new Map<string, number>();
  for (const c of cases) if (REQUEST_PROCESSES.includes(c.process)) outcome.set(`${c.process}\u0000${c.state}`, (outcome.get(`${c.process}\u0000${c.state}`) ?? 0) + 1);
  const stateOf = (p: string, s: string) => wf.processes.get(p)?.states.get(s);
  const requests_by_outcome = [...outcome].map(([k, count]) => {
    const [process, state] = k.split('\u0000') as [string, string];
    return { process, state, label: stateOf(process, state)?.label ?? { th: state, en: state }, terminal: !!stateOf(process, state)?.terminal, count };
  }).sort((a, b) => a.process.localeCompare(b.process) || b.count - a.count);

  // Time in a step: from the event that entered the state to the event that left it.
  const durations = new Map<string, number[]>();
  const ids = cases.map((c) => c.id);
  const byId = new Map(cases.map((c) => [c.id, c.process]));
  for (let i = 0; i < ids.length; i += 1000) {
    const ev = await ctx.db.selectFrom('case_events').select(['case_id', 'seq', 'at', 'from_state']).where('case_id', 'in', ids.slice(i, i + 1000)).orderBy('case_id').orderBy('seq').execute();
    let prev: { case_id: string; at: Date } | null = null;
    for (const e of ev) {
      if (prev && prev.case_id === e.case_id && e.from_state) {
        const k = `${byId.get(e.case_id)}\u0000${e.from_state}`;
        (durations.get(k) ?? durations.set(k, []).get(k)!).push((new Date(e.at).getTime() - new Date(prev.at).getTime()) / 3600_000);
      }
      prev = { case_id: e.case_id, at: e.at };
    }
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  const time_in_step = [...durations].map(([k, list]) => {
    const [process, state] = k.split('\u0000') as [string, string];
    const s = list.sort((a, b) => a - b);
    return { process, state, label: stateOf(process, state)?.label ?? { th: state, en: state }, count: s.length, median_hours: round(percentile(s, 50)), p90_hours: round(percentile(s, 90)) };
  }).sort((a, b) => a.process.localeCompare(b.process) || a.state.localeCompare(b.state));

  let lq = ctx.db.selectFrom('linkages as l').innerJoin('cases as c', 'c.id', 'l.case_id').select(['c.state']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('c.state');
  if (orgs) lq = lq.where('l.owner_org', 'in', orgs.length ? orgs : none);
  const lrows = await lq.execute();
  const linkages_by_status = (wf.processes.get('linkage')?.def.states ?? []).map((s) => ({ state: s.name, label: s.label, count: Number(lrows.find((r) => r.state === s.name)?.n ?? 0) }));
  const grants = await listGrants(ctx, { days, limit: 500, offset: 0 });
  const disclosed = cases.filter((c) => DISCLOSED[c.process] === c.state);
  const downloads = new Map<string, number>();
  for (let i = 0; i < disclosed.length; i += 1000) {
    const part = disclosed.slice(i, i + 1000).map((c) => c.id);
    const rows = await ctx.db.selectFrom('audit_log').select('object_id').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'evidence_letter_show').where('object_type', '=', 'case').where('object_id', 'in', part).groupBy('object_id').execute();
    for (const r of rows) if (r.object_id) downloads.set(r.object_id, Number(r.n));
  }
  const letters = disclosed
    .map((c) => ({ case_id: c.id, number: c.number, process: c.process, closed_at: c.closed_at ? new Date(c.closed_at).toISOString() : null, downloads: downloads.get(c.id) ?? 0 }))
    .sort((a, b) => (b.closed_at ?? '').localeCompare(a.closed_at ?? ''));
  const evidence_letters = { issued: letters.length, downloads: letters.reduce((n, l) => n + l.downloads, 0), letters: letters.slice(0, 500) };
  return {
    generated: ctx.now.toISOString(), period: { from: from?.toISOString() ?? null, to: to?.toISOString() ?? null },
    requests_by_outcome, time_in_step, linkages_by_status, expiring_within_days: days, evidence_letters,
    grants_expiring: grants.map((g) => ({ id: g.id, dataset_name: g.dataset_name, grantee_org_title: g.grantee_org_title, agreement_number: g.agreement_number, expires_at: g.expires_at })),
  };
}

const cell = (v: unknown) => csvCell(v);

/** One CSV with a section column, Thai labels beside the keys. */
export function kpiCsv(r: KpiReport): string {
  const rows: unknown[][] = [['section', 'process', 'key', 'label_th', 'label_en', 'count', 'median_hours', 'p90_hours', 'expires_at']];
  for (const x of r.requests_by_outcome) rows.push(['requests_by_outcome', x.process, x.state, x.label.th, x.label.en, x.count, '', '', '']);
  for (const x of r.time_in_step) rows.push(['time_in_step', x.process, x.state, x.label.th, x.label.en, x.count, x.median_hours, x.p90_hours, '']);
  for (const x of r.linkages_by_status) rows.push(['linkages_by_status', 'linkage', x.state, x.label.th, x.label.en, x.count, '', '', '']);
  rows.push(['evidence_letters', 'all', 'issued', 'หนังสือหลักฐานการเปิดเผยข้อมูลที่ออก', 'Evidence letters issued', r.evidence_letters.issued, '', '', '']);
  for (const x of r.evidence_letters.letters) rows.push(['evidence_letters', x.process, x.number, 'ดาวน์โหลด', 'downloads', x.downloads, '', '', '']);
  for (const x of r.grants_expiring) rows.push(['grants_expiring', 'agreement', x.agreement_number ?? x.id, x.dataset_name, x.grantee_org_title ?? '', 1, '', '', x.expires_at]);
  return `\uFEFF${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}

export const kpiReportAction = defineAction({
  name: 'kpi_report',
  readOnly: true,
  summary: 'KPI report (P7): requests by outcome, time in each step (median and 90th percentile, hours, from case events), linkages by status, grants expiring soon. format=csv adds the CSV text (also at /governance/kpi.csv).',
  params: {
    from: { type: 'string', description: 'cases opened from this date' }, to: { type: 'string', description: 'cases opened before this date' },
    expiring_within_days: { type: 'integer', description: 'grants ending within this many days (default 30)' }, format: { type: 'string', description: 'json (default) or csv' },
  },
  async run(ctx, input) {
    ctx.authorize('kpi_report');
    if (input.format !== undefined && input.format !== 'json' && input.format !== 'csv') {
      const bag = new ErrorBag();
      bag.add('format', { th: 'ใช้ได้ json หรือ csv', en: 'Use json or csv' });
      bag.throwIfAny();
    }
    const r = await kpiReport(ctx, input);
    if (input.format !== 'csv') return r;
    // The CSV leaves the catalog as a file: an export, audited (the JSON is the page's own view).
    ctx.disclosed({ kind: 'export', object_type: 'kpi_report', object_id: null, detail: { format: 'csv', from: typeof input.from === 'string' ? input.from : null, to: typeof input.to === 'string' ? input.to : null } });
    return { ...r, csv: kpiCsv(r) };
  },
});
