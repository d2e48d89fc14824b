import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { cliEnv, type CliEnv } from '../cli/cli-env.ts';
import { realRecords, startReplay, type Replay } from './ckan-replay.ts';

/**
 * `banchi harvest run` killed with SIGKILL mid-import, then run again: the run resumes from its
 * objects (same job), and every consenting record is there exactly once.
 */
describe('harvest run killed with kill -9 resumes', () => {
  let cli: CliEnv;
  let replay: Replay;
  const records = realRecords(200);
  before(async () => {
    cli = await cliEnv();
    replay = await startReplay(records);
    await cli.withServices(async (s) => {
      await runAction(s, 'organization_create', { name: 'registry-org', title: 'ทะเบียน' }, { actor: SYSTEM });
      await runAction(s, 'harvest_source_create', { name: 'agency', url: replay.url, source_type: 'ckan', owner_org: 'registry-org', config: { batch_size: 10, page_rows: 40 } }, { actor: SYSTEM });
    });
  });
  after(async () => {
    await replay.close();
    await cli.close();
  });

  test('kill mid-run, run again: no duplicate, no missing record', async () => {
    const child = cli.start(['harvest', 'run', 'agency']);
    let err = '';
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        const m = [...err.matchAll(/progress (\d+)\/(\d+)/g)].pop();
        if (m && Number(m[1]) >= 50 && Number(m[1]) < Number(m[2])) {
          child.kill('SIGKILL');
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`finished (${code}) before it could be killed: ${err}`)));
    });
    await new Promise((r) => child.once('exit', r));
    assert.ok(killedAt >= 50);
    const before = await cli.withServices(async (s) => {
      const job = await s.store.db.selectFrom('harvest_jobs').selectAll().executeTakeFirstOrThrow();
      const done = await s.store.db.selectFrom('harvest_objects').select((eb) => eb.fn.countAll<string>().as('n')).where('state', '<>', 'WAITING').executeTakeFirstOrThrow();
      return { job, done: Number(done.n) };
    });
    assert.equal(before.job.status, 'Running', 'the killed run was left Running');
    assert.ok(before.done > 0 && before.done < records.length, `${before.done} done`);
    // PostgreSQL: another process may hold a live run, so only a silent one (no heartbeat for 1 s) is taken over.
    await new Promise((r) => setTimeout(r, 1200));
    const again = await cli.run(['harvest', 'run', 'agency'], { env: { BANCHI_HARVEST_STALE_SECONDS: '1' } });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(before.job.id));
    await cli.withServices(async (s) => {
      const job = await s.store.db.selectFrom('harvest_jobs').selectAll().executeTakeFirstOrThrow();
      assert.equal(job.status, 'Finished');
      assert.deepEqual(job.stats, { added: records.length, updated: 0, 'not modified': 0, errored: 0, deleted: 0 });
      const names = (await s.store.db.selectFrom('datasets').select('name').where('state', '=', 'active').execute()).map((r) => r.name).sort();
      assert.deepEqual(names, records.map((r) => String(r.name)).sort());
      const recs = await s.store.db.selectFrom('harvest_records').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(recs.n), records.length);
      const activity = await s.store.db.selectFrom('activity').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(activity.n), records.length, 'one history row per dataset');
    });
    const jobs = await cli.run(['harvest', 'jobs']);
    assert.match(jobs.stdout, /Finished/);
  });
});
