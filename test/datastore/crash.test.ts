import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { cliEnv, STORE, waitForLine, type CliEnv } from '../cli/cli-env.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { datasetInput } from '../helpers.ts';
import { loadResource } from '../../src/datastore/load.ts';
import type { Services } from '../../src/actions/context.ts';

/** kill -9 of `banchi serve` in the middle of a DataStore load: the previous table is whole, and a new load completes. */
let cli: CliEnv;
before(async () => {
  cli = await cliEnv();
});
after(() => cli.close());

function storeFile(dataDir: string, body: string | Buffer): string {
  const key = crypto.randomUUID();
  fs.mkdirSync(path.join(dataDir, 'files', key.slice(0, 2)), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'files', key.slice(0, 2), key), body);
  return key;
}

async function count(s: Services, id: string): Promise<number> {
  return Number((await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.raw(`datastore."${id}"`)}`.execute(s.store.db)).rows[0]!.n);
}

test(`[${STORE}] kill -9 during a load: the previous table is intact, the next load replaces it`, async () => {
  const rows = ['ลำดับ,จังหวัด,จำนวน'];
  // On PostgreSQL, large enough that the copy runs for seconds on a fast machine: the kill must land
  // in the middle. PGlite's single connection answers no progress while it copies (see below).
  const n = STORE === 'postgres' ? 1_000_000 : 200_000;
  for (let i = 1; i <= n; i++) rows.push(`${i},เชียงใหม่ แห่งที่ ${i % 97},${i * 3}`);
  const big = rows.join('\n') + '\n';
  const id = await cli.withServices(async (s) => {
    await runAction(s, 'organization_create', { name: 'crash', title: 'หน่วยงานทดสอบ' }, { actor: SYSTEM });
    await runAction(s, 'package_create', datasetInput('crash', { name: 'crash-ds' }), { actor: SYSTEM });
    const res = await runAction<{ id: string }>(s, 'resource_create', { package_id: 'crash-ds', name: 'ตาราง', url: 'https://example.go.th/a.csv', format: 'CSV' }, { actor: SYSTEM });
    await sql`UPDATE resources SET storage_key = ${storeFile(cli.dataDir, 'ลำดับ,จังหวัด,จำนวน\n1,น่าน,1\n2,แพร่,2\n3,ลำปาง,3\n')}, url = 'a.csv', url_type = 'upload' WHERE id = ${res.id}`.execute(s.store.db);
    await loadResource(s, res.id);
    assert.equal(await count(s, res.id), 3);
    // The new version of the file, and its load queued as an upload would queue it.
    await sql`UPDATE resources SET storage_key = ${storeFile(cli.dataDir, big)} WHERE id = ${res.id}`.execute(s.store.db);
    await runAction(s, 'datastore_load', { resource_id: res.id }, { actor: SYSTEM });
    return res.id;
  });
  const server = cli.start(['serve']);
  const url = (await waitForLine(server, /(http:\/\/[^\s]+)/))[1]!;
  // PostgreSQL: wait until the worker is copying rows (its progress, written outside the load's
  // transaction, shows some), then kill at once; a fixed pause let a fast machine finish first.
  // PGlite: the load holds the only connection for its whole transaction (types come from the first
  // rows, then one pass copies), so "running" shows only for a moment before it; a request that gets
  // no answer while the state was not yet "done" is the load holding the connection, mid-copy.
  let seen: any = null;
  let held = false;
  for (let i = 0; i < 600; i++) {
    const ask = fetch(`${url}/api/3/action/datastore_info?id=${id}`).then((x) => x.json() as Promise<any>).catch(() => null);
    const r = STORE === 'postgres' ? await ask : await Promise.race([ask, new Promise<'held'>((res) => setTimeout(() => res('held'), 500))]);
    if (r === 'held') {
      held = seen?.state !== 'done';
      break;
    }
    seen = r?.result?.load ?? seen;
    if (seen?.state === 'done' || (seen?.state === 'running' && (STORE !== 'postgres' || seen.rows > 0))) break;
    await new Promise((r) => setTimeout(r, STORE === 'postgres' ? 50 : 20));
  }
  assert.ok(held || seen?.state === 'running', `the load was caught in the middle: ${JSON.stringify(seen)}`);
  if (STORE !== 'postgres' && !held) await new Promise((r) => setTimeout(r, 800));
  const exited = once(server, 'exit');
  server.kill('SIGKILL');
  await exited;
  await cli.withServices(async (s) => {
    assert.equal(await count(s, id), 3, 'readers still see the previous table, whole');
    const left = await sql<{ n: number }>`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'datastore' AND tablename LIKE ${id + '%'}`.execute(s.store.db);
    assert.equal(Number(left.rows[0]!.n), 1, 'no half-loaded table left beside it');
    // The stale job is retried by the queue after its lock times out; a new load runs at once.
    await sql`UPDATE resources SET storage_key = ${storeFile(cli.dataDir, 'ลำดับ,จังหวัด,จำนวน\n1,ก,1\n2,ข,2\n3,ค,3\n4,ง,4\n5,จ,5\n')} WHERE id = ${id}`.execute(s.store.db);
    const loaded = await loadResource(s, id);
    assert.equal(loaded.rows, 5);
    assert.equal(await count(s, id), 5);
  });
});
