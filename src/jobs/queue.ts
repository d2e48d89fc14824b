import { sql } from 'kysely';
import type { Db, Tx } from '../store/db.ts';

/**
 * A durable job queue in the same database: jobs enqueued inside a transaction exist only if it
 * commits. A running job's worker renews its lock (heartbeat) while it works, so only a worker that
 * stopped renewing (crashed, frozen) has its job taken over once the lock times out.
 */
export async function enqueue(db: Tx | Db, queue: string, payload: Record<string, unknown>, opts: { runAt?: Date; maxAttempts?: number } = {}): Promise<void> {
  await db
    .insertInto('jobs')
    .values({ queue, payload: JSON.stringify(payload), state: 'queued', attempts: 0, max_attempts: opts.maxAttempts ?? 5, run_at: opts.runAt ?? new Date(), created: new Date() })
    .execute();
}

export interface ClaimedJob {
  id: string;
  queue: string;
  payload: Record<string, unknown>;
  /** Counts claims: it is also the claim's token (a take-over increments it). */
  attempts: number;
  max_attempts: number;
}

/** A running job whose lock is older than this is taken over (BANCHI_JOB_LOCK_SECONDS). */
export const LOCK_TIMEOUT_MS = 10 * 60_000;

export const lockTimeoutOf = (config: { jobLockSeconds?: number }): number => (config.jobLockSeconds ? config.jobLockSeconds * 1000 : LOCK_TIMEOUT_MS);

export async function claim(db: Db, queues: string[], lockTimeoutMs = LOCK_TIMEOUT_MS): Promise<ClaimedJob | null> {
  const r = await sql<ClaimedJob>`
    UPDATE jobs SET state = 'running', locked_at = now(), attempts = attempts + 1
    WHERE id = (
      SELECT id FROM jobs
      WHERE queue = ANY(${queues}::text[]) AND run_at <= now()
        AND (state = 'queued' OR (state = 'running' AND locked_at < now() - make_interval(secs => ${lockTimeoutMs / 1000})))
      ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1
    ) RETURNING id, queue, payload, attempts, max_attempts`.execute(db);
  return r.rows[0] ?? null;
}

/** Whether this claim still owns the job: running, and not claimed again since (attempts is the token). */
const owned = (job: ClaimedJob) => sql<boolean>`id = ${job.id} AND state = 'running' AND attempts = ${job.attempts}`;

/** Renews the claim's lock; false when the job is no longer this claim's (taken over, or reset). */
export async function renew(db: Db, job: ClaimedJob): Promise<boolean> {
  const r = await db.updateTable('jobs').set({ locked_at: sql`now()` }).where(owned(job)).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Done, unless the job is no longer this claim's (then its new owner's state stays): false then.
 * A bare id (a job run by hand, outside a claim) is marked done whatever its state.
 */
export async function complete(db: Db, job: ClaimedJob | string): Promise<boolean> {
  const q = db.updateTable('jobs').set({ state: 'done', locked_at: null });
  // (An id read back from PGlite may be a number, whatever its type says.)
  const r = await (typeof job === 'object' ? q.where(owned(job)) : q.where('id', '=', job)).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function fail(db: Db, job: ClaimedJob, error: string): Promise<boolean> {
  const final = job.attempts >= job.max_attempts;
  const r = await db
    .updateTable('jobs')
    .set({
      state: final ? 'failed' : 'queued',
      locked_at: null,
      last_error: error.slice(0, 4000),
      run_at: new Date(Date.now() + Math.min(2 ** job.attempts, 3600) * 1000),
    })
    .where(owned(job))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Runs a claimed job's work with its lock renewed every third of the time-out (a missed beat or
 * two is no take-over); the renewals stop, the last one awaited, before the work's end is known.
 */
export async function withLock<T>(db: Db, job: ClaimedJob, work: () => Promise<T>, lockTimeoutMs = LOCK_TIMEOUT_MS): Promise<T> {
  let beat: Promise<unknown> = Promise.resolve();
  let waiting = false;
  const timer = setInterval(() => {
    // One renewal at a time (on PGlite it waits for the load's transaction); a failed one (connection lost) is tried at the next beat.
    if (waiting) return;
    waiting = true;
    beat = renew(db, job)
      .catch(() => undefined)
      .finally(() => (waiting = false));
  }, Math.max(10, Math.floor(lockTimeoutMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await beat;
  }
}
