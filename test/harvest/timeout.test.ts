import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { maintainHarvests } from '../../src/harvest/maintenance.ts';
import { HARVEST_QUEUE } from '../../src/harvest/pipeline.ts';

/**
 * A run's time-out counts from its start. A retry queued after a back-off (2 minutes and more) on a
 * source with a short time-out must not be failed while it waits; a run that started does time out.
 */
let env: TestEnv;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'to-org');
});
after(() => env.close());

const db = () => env.services.store.db;
async function jobFor(name: string): Promise<string> {
  await sys(env, 'harvest_source_create', { name, url: 'http://127.0.0.1:9/', source_type: 'ckan', owner_org: 'to-org', timeout: 10 });
  return (await sys(env, 'harvest_job_create', { source_id: name })).id;
}

test('a retry waiting out its back-off is not timed out before it starts', async () => {
  const id = await jobFor('to-waiting');
  // Created 30 s ago as attempt 2, its gather stage due in 2 minutes (the first back-off).
  await db().updateTable('harvest_jobs').set({ created: new Date(Date.now() - 30_000), attempt: 2 }).where('id', '=', id).execute();
  await sql`UPDATE jobs SET run_at = now() + interval '2 minutes' WHERE queue = ${HARVEST_QUEUE} AND payload->>'job_id' = ${id}`.execute(db());
  const report = await maintainHarvests(env.services);
  assert.equal(report.timed_out, 0);
  const job = await db().selectFrom('harvest_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.equal(job.status, 'New');
  assert.equal(job.failed, false);
});

test('a run that started longer ago than its time-out is failed and retried', async () => {
  const id = await jobFor('to-started');
  await db().updateTable('harvest_jobs').set({ status: 'Running', created: new Date(Date.now() - 30_000), gather_started: new Date(Date.now() - 30_000), heartbeat: new Date() }).where('id', '=', id).execute();
  const report = await maintainHarvests(env.services);
  assert.equal(report.timed_out, 1);
  const jobs = await db().selectFrom('harvest_jobs').selectAll().where('source_id', '=', (await sys(env, 'harvest_source_show', { id: 'to-started' })).id).orderBy('attempt').execute();
  assert.deepEqual(jobs.map((j) => [j.status, j.failed, j.attempt]), [['Finished', true, 1], ['New', false, 2]]);
});
