import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { findDataset, findGroup, datasetSubject } from '../actions/datasets/load.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../actions/errors.ts';
import { filterParam, readPaging } from '../actions/params.ts';
import { noteRead } from '../actions/disclosure.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { M } from '../standard/messages.ts';
import { ckanTime } from '../util/time.ts';
import type { CriterionResult } from './engine.ts';
import { qualityOf } from './store.ts';
import { queueLinkcheck } from './linkcheck.ts';

/** Score bands of the organisation page's chart (the last band of the answer counts scores not computed yet). */
const BANDS: ReadonlyArray<readonly [number, number]> = [[0, 49], [50, 69], [70, 84], [85, 100]];

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Runs the rule so runAction sees the policy asked, and answers 404 whatever it says: the entry's existence is not told. */
function checkedNotFound(ctx: ActionContext, rule: string, subject: unknown): never {
  try {
    ctx.authorize(rule, subject);
  } catch (e) {
    if (!(e instanceof AuthorizationError)) throw e;
  }
  throw new NotFoundError();
}

/** The criteria in the caller's language, for the API (both languages stay in `label_th` / `label_en`). */
export function presentCriteria(list: CriterionResult[], lang: 'th' | 'en') {
  return list.map((c) => ({ key: c.key, label: c.label[lang], label_th: c.label.th, label_en: c.label.en, weight: c.weight, result: c.result, points: c.points, reason: c.reason[lang] }));
}

/** package_quality_show: the score as of now, computed by the one engine from the stored entry and the link checker's answers. */
export const packageQualityShow = defineAction({
  name: 'package_quality_show',
  readOnly: true,
  summary: 'The metadata quality score (0–100) of a dataset with each criterion: weight, pass / partial / fail and why. As visible as the dataset (404 otherwise).',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const ref = text(input.id ?? input.name);
    if (!ref) throw ValidationError.field('id', M.missing());
    const row = await findDataset(ctx.db, ref);
    if (!row) checkedNotFound(ctx, 'package_quality_show', { owner_org: null, visible: false });
    const subject = await datasetSubject(ctx, row);
    if (!subject.visible) checkedNotFound(ctx, 'package_quality_show', subject);
    ctx.authorize('package_quality_show', subject);
    noteRead(ctx, row, 'metadata');
    const q = (await qualityOf(ctx.db, row.id, ctx.now))!;
    const stored = await ctx.db.selectFrom('dataset_quality').select(['score', 'computed_at']).where('dataset_id', '=', row.id).executeTakeFirst();
    return {
      id: row.id,
      name: row.name,
      score: q.score,
      criteria_version: q.criteria_version,
      criteria: presentCriteria(q.criteria, ctx.lang),
      stored_score: stored?.score ?? null,
      stored_at: stored?.computed_at ? ckanTime(stored.computed_at) : null,
    };
  },
});

/** organization_quality_list: the organisation's datasets the caller may see, with their stored scores (worst first by default). */
export const organizationQualityList = defineAction({
  name: 'organization_quality_list',
  readOnly: true,
  summary: 'Datasets of an organisation the caller may see, with their stored quality scores; sort score (worst first, default) or title; limit, offset. Count and average cover only visible rows.',
  params: {
    id: { type: 'string', description: 'organisation id or name', required: true },
    sort: { type: 'string', description: 'score (default, lowest first), score desc, title' },
    limit: { type: 'integer', description: 'rows (default 50, at most 500)' },
    offset: { type: 'integer', description: 'rows to skip' },
  },
  async run(ctx, input) {
    ctx.authorize('organization_quality_list', {});
    const ref = text(input.id ?? input.organization);
    if (!ref) throw ValidationError.field('id', M.missing());
    const org = await findGroup(ctx.db, ref, true);
    if (!org || org.state !== 'active') throw new NotFoundError();
    const { limit, offset } = readPaging(input, 50, 500);
    const base = ctx.db
      .selectFrom('datasets as d')
      .leftJoin('dataset_quality as q', 'q.dataset_id', 'd.id')
      .where('d.owner_org', '=', org.id)
      .where(visibleDatasets(ctx.actor, 'd', { includeDrafts: true }));
    const agg = await base
      .select([
        sql<number>`count(*)::int`.as('n'),
        sql<number | null>`round(avg(q.score))::int`.as('avg'),
        // Score bands for the page's chart, over the same visible rows.
        ...BANDS.map(([from, to], i) => sql<number>`count(*) FILTER (WHERE q.score BETWEEN ${from} AND ${to})::int`.as(`b${i}`)),
        sql<number>`count(*) FILTER (WHERE q.score IS NULL)::int`.as('pending'),
      ])
      .executeTakeFirstOrThrow();
    const counts = agg as unknown as Record<string, number>;
    const sort = text(filterParam(input, 'sort')) || 'score';
    let q = base.select(['d.id', 'd.name', 'd.title', 'd.state', 'd.private', 'd.data_type', 'd.data_category', 'd.data_classification', 'd.metadata_modified', 'q.score', 'q.results', 'q.computed_at', 'q.dirty']);
    if (sort === 'title') q = q.orderBy('d.title').orderBy('d.id');
    else if (sort === 'score desc') q = q.orderBy(sql`q.score DESC NULLS LAST`).orderBy('d.id');
    else if (sort === 'score') q = q.orderBy(sql`q.score ASC NULLS FIRST`).orderBy('d.id');
    else throw ValidationError.field('sort', { th: 'เรียงได้ตาม score, score desc หรือ title', en: 'Sort by score, score desc or title' });
    const rows = await q.limit(limit).offset(offset).execute();
    return {
      organization: { id: org.id, name: org.name, title: org.title },
      count: agg.n,
      average: agg.avg,
      bands: [...BANDS.map(([from, to], i) => ({ from, to, count: counts[`b${i}`] ?? 0 })), { from: null, to: null, count: counts.pending ?? 0 }],
      results: rows.map((r) => {
        noteRead(ctx, { ...r, state: r.state }, 'metadata');
        const results = Array.isArray(r.results) ? (r.results as CriterionResult[]) : [];
        return {
          id: r.id,
          name: r.name,
          title: r.title,
          state: r.state,
          private: r.private,
          data_type: r.data_type,
          score: r.score ?? null,
          pending: r.dirty ?? true,
          computed_at: r.computed_at ? ckanTime(r.computed_at) : null,
          criteria: results.map((c) => ({ key: c.key, result: c.result, points: c.points })),
        };
      }),
    };
  },
});

/** linkcheck_queue: a link check of an organisation's resources (or the whole catalog, sysadmins) as a durable job. */
export const linkcheckQueue = defineAction({
  name: 'linkcheck_queue',
  readOnly: false,
  summary: 'Queue a check of the resource links of an organisation (its admins) or of the whole catalog (sysadmins, no organization).',
  params: { organization: { type: 'string', description: 'organisation id or name; none: every organisation' } },
  async run(ctx, input) {
    const ref = text(input.organization ?? input.id);
    let orgId: string | null = null;
    if (ref) {
      const org = await findGroup(ctx.db, ref, true);
      if (!org || org.state !== 'active') {
        ctx.authorize('linkcheck_queue', { org_id: null });
        throw ValidationError.field('organization', M.invalidId());
      }
      orgId = org.id;
    }
    ctx.authorize('linkcheck_queue', { org_id: orgId });
    const p = await queueLinkcheck(ctx.db, orgId);
    await ctx.audit({ action: 'linkcheck_queue', object_type: 'organization', object_id: orgId, detail: {} });
    return { queued: true, organization: orgId, since: p.since };
  },
});

export const qualityActions: ActionDef[] = [packageQualityShow, organizationQualityList, linkcheckQueue];
