import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';
import { SYSTEM } from '../access/actor.ts';
import { defineAction, runAction } from '../actions/registry.ts';
import { createJob } from './job-actions.ts';
import { HARVEST_QUEUE } from './pipeline.ts';

export const MAX_ATTEMPTS = 5;

/** Back-off before retrying a timed-out run: 2, 4, 8, 16 minutes… at most six hours. */
export function retryDelayMs(attempt: number): number {
  return Math.min(2 ** attempt, 360) * 60_000;
}

/**
 * Keeps runs from staying Running forever:
 * - a stage whose process died (no heartbeat for BANCHI_HARVEST_STALE_SECONDS, or any stage when an
 *   embedded database has just been opened, as only one process can hold it) is queued again and
 *   goes on from its objects and gather cursor;
 * - a run older than its source's time-out is marked failed (Finished, failed) and a new run is
 *   queued after a back-off, up to MAX_ATTEMPTS;
 * - sources whose schedule is due get a run.
 */
export const harvestMaintain = defineAction({
  name: 'harvest_maintain',
  readOnly: false,
  audit: false, // every process runs it every ten seconds; the runs it starts are audited
  internal: true,
  summary: 'Resumes dead runs, fails stalled ones and starts scheduled ones (internal).',
  async run(ctx, input) {
    ctx.authorize('harvest_stage');
    const report = { resumed: 0, timed_out: 0, scheduled: 0 };
    // Every app process runs this each ten seconds: one at a time, or two could start the same scheduled run.
    const turn = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext('banchi:harvest_maintain')) AS ok`.execute(ctx.db);
    if (!turn.rows[0]?.ok) return report;
    const staleSeconds = input.startup === true ? 0 : (ctx.services.config.harvestStaleSeconds ?? 60);
    const now = ctx.now;
    const open = await ctx.db
      .selectFrom('harvest_jobs as j')
      .innerJoin('harvest_sources as s', 's.id', 'j.source_id')
      .select(['j.id', 'j.status', 'j.created', 'j.gather_started', 'j.heartbeat', 'j.attempt', 's.timeout_seconds', 's.id as source_id'])
      .select(sql<Date | null>`(SELECT max(q.run_at) FROM jobs q WHERE q.queue = ${HARVEST_QUEUE} AND q.payload->>'job_id' = j.id::text)`.as('run_at'))
      .where('j.status', '<>', 'Finished')
      .forUpdate()
      .execute();
    for (const j of open) {
      // The time-out counts from the start: a retry waiting out its back-off (longer than a short
      // time-out) has not started yet, and would otherwise fail before it ever ran.
      const startedAt = j.gather_started?.getTime() ?? Math.max(j.created.getTime(), j.run_at ? new Date(j.run_at).getTime() : 0);
      if (now.getTime() - startedAt > j.timeout_seconds * 1000) {
        await ctx.db.updateTable('harvest_jobs').set({ status: 'Finished', failed: true, finished: now, error: `timed out after ${j.timeout_seconds} s` }).where('id', '=', j.id).execute();
        await sql`UPDATE jobs SET state = 'failed', locked_at = NULL, last_error = 'harvest run timed out' WHERE queue = ${HARVEST_QUEUE} AND state IN ('queued', 'running') AND payload->>'job_id' = ${j.id}`.execute(ctx.db);
        report.timed_out++;
        if (j.attempt < MAX_ATTEMPTS) {
          const source = await ctx.db.selectFrom('harvest_sources').selectAll().where('id', '=', j.source_id).executeTakeFirstOrThrow();
          if (source.active) await createJob(ctx, source, { attempt: j.attempt + 1, runAt: new Date(now.getTime() + retryDelayMs(j.attempt)) });
        }
        continue;
      }
      const beat = j.heartbeat?.getTime() ?? 0;
      if (j.status === 'Running' && now.getTime() - beat >= staleSeconds * 1000) {
        const r = await sql`UPDATE jobs SET state = 'queued', locked_at = NULL, run_at = now() WHERE queue = ${HARVEST_QUEUE} AND state = 'running' AND payload->>'job_id' = ${j.id}`.execute(ctx.db);
        if (Number(r.numAffectedRows ?? 0n) > 0) {
          await ctx.db.updateTable('harvest_jobs').set({ heartbeat: now }).where('id', '=', j.id).execute();
          report.resumed++;
        }
      }
    }
    const due = await ctx.db
      .selectFrom('harvest_sources')
      .selectAll()
      .where('active', '=', true)
      .where('frequency', '<>', 'MANUAL')
      .where('next_run', '<=', now)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('harvest_jobs').select('id').whereRef('harvest_jobs.source_id', '=', 'harvest_sources.id').where('harvest_jobs.status', '<>', 'Finished'))))
      .execute();
    for (const s of due) {
      await createJob(ctx, s);
      await ctx.db.updateTable('harvest_sources').set({ next_run: null }).where('id', '=', s.id).execute();
      report.scheduled++;
    }
    return report;
  },
});

export function maintainHarvests(services: Services, startup = false): Promise<{ resumed: number; timed_out: number; scheduled: number }> {
  const embedded = !services.config.databaseUrl;
  return runAction(services, 'harvest_maintain', { startup: startup && embedded }, { actor: SYSTEM });
}
