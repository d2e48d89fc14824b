import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { NotFoundError, ValidationError } from '../actions/errors.ts';
import { findGroup, requireDataset } from '../actions/datasets/load.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { naturalNumber, readPaging, stringParam } from '../actions/params.ts';
import { bangkokDay, lastMonths, MONTH } from './time.ts';

export interface MonthFigures {
  month: string;
  views: number;
  downloads: number;
}

const badMonth = (field: string) => ValidationError.field(field, { th: 'ต้องเป็นเดือนในรูปแบบ YYYY-MM', en: 'Must be a month as YYYY-MM' });

/** `months` (1–36, default 12): the window ending with the current Asia/Bangkok month. */
function monthWindow(ctx: ActionContext, input: Record<string, unknown>): string[] {
  const n = naturalNumber(input, 'months', 36) ?? 12;
  if (n < 1) throw ValidationError.field('months', { th: 'ต้องอย่างน้อย 1 เดือน', en: 'At least 1 month' });
  return lastMonths(ctx.now, n);
}

/** Every month of the window, zero where nothing was counted (a chart needs the gaps). */
function fill(window: string[], rows: Array<{ month: string; views: unknown; downloads: unknown }>): MonthFigures[] {
  const by = new Map(rows.map((r) => [r.month, r]));
  return window.map((month) => ({ month, views: Number(by.get(month)?.views ?? 0), downloads: Number(by.get(month)?.downloads ?? 0) }));
}

/** SQL condition: a usage_daily row's day lies in the window's months. */
const inWindow = (window: string[]) => sql`u.day >= ${`${window[0]}-01`}::date`;

/**
 * usage_stats_show: views and downloads per month for one dataset (and each of its resources) or
 * for an organisation's datasets the caller may see. A dataset's figures are as visible as the
 * dataset; an organisation's sums count only datasets the caller may see (filtered in SQL).
 */
export const usageStatsShow = defineAction({
  name: 'usage_stats_show',
  readOnly: true,
  // A hot page read: no BEGIN/COMMIT round trips (registry.ts); a disclosure row is its one write.
  transaction: 'statement',
  summary: 'Views and downloads per month (Asia/Bangkok) of a dataset and its resources, or of an organisation’s datasets the caller may see.',
  params: {
    id: { type: 'string', description: 'dataset id or name' },
    organization: { type: 'string', description: 'organisation id or name (instead of id)' },
    months: { type: 'integer', description: 'how many months back, 1–36 (default 12)' },
  },
  async run(ctx, input) {
    const window = monthWindow(ctx, input);
    const org = stringParam(input, 'organization');
    if (org !== undefined && input.id === undefined) {
      const g = await findGroup(ctx.db, org.trim(), true);
      if (!g || g.state !== 'active') {
        ctx.authorize('usage_stats_list'); // organisations are public: an unknown one is simply not found
        throw new NotFoundError();
      }
      // The organisation's sums: every row below is filtered by what the caller may see.
      ctx.authorize('usage_stats_show', { owner_org: g.id, visible: true });
      const rows = await sql<{ month: string; views: string; downloads: string }>`
        SELECT to_char(u.day, 'YYYY-MM') AS month, sum(u.views) AS views, sum(u.downloads) AS downloads
        FROM usage_daily u JOIN datasets d ON d.id = u.dataset_id
        WHERE u.resource_id = '' AND d.owner_org = ${g.id} AND ${inWindow(window)} AND ${visibleDatasets(ctx.actor, 'd')}
        GROUP BY 1`.execute(ctx.db);
      const top = await sql<{ id: string; name: string; title: string; views: string; downloads: string }>`
        SELECT d.id, d.name, d.title, sum(u.views) AS views, sum(u.downloads) AS downloads
        FROM usage_daily u JOIN datasets d ON d.id = u.dataset_id
        WHERE u.resource_id = '' AND d.owner_org = ${g.id} AND ${inWindow(window)} AND ${visibleDatasets(ctx.actor, 'd')}
        GROUP BY d.id, d.name, d.title ORDER BY sum(u.views) + sum(u.downloads) DESC, d.name LIMIT 20`.execute(ctx.db);
      const months = fill(window, rows.rows);
      return {
        organization: g.name,
        months,
        total: total(months),
        datasets: top.rows.map((r) => ({ id: r.id, name: r.name, title: r.title, views: Number(r.views), downloads: Number(r.downloads) })),
      };
    }
    const { row, subject } = await requireDataset(ctx, input, 'usage_stats_show');
    const rows = await sql<{ resource_id: string; month: string; views: string; downloads: string }>`
      SELECT u.resource_id, to_char(u.day, 'YYYY-MM') AS month, sum(u.views) AS views, sum(u.downloads) AS downloads
      FROM usage_daily u WHERE u.dataset_id = ${row.id} AND ${inWindow(window)}
      GROUP BY 1, 2`.execute(ctx.db);
    // Private resources (resource_private) are counted but named only to those who may edit.
    const editor = ctx.can('package_update', subject);
    const resources = await ctx.db.selectFrom('resources').select(['id', 'name', 'metadata']).where('dataset_id', '=', row.id).where('state', '=', 'active').orderBy('position').execute();
    const months = fill(window, rows.rows.filter((r) => r.resource_id === ''));
    return {
      id: row.id,
      name: row.name,
      months,
      total: total(months),
      resources: resources
        .filter((r) => editor || (r.metadata as Record<string, unknown>).resource_private !== true)
        .map((r) => {
          const m = fill(window, rows.rows.filter((x) => x.resource_id === r.id));
          return { id: r.id, name: r.name, months: m, total: total(m) };
        }),
    };
  },
});

function total(months: MonthFigures[]): { views: number; downloads: number } {
  return months.reduce((a, m) => ({ views: a.views + m.views, downloads: a.downloads + m.downloads }), { views: 0, downloads: 0 });
}

/**
 * usage_stats_list: the monthly figures of every dataset the caller may see, from `since` on, for a
 * registry's harvester (it calls this with the harvest source's credentials, so it sees what the
 * harvest sees). One row per dataset and month; paged by limit/offset.
 */
export const usageStatsList = defineAction({
  name: 'usage_stats_list',
  readOnly: true,
  summary: 'Monthly views and downloads (Asia/Bangkok months) of every dataset the caller may see, from `since` (YYYY-MM) on; what a registry collects.',
  params: {
    since: { type: 'string', description: 'first month, YYYY-MM (default: 12 months back)' },
    limit: { type: 'integer', description: 'rows per page (default 1000, at most 5000)' },
    offset: { type: 'integer', description: 'start' },
  },
  async run(ctx, input) {
    ctx.authorize('usage_stats_list');
    const since = stringParam(input, 'since') ?? lastMonths(ctx.now, 12)[0]!;
    if (!MONTH.test(since)) throw badMonth('since');
    const { limit, offset } = readPaging(input, 1000, 5000);
    const rows = await sql<{ package_id: string; name: string; month: string; views: string; downloads: string }>`
      SELECT d.id AS package_id, d.name, to_char(u.day, 'YYYY-MM') AS month, sum(u.views) AS views, sum(u.downloads) AS downloads
      FROM usage_daily u JOIN datasets d ON d.id = u.dataset_id
      WHERE u.resource_id = '' AND u.day >= ${`${since}-01`}::date AND ${visibleDatasets(ctx.actor, 'd')}
      GROUP BY d.id, d.name, 3 ORDER BY d.id, 3 LIMIT ${limit} OFFSET ${offset}`.execute(ctx.db);
    return { since, month_now: bangkokDay(ctx.now).slice(0, 7), results: rows.rows.map((r) => ({ ...r, views: Number(r.views), downloads: Number(r.downloads) })) };
  },
});

/**
 * CKAN's tracking_summary for package_show?include_tracking=true: in all and in the last 14 days;
 * a dataset's are its page views, a resource's its views and downloads (CKAN counts the clicks).
 */
export async function trackingSummaries(ctx: ActionContext, datasetId: string): Promise<Map<string, { total: number; recent: number }>> {
  const recentFrom = bangkokDay(new Date(ctx.now.getTime() - 13 * 86400_000));
  const rows = await sql<{ resource_id: string; total: string; recent: string }>`
    SELECT u.resource_id,
      sum(CASE WHEN u.resource_id = '' THEN u.views ELSE u.views + u.downloads END) AS total,
      coalesce(sum(CASE WHEN u.resource_id = '' THEN u.views ELSE u.views + u.downloads END) FILTER (WHERE u.day >= ${recentFrom}::date), 0) AS recent
    FROM usage_daily u WHERE u.dataset_id = ${datasetId} GROUP BY 1`.execute(ctx.db);
  return new Map(rows.rows.map((r) => [r.resource_id, { total: Number(r.total), recent: Number(r.recent) }]));
}

export const usageActions: ActionDef[] = [usageStatsShow, usageStatsList];
