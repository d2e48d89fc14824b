import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { complete, fail, lockTimeoutOf, withLock, type ClaimedJob } from '../jobs/queue.ts';
import { maintainHarvests } from './maintenance.ts';
import { HARVEST_QUEUE, runStage } from './pipeline.ts';
import { jobDict } from './present.ts';

export type JobDict = Awaited<ReturnType<typeof jobDict>>;

async function claimFor(services: Services, jobId: string, lockMs: number): Promise<ClaimedJob | null> {
  const r = await sql<ClaimedJob>`
    UPDATE jobs SET state = 'running', locked_at = now(), attempts = attempts + 1
    WHERE id = (
      SELECT id FROM jobs
      WHERE queue = ${HARVEST_QUEUE} AND payload->>'job_id' = ${jobId} AND run_at <= now()
        AND (state = 'queued' OR (state = 'running' AND locked_at < now() - make_interval(secs => ${lockMs / 1000})))
      ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1
    ) RETURNING id, queue, payload, attempts, max_attempts`.execute(services.store.db);
  return r.rows[0] ?? null;
}

export async function showJob(services: Services, jobId: string): Promise<JobDict> {
  const row = await services.store.db.selectFrom('harvest_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  return jobDict(services.store.db, row);
}

/**
 * Runs one source to the end in this process (`banchi harvest run`, tests): resumes what a dead
 * process left first, continues the source's unfinished run or starts one, then works its stages
 * from the queue until it is Finished. A server process may take stages too (SKIP LOCKED).
 */
export async function runHarvest(services: Services, sourceRef: string, opts: { full?: boolean; onProgress?: (j: JobDict) => void; pollMs?: number } = {}): Promise<JobDict> {
  await maintainHarvests(services, true);
  const source = await runAction<{ id: string; status: { last_job: JobDict | null } }>(services, 'harvest_source_show', { id: sourceRef }, { actor: SYSTEM });
  const last = source.status.last_job;
  const jobId = last && last.status !== 'Finished' ? last.id : (await runAction<JobDict>(services, 'harvest_job_create', { source_id: source.id, full: opts.full === true }, { actor: SYSTEM })).id;
  let lastReport = 0;
  const report = async (force = false) => {
    if (!opts.onProgress || (!force && Date.now() - lastReport < 200)) return;
    lastReport = Date.now();
    opts.onProgress(await showJob(services, jobId));
  };
  let idle = 0;
  for (;;) {
    const j = await showJob(services, jobId);
    if (j.status === 'Finished') {
      await report(true);
      return j;
    }
    const lockMs = lockTimeoutOf(services.config);
    const claimed = await claimFor(services, jobId, lockMs);
    if (!claimed) {
      // Queued for later (a retry's back-off) or held by another process: wait, and look after it.
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
      if (++idle % 10 === 0) await maintainHarvests(services);
      continue;
    }
    idle = 0;
    try {
      // The stage's lock is renewed while it runs, so a server's worker does not take it over.
      await withLock(services.store.db, claimed, () => runStage(services, claimed.payload, () => void report()), lockMs);
      await complete(services.store.db, claimed);
    } catch (e) {
      await fail(services.store.db, claimed, e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
      await services.store.db.updateTable('harvest_jobs').set({ error: e instanceof Error ? e.message.slice(0, 2000) : String(e) }).where('id', '=', jobId).execute();
      if (claimed.attempts >= claimed.max_attempts) {
        await services.store.db.updateTable('harvest_jobs').set({ status: 'Finished', failed: true, finished: new Date() }).where('id', '=', jobId).execute();
      }
    }
  }
}
