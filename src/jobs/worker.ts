import type { Services } from '../actions/context.ts';
import { OPENDATA_QUEUE, runPush } from '../opendata/push.ts';
import { claim, complete, fail, lockTimeoutOf, withLock, type ClaimedJob } from './queue.ts';
import { MAIL_QUEUE, sendQueuedMail } from '../mail/outbox.ts';
import { sweepFiles } from '../files/lifecycle.ts';
import { startAuditSealer } from './audit-sealer.ts';
import { exclusive } from '../cluster/exclusive.ts';
import { DATASTORE_QUEUE, runLoadJob } from '../datastore/load.ts';
import { HARVEST_QUEUE, runStage } from '../harvest/pipeline.ts';
import { maintainHarvests } from '../harvest/maintenance.ts';
import { MONITOR_QUEUE, maintainExchange, runMonitorJob } from '../exchange/monitoring/job.ts';
import { INTEGRATION_QUEUE, runIntegrationJob } from '../exchange/integration/actions.ts';
import { USAGE_QUEUE, collectUsage } from '../registry/usage.ts';
import { QUALITY_QUEUE, maintainQuality, runQualityJob } from '../quality/store.ts';
import { LINKCHECK_QUEUE, runLinkcheck } from '../quality/linkcheck.ts';

/** The claim is at hand for a handler that records its own state (is this the last attempt?); absent when run by hand. */
export type JobHandler = (services: Services, payload: Record<string, unknown>, job?: ClaimedJob) => Promise<void>;

/** Job handlers by queue name; later waves (harvest, notifications) add entries here. */
export const handlers: Record<string, JobHandler> = {
  [MAIL_QUEUE]: sendQueuedMail,
  [DATASTORE_QUEUE]: runLoadJob,
  [HARVEST_QUEUE]: (s, p) => runStage(s, p),
  [OPENDATA_QUEUE]: runPush,
  [MONITOR_QUEUE]: (s) => runMonitorJob(s),
  [INTEGRATION_QUEUE]: runIntegrationJob,
  [USAGE_QUEUE]: collectUsage,
  [QUALITY_QUEUE]: (s) => runQualityJob(s),
  [LINKCHECK_QUEUE]: async (s, p) => {
    await runLinkcheck(s, p);
  },
};

/**
 * Runs one claimed job with its lock renewed, and records its end (done, or a retry/failure); the
 * end of a claim lost meanwhile is not recorded. Returns whether it was.
 */
export async function runJob(services: Services, job: ClaimedJob, lockMs = lockTimeoutOf(services.config)): Promise<boolean> {
  const db = services.store.db;
  let recorded: boolean;
  try {
    await withLock(db, job, () => handlers[job.queue]!(services, job.payload, job), lockMs);
    recorded = await complete(db, job);
  } catch (e) {
    recorded = await fail(db, job, e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
  }
  // Only after a real stall (the process frozen past the time-out): the new owner's state stands.
  if (!recorded) process.emitWarning(`job ${job.id} (${job.queue}) was taken over by another worker while this one ran it; its end is not recorded`);
  return recorded;
}

export interface Workers {
  stop(): Promise<void>;
}

/** Polls the queue in the server process; the poll is cheap (an index on ready jobs). */
export function startWorkers(services: Services, intervalMs = 1000): Workers {
  let stopped = false;
  const lockMs = lockTimeoutOf(services.config);
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    const queues = Object.keys(handlers);
    if (!queues.length) return;
    for (let i = 0; i < 20 && !stopped; i++) {
      const job = await claim(services.store.db, queues, lockMs);
      if (!job) return;
      await runJob(services, job, lockMs);
    }
  };
  // The file sweep runs at start (what a crash left: temporary uploads, files no row refers to) and
  // hourly, in one app process at a time (the others skip that round).
  const sweep = (): Promise<void> => exclusive(services, 'file_sweep', () => sweepFiles(services)).then(() => undefined, (e: unknown) => process.emitWarning(`file sweep failed: ${e instanceof Error ? e.message : String(e)}`));
  running = running.then(sweep);
  // Harvest runs a dead process left are resumed at start; stalled and scheduled ones every ten ticks.
  const maintain = (startup: boolean): Promise<void> => maintainHarvests(services, startup).then(() => maintainExchange(services)).then(() => maintainQuality(services)).then(() => undefined, (e: unknown) => process.emitWarning(`harvest maintenance failed: ${e instanceof Error ? e.message : String(e)}`));
  running = running.then(() => maintain(true));
  let ticks = 0;
  const sweepEvery = Math.max(1, Math.round(3600_000 / intervalMs));
  const timer = setInterval(() => {
    const flushViews = ++ticks % 10 === 0;
    const sweepNow = ticks % sweepEvery === 0;
    running = running
      .then(tick)
      .then(() => (flushViews ? services.views.flush() : undefined))
      .then(() => (flushViews ? maintain(false) : undefined))
      .then(() => (sweepNow ? sweep() : undefined))
      .catch(() => undefined);
  }, intervalMs);
  timer.unref();
  const sealer = startAuditSealer(services);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await services.views.flush().catch(() => undefined);
      await sealer.stop();
    },
  };
}
