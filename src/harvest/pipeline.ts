import crypto from 'node:crypto';
import { recordHarvestDeliveries } from '../exchange/monitoring/deliveries.ts';
import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import { defineAction, runAction } from '../actions/registry.ts';
import type { ActionContext, Services } from '../actions/context.ts';
import { NotFoundError } from '../actions/errors.ts';
import { enqueue } from '../jobs/queue.ts';
import { USAGE_QUEUE } from '../registry/usage.ts';
import { tuneForBulkWrite } from '../import/write-batch.ts';
import { ckanNameList, contentHash, gatherCkanPage, type GatheredItem } from './gather-ckan.ts';
import { gatherDcat } from './gather-dcat.ts';
import { importObjects } from './import-stage.ts';
import { sourceAccess } from './access.ts';
import { nextRun } from './source-actions.ts';
import type { HarvestJobRow, HarvestSourceRow, HarvestStats } from './schema.ts';

export const HARVEST_QUEUE = 'harvest';
export const IMPORT_BATCH = 250;

/**
 * The stages of a run, each a durable job in the queue (src/jobs): gather pages the source into
 * harvest_objects (a cursor in the run, so a killed gather goes on from its last page), then import
 * takes WAITING objects in batches. Fetch is part of gather: package_search and DCAT pages already
 * carry the whole record (as ckanext-harvest's CKAN harvester does). Every write is an internal
 * action run as the system, so datasets get history, audit and search rows as any write does.
 */
async function loadJob(ctx: ActionContext, jobId: unknown): Promise<{ job: HarvestJobRow; source: HarvestSourceRow }> {
  ctx.authorize('harvest_stage');
  if (typeof jobId !== 'string') throw new NotFoundError();
  const job = await ctx.db.selectFrom('harvest_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
  if (!job) throw new NotFoundError();
  const source = await ctx.db.selectFrom('harvest_sources').selectAll().where('id', '=', job.source_id).executeTakeFirstOrThrow();
  return { job, source };
}

export const harvestGatherPage = defineAction({
  name: 'harvest_gather_page',
  readOnly: false,
  audit: false, // job bookkeeping: what a run changes is audited by its import
  internal: true,
  itemKeys: ['items'],
  summary: 'Stores one gathered page of a run and its cursor (internal).',
  async run(ctx, input) {
    const { job } = await loadJob(ctx, input.job_id);
    if (job.status === 'Finished') return { stopped: true };
    const items = (input.items as GatheredItem[]) ?? [];
    const rows = items.map((it) => {
      const content = it.content.replace(/\u0000/g, '\uFFFD');
      return { id: crypto.randomUUID(), job_id: job.id, source_id: job.source_id, guid: it.guid.slice(0, 500), state: 'WAITING', content, content_hash: contentHash(content), normalized: null, errors: null, created: ctx.now, import_finished: null };
    });
    let fresh = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const r = await ctx.db.insertInto('harvest_objects').values(rows.slice(i, i + 500)).onConflict((oc) => oc.columns(['job_id', 'guid']).doNothing()).returning('id').execute();
      fresh += r.length;
    }
    await ctx.db.updateTable('harvest_jobs').set({ gather_cursor: JSON.stringify(input.cursor ?? {}), heartbeat: new Date() }).where('id', '=', job.id).execute();
    await touchQueueJob(ctx, job.id);
    // `fresh`: records this run had not seen yet; a page of none is a source repeating itself.
    return { stopped: false, fresh };
  },
});

export const harvestGatherFinish = defineAction({
  name: 'harvest_gather_finish',
  readOnly: false,
  audit: false, // job bookkeeping: what a run changes is audited by its import
  internal: true,
  itemKeys: ['names'],
  summary: 'Ends gathering: records the source no longer lists become withdrawal objects; import is queued (internal).',
  async run(ctx, input) {
    const { job, source } = await loadJob(ctx, input.job_id);
    if (job.status === 'Finished') return null;
    const names = Array.isArray(input.names) ? new Set(input.names as string[]) : null;
    const guids = Array.isArray(input.guids) ? new Set(input.guids as string[]) : null;
    if (names || guids) {
      const active = await ctx.db.selectFrom('harvest_records').select(['guid', sql<string | null>`raw->>'name'`.as('name')]).where('source_id', '=', source.id).where('state', '=', 'active').execute();
      const gone = active.filter((r) => (guids ? !guids.has(r.guid) : !names!.has(r.name ?? '')));
      const rows = gone.map((r) => ({ id: crypto.randomUUID(), job_id: job.id, source_id: source.id, guid: r.guid, state: 'WAITING', content: null, content_hash: null, normalized: null, errors: null, created: ctx.now, import_finished: null }));
      for (let i = 0; i < rows.length; i += 500) await ctx.db.insertInto('harvest_objects').values(rows.slice(i, i + 500)).onConflict((oc) => oc.columns(['job_id', 'guid']).doNothing()).execute();
    }
    const total = await ctx.db.selectFrom('harvest_objects').select((eb) => eb.fn.countAll<string>().as('n')).where('job_id', '=', job.id).executeTakeFirstOrThrow();
    await ctx.db.updateTable('harvest_jobs').set({ gather_finished: ctx.now, total: Number(total.n), heartbeat: new Date() }).where('id', '=', job.id).execute();
    await enqueue(ctx.db, HARVEST_QUEUE, { stage: 'import', job_id: job.id }, { maxAttempts: 10 });
    return null;
  },
});

export const harvestImportBatch = defineAction({
  name: 'harvest_import_batch',
  readOnly: false,
  internal: true,
  summary: 'Imports the next batch of waiting objects of a run; finishes the run when none is left (internal).',
  async run(ctx, input): Promise<{ remaining: boolean }> {
    const { job, source } = await loadJob(ctx, input.job_id);
    if (job.status === 'Finished') return { remaining: false };
    const size = typeof input.size === 'number' ? input.size : Number(source.config?.batch_size) || IMPORT_BATCH;
    const objects = await ctx.db.selectFrom('harvest_objects').selectAll().where('job_id', '=', job.id).where('state', '=', 'WAITING').orderBy('id').limit(size).execute();
    if (objects.length) {
      await tuneForBulkWrite(ctx.db);
      await importObjects(ctx, source, objects);
    }
    const s = await jobStats(ctx, job);
    const done = objects.length < size;
    await ctx.db.updateTable('harvest_jobs').set({ stats: JSON.stringify(s), heartbeat: new Date() }).where('id', '=', job.id).execute();
    await touchQueueJob(ctx, job.id);
    if (done) await finishJob(ctx, job, source, s);
    return { remaining: !done };
  },
});

/** The queue's own lock follows the heartbeat, so a long stage is not taken over as a dead one. */
async function touchQueueJob(ctx: ActionContext, jobId: string): Promise<void> {
  await sql`UPDATE jobs SET locked_at = now() WHERE queue = ${HARVEST_QUEUE} AND state = 'running' AND payload->>'job_id' = ${jobId}`.execute(ctx.db);
}

async function jobStats(ctx: ActionContext, job: HarvestJobRow): Promise<HarvestStats> {
  const rows = await ctx.db.selectFrom('harvest_objects').select((eb) => ['report_status', eb.fn.countAll<string>().as('n')]).where('job_id', '=', job.id).where('report_status', 'is not', null).groupBy('report_status').execute();
  const by = Object.fromEntries(rows.map((r) => [r.report_status, Number(r.n)]));
  return { added: by.added ?? 0, updated: by.updated ?? 0, 'not modified': by['not modified'] ?? 0, errored: by.errored ?? 0, deleted: by.deleted ?? 0 };
}

async function finishJob(ctx: ActionContext, job: HarvestJobRow, source: HarvestSourceRow, s: HarvestStats): Promise<void> {
  if (job.since) {
    // Incremental: what the source still lists and did not change is "not modified" too; it was seen by this run.
    const unseen = await ctx.db
      .updateTable('harvest_records')
      .set({ last_job_id: job.id })
      .where('source_id', '=', source.id)
      .where('state', '=', 'active')
      .where('last_job_id', '<>', job.id)
      .executeTakeFirst();
    s['not modified'] += Number(unseen.numUpdatedRows);
  }
  await ctx.db.updateTable('harvest_jobs').set({ status: 'Finished', finished: ctx.now, stats: JSON.stringify(s) }).where('id', '=', job.id).execute();
  await recordHarvestDeliveries(ctx.db, job.id, ctx.now); // integration monitoring (src/exchange/monitoring)
  // Registry: collect the agency's usage figures after the run (src/registry/usage.ts), a job of its own.
  if (ctx.services.config.siteKind === 'registry' && source.source_type === 'ckan') await enqueue(ctx.db, USAGE_QUEUE, { source_id: source.id }, { maxAttempts: 3 });
  // The next run asks for changes since this one began, with a margin for clocks (unchanged records answer "not modified").
  const since = new Date((job.gather_started ?? job.created).getTime() - 5 * 60_000);
  await ctx.db.updateTable('harvest_sources').set({ last_good_since: since, next_run: nextRun(source.frequency, ctx.now) }).where('id', '=', source.id).execute();
  await ctx.audit({ action: 'harvest_job_finish', object_type: 'harvest_job', object_id: job.id, detail: { source: source.name, ...s } });
}

export const harvestGatherStart = defineAction({
  name: 'harvest_gather_start',
  readOnly: false,
  internal: true,
  summary: 'Marks a run Running (internal).',
  async run(ctx, input) {
    const { job } = await loadJob(ctx, input.job_id);
    if (job.status === 'Finished') return null;
    await ctx.db.updateTable('harvest_jobs').set({ status: 'Running', gather_started: job.gather_started ?? ctx.now, heartbeat: new Date() }).where('id', '=', job.id).execute();
    return { ...job, gather_started: job.gather_started ?? ctx.now };
  },
});

export const pipelineActions = [harvestGatherPage, harvestGatherFinish, harvestImportBatch, harvestGatherStart];

const sys = <T>(services: Services, name: string, input: Record<string, unknown>) => runAction<T>(services, name, input, { actor: SYSTEM });

/** The queue handler: one stage of one run. */
export async function runStage(services: Services, payload: Record<string, unknown>, onProgress?: () => void): Promise<void> {
  const jobId = payload.job_id;
  if (payload.stage === 'gather') {
    const job = await sys<HarvestJobRow | null>(services, 'harvest_gather_start', { job_id: jobId });
    if (!job) return;
    const source = await services.store.db.selectFrom('harvest_sources').selectAll().where('id', '=', job.source_id).executeTakeFirstOrThrow();
    const a = sourceAccess(services, source);
    if (source.source_type === 'dcat') {
      const { items, guids } = await gatherDcat(a);
      const r = await sys<{ stopped: boolean }>(services, 'harvest_gather_page', { job_id: jobId, items, cursor: { done: true } });
      if (r.stopped) return;
      await sys(services, 'harvest_gather_finish', { job_id: jobId, guids: [...guids] });
      return;
    }
    let start = typeof job.gather_cursor?.start === 'number' ? job.gather_cursor.start : 0;
    const rows = Number(source.config?.page_rows) || undefined;
    for (;;) {
      const page = await gatherCkanPage(a, start, job.since, rows);
      const r = await sys<{ stopped: boolean; fresh: number }>(services, 'harvest_gather_page', { job_id: jobId, items: page.items, cursor: { start: page.next ?? start + page.items.length, count: page.count } });
      onProgress?.();
      if (r.stopped) return;
      // A page that brings nothing this run has not seen is a source ignoring `start` (or a count
      // that lies): the end, as ckanext-harvest stops, not a billion more requests.
      if (page.next === null || r.fresh === 0) break;
      start = page.next;
    }
    const names = await ckanNameList(a);
    await sys(services, 'harvest_gather_finish', { job_id: jobId, names: [...names] });
    return;
  }
  if (payload.stage === 'import') {
    for (;;) {
      const r = await sys<{ remaining: boolean }>(services, 'harvest_import_batch', { job_id: jobId });
      onProgress?.();
      if (!r.remaining) return;
    }
  }
}
