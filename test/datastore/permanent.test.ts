import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { search, upload } from './helpers.ts';
import { claim } from '../../src/jobs/queue.ts';
import { runJob } from '../../src/jobs/worker.ts';
import { DATASTORE_QUEUE } from '../../src/datastore/load.ts';

let env: TestEnv;
let token: string;
const K = `[${STORE_KIND}]`;

before(async () => {
  env = await testEnv({ maxUploadBytes: 20 * 1024 * 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'limits' }), { token })).status, 200);
});
after(() => env.close());

/** Runs the resource's queued load job through the real queue, as the server's worker does: one attempt. */
async function attemptLoad(resourceId: string) {
  const db = env.services.store.db;
  const job = await claim(db, [DATASTORE_QUEUE]);
  assert.ok(job, 'a load job is ready');
  assert.equal(job.payload.resource_id, resourceId);
  await runJob(env.services, job);
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
  const info = await api(env, 'datastore_info', { id: resourceId }, { token, lang: 'en' });
  return { job: row, load: info.json.result.load };
}

test(`${K} a cell of megabytes of text loads whole; only its row's full-text value is capped, and the report says so`, async () => {
  // 1.3 MB of distinct words (past the tsvector's 1 MB) and, in another row, one 3,000-letter "word" (past a lexeme's 2 KB).
  const big = Array.from({ length: 200_000 }, (_, i) => `w${i.toString(36)}x`).join(' ');
  const blob = 'ab'.repeat(1500);
  const csv = `id,body\n1,${big}\n2,${blob}\n3,short words here\n`;
  const res = await upload(env, token, { package_id: 'limits', name: 'big-cell' }, 'big.csv', csv);
  const { job, load } = await attemptLoad(res.id);
  assert.equal(load.state, 'done', JSON.stringify({ ...load, errors: undefined }).slice(0, 500));
  assert.equal(job.state, 'done');
  assert.equal(job.attempts, 1);
  assert.equal(load.rows, 3);
  assert.ok(load.warnings.some((w: string) => /full-text/.test(w) && /line\(s\) 2\b/.test(w) && /ข้อความเต็ม/.test(w)), JSON.stringify(load.warnings));
  const r = await search(env, { resource_id: res.id, sort: 'id' });
  assert.equal(r.status, 200);
  const bodies = r.json.result.records.map((x: any) => x.body);
  assert.equal(bodies[0], big, 'the cell is stored whole');
  assert.equal(bodies[1], blob);
  // The words that fit are searchable.
  const q = await search(env, { resource_id: res.id, q: 'w0x' });
  assert.deepEqual(q.json.result.records.map((x: any) => x.id), [1]);
  const s = await search(env, { resource_id: res.id, q: 'short' });
  assert.deepEqual(s.json.result.records.map((x: any) => x.id), [3]);
});

test(`${K} a header with more columns than PostgreSQL allows is refused at once, naming the limit and the count, with no retry`, async () => {
  const n = 1599;
  const header = Array.from({ length: n }, (_, i) => `c${i}`).join(',');
  const res = await upload(env, token, { package_id: 'limits', name: 'wide' }, 'wide.csv', `${header}\n${Array(n).fill('x').join(',')}\n`);
  const { job, load } = await attemptLoad(res.id);
  assert.equal(load.state, 'failed');
  assert.match(load.error, /1599 columns/);
  assert.match(load.error, /at most 1598/);
  assert.match(load.error, /คอลัมน์/);
  assert.equal(job.state, 'done', 'not queued again');
  assert.equal(job.attempts, 1);
});

test(`${K} data PostgreSQL cannot store (a row too wide for a page) fails at once, with no retry`, async () => {
  const db = env.services.store.db;
  // 1,500 integer columns: 12 KB a row, more than a PostgreSQL page holds; no retry stores it.
  const n = 1500;
  const wide = await upload(env, token, { package_id: 'limits', name: 'ints' }, 'ints.csv', `${Array.from({ length: n }, (_, i) => `n${i}`).join(',')}\n${Array(n).fill('7').join(',')}\n`);
  const w = await attemptLoad(wide.id);
  assert.equal(w.load.state, 'failed', JSON.stringify(w.load).slice(0, 300));
  assert.match(w.load.error, /retry/);
  assert.equal(w.job.state, 'done', 'not queued again');
});

test(`${K} a failure that may pass is retried, and after the last attempt the load says failed, with the error`, async () => {
  const db = env.services.store.db;
  // A storage failure (the stored file cannot be read: here a directory stands in its place) may pass: it is retried…
  const res = await upload(env, token, { package_id: 'limits', name: 'unreadable' }, 'u.csv', 'a,b\n1,2\n');
  const key = (await db.selectFrom('resources').select('storage_key').where('id', '=', res.id).executeTakeFirstOrThrow()).storage_key!;
  const file = (fs.readdirSync(env.config.dataDir, { recursive: true }) as string[]).find((f) => path.basename(f) === key)!;
  assert.ok(file);
  const full = path.join(env.config.dataDir, file);
  fs.rmSync(full);
  fs.mkdirSync(full);
  let last;
  for (let i = 1; i <= 3; i++) {
    await db.updateTable('jobs').set({ run_at: new Date(0) }).where('queue', '=', DATASTORE_QUEUE).where('state', '=', 'queued').execute();
    last = await attemptLoad(res.id);
    assert.equal(last.job.attempts, i);
    if (i < 3) {
      assert.equal(last.load.state, 'retrying');
      assert.equal(last.job.state, 'queued');
    }
  }
  // …and after its last attempt the resource says failed, with the error: nothing more will happen.
  assert.equal(last!.job.state, 'failed');
  assert.equal(last!.load.state, 'failed');
  assert.match(last!.load.error, /failed 3 times and is not retried/);
  assert.match(last!.load.error, /EISDIR/);
});
