import { sql } from 'kysely';
import type { Db, Tx } from '../store/db.ts';

/**
 * A durable job queue in the same database: jobs enqueued inside a transaction exist only if it
 * commits, and a crashed worker's job is picked up again after its lock times out.
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
  attempts: number;
  max_attempts: number;
}

const LOCK_TIMEOUT = '10 minutes';

export async function claim(db: Db, queues: string[]): Promise<ClaimedJob | null> {
  const r = await sql<ClaimedJob>`
    UPDATE jobs SET state = 'running', locked_at = now(), attempts = attempts + 1
    WHERE id = (
      SELECT id FROM jobs
      WHERE queue = ANY(${queues}::text[]) AND run_at <= now()
        AND (state = 'queued' OR (state = 'running' AND locked_at < now() - ${LOCK_TIMEOUT}::interval))
      ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1
    ) RETURNING id, queue, payload, attempts, max_attempts`.execute(db);
  return r.rows[0] ?? null;
}

export async function complete(db: Db, id: string): Promise<void> {
  await db.updateTable('jobs').set({ state: 'done', locked_at: null }).where('id', '=', id).execute();
}

export async function fail(db: Db, job: ClaimedJob, error: string): Promise<void> {
  const final = job.attempts >= job.max_attempts;
  await db
    .updateTable('jobs')
    .set({
      state: final ? 'failed' : 'queued',
      locked_at: null,
      last_error: error.slice(0, 4000),
      run_at: new Date(Date.now() + Math.min(2 ** job.attempts, 3600) * 1000),
    })
    .where('id', '=', job.id)
    .execute();
}
