import crypto from 'node:crypto';
import { defineAction } from '../actions/registry.ts';
import { ValidationError } from '../actions/errors.ts';
import { UUID } from '../actions/datasets/load.ts';
import { userId } from '../access/actor.ts';
import { enqueue } from '../jobs/queue.ts';
import { M } from '../standard/messages.ts';
import { filterParam, readPaging } from '../actions/params.ts';
import { findSource, notFound } from './source-actions.ts';
import { jobDict } from './present.ts';
import { HARVEST_QUEUE } from './pipeline.ts';
import type { ActionContext } from '../actions/context.ts';
import type { HarvestSourceRow } from './schema.ts';

/** Creates a run (status New) and queues its gather stage; `full` ignores the incremental window. */
export async function createJob(ctx: ActionContext, source: HarvestSourceRow, opts: { full?: boolean; attempt?: number; runAt?: Date } = {}) {
  const id = crypto.randomUUID();
  const since = opts.full ? null : source.last_good_since;
  const job = await ctx.db
    .insertInto('harvest_jobs')
    .values({ id, source_id: source.id, status: 'New', created: ctx.now, gather_started: null, gather_finished: null, finished: null, heartbeat: null, since, gather_cursor: '{}', stats: '{}', attempt: opts.attempt ?? 1, created_by: userId(ctx.actor) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await enqueue(ctx.db, HARVEST_QUEUE, { stage: 'gather', job_id: id }, { maxAttempts: 5, runAt: opts.runAt });
  return job;
}

export const harvestJobCreate = defineAction({
  name: 'harvest_job_create',
  readOnly: false,
  summary: 'Start a harvest run of a source (refused while one is New or Running). `full: true` re-reads everything.',
  async run(ctx, input) {
    const source = await findSource(ctx, input.source_id ?? input.id, 'harvest_job_create');
    if (!source.active) throw ValidationError.field('source_id', { th: 'แหล่งเก็บเกี่ยวนี้ถูกปิดใช้งาน', en: 'This harvest source is inactive' });
    // Lock the source row so two callers cannot both start a run.
    await ctx.db.selectFrom('harvest_sources').select('id').where('id', '=', source.id).forUpdate().execute();
    const open = await ctx.db.selectFrom('harvest_jobs').select('id').where('source_id', '=', source.id).where('status', '<>', 'Finished').executeTakeFirst();
    if (open) throw ValidationError.field('source_id', { th: 'มีรอบการเก็บเกี่ยวที่ยังไม่เสร็จของแหล่งนี้อยู่แล้ว', en: 'There already is an unfinished job for this source' });
    const job = await createJob(ctx, source, { full: input.full === true || input.full === 'true' });
    await ctx.audit({ action: 'harvest_job_create', object_type: 'harvest_job', object_id: job.id, detail: { source: source.name } });
    return jobDict(ctx.db, job);
  },
});

async function findJob(ctx: ActionContext, ref: unknown, rule: string) {
  const id = typeof ref === 'string' ? ref.trim().toLowerCase() : '';
  if (!id) {
    ctx.authorize(rule, { owner_org: null });
    throw ValidationError.field('id', M.missing());
  }
  const job = UUID.test(id) ? await ctx.db.selectFrom('harvest_jobs').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  const source = job ? await ctx.db.selectFrom('harvest_sources').select('owner_org').where('id', '=', job.source_id).executeTakeFirst() : undefined;
  if (!job || !source || !ctx.can(rule, source)) notFound(ctx, rule);
  ctx.authorize(rule, source);
  return job;
}

export const harvestJobShow = defineAction({
  name: 'harvest_job_show',
  readOnly: true,
  summary: 'One harvest run: status New / Running / Finished, stats {added, updated, not modified, errored, deleted}, progress.',
  async run(ctx, input) {
    return jobDict(ctx.db, await findJob(ctx, input.id, 'harvest_job_show'));
  },
});

export const harvestJobList = defineAction({
  name: 'harvest_job_list',
  readOnly: true,
  summary: 'Runs of a source, newest first (`status` filters).',
  async run(ctx, input) {
    const source = await findSource(ctx, input.source_id ?? input.id, 'harvest_job_list');
    let q = ctx.db.selectFrom('harvest_jobs').selectAll().where('source_id', '=', source.id).orderBy('created', 'desc').limit(readPaging(input, 50, 500).limit);
    const status = filterParam(input, 'status');
    if (status) q = q.where('status', '=', status);
    const out = [];
    for (const j of await q.execute()) out.push(await jobDict(ctx.db, j));
    return out;
  },
});

export const harvestJobAbort = defineAction({
  name: 'harvest_job_abort',
  readOnly: false,
  summary: 'Stop a run: it becomes Finished (aborted); objects already imported stay.',
  async run(ctx, input) {
    const job = await findJob(ctx, input.id ?? input.source_id, 'harvest_job_abort');
    if (job.status !== 'Finished') {
      await ctx.db.updateTable('harvest_jobs').set({ status: 'Finished', aborted: true, finished: ctx.now, error: 'aborted' }).where('id', '=', job.id).execute();
      await ctx.audit({ action: 'harvest_job_abort', object_type: 'harvest_job', object_id: job.id });
    }
    const row = await ctx.db.selectFrom('harvest_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
    return jobDict(ctx.db, row);
  },
});

export const harvestObjectShow = defineAction({
  name: 'harvest_object_show',
  readOnly: true,
  summary: 'One harvest object: the raw content as the source sent it, the normalised dict, its errors and the dataset it became.',
  async run(ctx, input) {
    const id = typeof input.id === 'string' ? input.id.trim().toLowerCase() : '';
    const o = UUID.test(id) ? await ctx.db.selectFrom('harvest_objects').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    const source = o ? await ctx.db.selectFrom('harvest_sources').select('owner_org').where('id', '=', o.source_id).executeTakeFirst() : undefined;
    if (!o || !source || !ctx.can('harvest_object_show', source)) notFound(ctx, 'harvest_object_show');
    ctx.authorize('harvest_object_show', source);
    return {
      id: o.id,
      guid: o.guid,
      harvest_job_id: o.job_id,
      harvest_source_id: o.source_id,
      package_id: o.dataset_id,
      state: o.state,
      report_status: o.report_status,
      content: o.content,
      normalized: o.normalized,
      errors: o.errors ?? {},
      gathered: o.created.toISOString(),
      import_finished: o.import_finished?.toISOString() ?? null,
    };
  },
});

export const jobActions = [harvestJobCreate, harvestJobShow, harvestJobList, harvestJobAbort, harvestObjectShow];
