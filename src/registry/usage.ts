import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import { defineAction, runAction, type ActionDef } from '../actions/registry.ts';
import type { Services } from '../actions/context.ts';
import { ValidationError } from '../actions/errors.ts';
import { naturalNumber } from '../actions/params.ts';
import { callAction } from '../harvest/gather-ckan.ts';
import { HarvestHttpError } from '../harvest/http.ts';
import { sourceAccess } from '../harvest/access.ts';
import { lastMonths, MONTH } from '../usage/time.ts';
import { visible } from './actions.ts';

/**
 * Usage figures of registered datasets (issue 8). After each finished harvest of a CKAN source the
 * registry queues a collection: it asks the agency's `usage_stats_list` (a banchi answers it; a
 * CKAN site without it is skipped) with the source's credentials and stores the monthly figures per
 * registration, so the national dashboard reads one table.
 */
export const USAGE_QUEUE = 'registry_usage';
const PAGE = 1000;
const MAX_PAGES = 200;

interface AgencyRow {
  package_id: string;
  name: string;
  month: string;
  views: number;
  downloads: number;
}

/** The queue handler: collect one source's figures (the last 12 months; each month's figure replaces the stored one). */
export async function collectUsage(services: Services, payload: Record<string, unknown>): Promise<void> {
  const source = await services.store.db.selectFrom('harvest_sources').selectAll().where('id', '=', String(payload.source_id)).executeTakeFirst();
  if (!source || source.source_type !== 'ckan') return;
  // The harvest's own access: the same token, time-out and refusal of private addresses.
  const a = sourceAccess(services, source);
  const since = lastMonths(new Date(), 12)[0]!;
  const rows: AgencyRow[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    let result: { results?: unknown };
    try {
      result = (await callAction(a, 'usage_stats_list', { since, limit: String(PAGE), offset: String(page * PAGE) })) as { results?: unknown };
    } catch (e) {
      // A CKAN site without the action answers 400/404 "Action not found": nothing to collect there.
      if (e instanceof HarvestHttpError && (e.status === 400 || e.status === 404)) return;
      throw e;
    }
    const got = Array.isArray(result?.results) ? (result.results as AgencyRow[]) : [];
    rows.push(...got.filter((r) => r && typeof r.package_id === 'string' && typeof r.month === 'string' && MONTH.test(r.month)));
    if (got.length < PAGE) break;
  }
  await runAction(services, 'registry_usage_store', { source_id: source.id, rows }, { actor: SYSTEM });
}

/** Stores what collectUsage read (internal: only the server's own job calls it). */
export const registryUsageStore = defineAction({
  name: 'registry_usage_store',
  readOnly: false,
  internal: true,
  summary: 'Stores the monthly usage figures an agency reported, per registration (internal).',
  async run(ctx, input) {
    ctx.authorize('registry_usage_store');
    const sourceId = String(input.source_id);
    const rows = (Array.isArray(input.rows) ? input.rows : []) as AgencyRow[];
    const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 2 ** 31 ? v : 0);
    // Matched by the remote id the registration keeps, so an agency can only report its own entries.
    const ids = rows.map((r) => r.package_id), months = rows.map((r) => r.month);
    const views = rows.map((r) => count(r.views)), downloads = rows.map((r) => count(r.downloads));
    if (rows.length) {
      await sql`
        INSERT INTO registry_usage (registration_id, month, views, downloads, collected)
        SELECT r.id, v.month, v.views, v.downloads, ${ctx.now}
        FROM (SELECT unnest(${ids}::text[]) AS remote_id, unnest(${months}::text[]) AS month, unnest(${views}::int[]) AS views, unnest(${downloads}::int[]) AS downloads) v
        JOIN registrations r ON r.source_id = ${sourceId} AND r.remote_id = v.remote_id
        ON CONFLICT (registration_id, month) DO UPDATE SET views = excluded.views, downloads = excluded.downloads, collected = excluded.collected`.execute(ctx.db);
    }
    await ctx.db.updateTable('harvest_sources').set({ usage_collected: ctx.now }).where('id', '=', sourceId).execute();
    return { rows: rows.length };
  },
});

/** The national dashboard's usage: monthly totals, by agency and the most used datasets (the registrations the caller may see). */
export const registryUsageSummary = defineAction({
  name: 'registry_usage_summary',
  readOnly: true,
  summary: 'Monthly views and downloads the agencies reported for registered datasets: totals, by agency and the most used (registrations the caller may see).',
  params: { months: { type: 'integer', description: 'how many months back, 1–36 (default 12)' } },
  async run(ctx, input) {
    ctx.authorize('registry_usage_summary', {});
    const n = naturalNumber(input, 'months', 36) ?? 12;
    if (n < 1) throw ValidationError.field('months', { th: 'ต้องอย่างน้อย 1 เดือน', en: 'At least 1 month' });
    const window = lastMonths(ctx.now, n);
    const base = () => visible(ctx).innerJoin('registry_usage as u', 'u.registration_id', 'r.id').where('u.month', '>=', window[0]!);
    const byMonth = await base().select(['u.month', sql<number>`sum(u.views)::int`.as('views'), sql<number>`sum(u.downloads)::int`.as('downloads')]).groupBy('u.month').execute();
    const byAgency = await base()
      .select(['a.name', 'a.title', sql<number>`sum(u.views)::int`.as('views'), sql<number>`sum(u.downloads)::int`.as('downloads')])
      .groupBy(['a.name', 'a.title'])
      .orderBy(sql`sum(u.views) + sum(u.downloads)`, 'desc')
      .orderBy('a.title')
      .limit(30)
      .execute();
    const top = await base()
      .select(['r.id', 'r.remote_title', 'r.remote_name', 'a.title as agency', sql<number>`sum(u.views)::int`.as('views'), sql<number>`sum(u.downloads)::int`.as('downloads')])
      .groupBy(['r.id', 'r.remote_title', 'r.remote_name', 'a.title'])
      .orderBy(sql`sum(u.views) + sum(u.downloads)`, 'desc')
      .orderBy('r.remote_name')
      .limit(20)
      .execute();
    const m = new Map(byMonth.map((r) => [r.month, r]));
    return {
      months: window.map((month) => ({ month, views: m.get(month)?.views ?? 0, downloads: m.get(month)?.downloads ?? 0 })),
      agencies: byAgency,
      datasets: top.map((r) => ({ registration_id: r.id, title: r.remote_title || r.remote_name, name: r.remote_name, agency: r.agency, views: r.views, downloads: r.downloads })),
    };
  },
});

export const registryUsageActions: ActionDef[] = [registryUsageStore, registryUsageSummary];
