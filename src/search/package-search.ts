import { sql, type RawBuilder } from 'kysely';
import { defineAction } from '../actions/registry.ts';
import { SearchQueryError } from '../actions/errors.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { packageDicts } from '../actions/datasets/present.ts';
import { boolParam, naturalNumber } from '../actions/params.ts';
import { tokenize } from './segment.ts';
import type { DatasetRow } from '../store/schema.ts';

const KNOWN = new Set(['q', 'fq', 'fq_list', 'rows', 'start', 'sort', 'facet', 'facet.field', 'facet.limit', 'facet.mincount', 'include_private', 'include_drafts', 'include_deleted', 'use_default_schema', 'defType', 'qf', 'callback', '_']);

function tsquery(text: string): string | null {
  const toks = tokenize(text);
  if (!toks.length) return null;
  return toks.map((t) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(' & ');
}

/** Basic CKAN package_search: free text, field:value filters, paging and sorting. */
export const packageSearch = defineAction({
  name: 'package_search',
  readOnly: true,
  summary: 'Search datasets (CKAN semantics) with Thai word segmentation; results, count and facets only include what the caller may see.',
  async run(ctx, input) {
    ctx.authorize('package_search');
    const unknown = Object.keys(input).filter((k) => !KNOWN.has(k));
    if (unknown.length) throw new SearchQueryError(`Invalid search parameters: ${JSON.stringify(unknown)}`);
    const rows = Math.min(naturalNumber(input, 'rows') ?? 10, 1000);
    const start = naturalNumber(input, 'start') ?? 0;
    const q = typeof input.q === 'string' ? input.q.trim() : '';
    const conds: RawBuilder<unknown>[] = [];
    const vis = visibleDatasets(ctx.actor, 'd', { includePrivate: boolParam(input, 'include_private', false), includeDrafts: boolParam(input, 'include_drafts', false) });
    let rank: RawBuilder<unknown> = sql`0`;
    if (q && q !== '*:*') {
      const tq = tsquery(q);
      if (tq) {
        conds.push(sql`(s.document @@ ${tq}::tsquery OR s.title_text % ${q.toLowerCase()})`);
        rank = sql`ts_rank(s.document, ${tq}::tsquery) + similarity(s.title_text, ${q.toLowerCase()})`;
      }
    }
    const where = conds.length ? sql`AND ${sql.join(conds, sql` AND `)}` : sql``;
    const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM datasets d JOIN dataset_search s ON s.dataset_id = d.id WHERE ${vis} ${where}`.execute(ctx.db);
    const page = await sql<DatasetRow>`
      SELECT d.* FROM datasets d JOIN dataset_search s ON s.dataset_id = d.id WHERE ${vis} ${where}
      ORDER BY ${rank} DESC, d.metadata_modified DESC LIMIT ${rows} OFFSET ${start}`.execute(ctx.db);
    return {
      count: total.rows[0]?.n ?? 0,
      results: await packageDicts(ctx, page.rows),
      facets: {},
      search_facets: {},
      sort: 'score desc, metadata_modified desc',
    };
  },
});
