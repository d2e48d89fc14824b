import { sql } from 'kysely';
import type { Services } from '../../actions/context.ts';
import { runAction } from '../../actions/registry.ts';
import { SYSTEM } from '../../access/actor.ts';
import { scheduleIntegrations } from '../integration/actions.ts';

/**
 * The late-delivery check as a durable job: one is kept queued (the worker's maintenance step asks
 * every few seconds and adds one a minute ahead when none waits); the job runs monitor_late_check
 * as the system. Two processes adding one at once only run the check twice: notices are keyed.
 */
export const MONITOR_QUEUE = 'exchange_monitor';
const EVERY_MS = 60_000;

export async function runMonitorJob(services: Services): Promise<void> {
  await runAction(services, 'monitor_late_check', {}, { actor: SYSTEM });
}

export async function scheduleMonitor(services: Services, delayMs = EVERY_MS): Promise<void> {
  const runAt = new Date(Date.now() + delayMs).toISOString();
  await sql`INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
    SELECT ${MONITOR_QUEUE}, '{}'::jsonb, 'queued', 0, 3, ${runAt}::timestamptz, now()
    WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE queue = ${MONITOR_QUEUE} AND state IN ('queued', 'running'))`.execute(services.store.db);
}

/** The worker's maintenance step for the exchange: the late check kept queued, due integration pulls queued. */
export async function maintainExchange(services: Services): Promise<void> {
  await scheduleMonitor(services);
  await scheduleIntegrations(services);
}
