import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { claim, complete, enqueue, fail } from '../../src/jobs/queue.ts';
import { handlers, startWorkers } from '../../src/jobs/worker.ts';

let env: TestEnv;
const K = `[${STORE_KIND}]`;

// A one-second lock: the worker renews it every third of a second.
before(async () => {
  env = await testEnv({ jobLockSeconds: 1 });
});
after(() => env.close());

const jobRow = (id: string) => env.services.store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

test(`${K} a job running longer than the lock time-out keeps its lock fresh and is not claimed twice`, async () => {
  const db = env.services.store.db;
  let runs = 0;
  handlers.test_slow = async () => {
    runs++;
    await sleep(3000);
  };
  try {
    await enqueue(db, 'test_slow', {});
    const workers = startWorkers(env.services, 50);
    try {
      const job = await db.selectFrom('jobs').select('id').where('queue', '=', 'test_slow').executeTakeFirstOrThrow();
      while ((await jobRow(job.id)).state !== 'running') await sleep(20);
      // Three times the time-out: the lock is never older than it, so no other worker may take the job.
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        const age = await sql<{ stale: boolean }>`SELECT locked_at < now() - interval '1 second' AS stale FROM jobs WHERE id = ${job.id}`.execute(db);
        const row = await jobRow(job.id);
        if (row.state !== 'running') break;
        assert.equal(age.rows[0]!.stale, false, 'the running worker renews its lock');
        assert.equal(await claim(db, ['test_slow'], 1000), null, 'a second worker finds nothing to take');
        await sleep(100);
      }
      while ((await jobRow(job.id)).state === 'running') await sleep(50);
      const done = await jobRow(job.id);
      assert.equal(done.state, 'done');
      assert.equal(done.attempts, 1);
      assert.equal(runs, 1);
      // The renewals stopped with the job: the lock is gone and nothing sets it again.
      await sleep(500);
      assert.equal((await jobRow(job.id)).locked_at, null);
    } finally {
      await workers.stop();
    }
  } finally {
    delete handlers.test_slow;
  }
});

test(`${K} a crashed worker's job is taken over after the time-out; the stale worker's end does not overwrite the new owner's`, async () => {
  const db = env.services.store.db;
  await enqueue(db, 'test_crash', {});
  const first = await claim(db, ['test_crash'], 300);
  assert.ok(first);
  assert.equal(await claim(db, ['test_crash'], 300), null, 'the lock holds inside the time-out');
  await sleep(500); // the first worker "crashed": no renewal
  const second = await claim(db, ['test_crash'], 300);
  assert.ok(second, 'taken over after the time-out');
  assert.equal(second.id, first.id);
  assert.equal(second.attempts, 2);
  // The first worker wakes up (it was frozen, not dead) and ends its run: nothing of it is recorded.
  assert.equal(await complete(db, first), false);
  assert.equal(await fail(db, first, 'late failure'), false);
  let row = await jobRow(first.id);
  assert.equal(row.state, 'running');
  assert.equal(row.attempts, 2);
  assert.equal(row.last_error, null);
  assert.equal(await complete(db, second), true);
  row = await jobRow(first.id);
  assert.equal(row.state, 'done');
});
