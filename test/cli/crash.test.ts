import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cliEnv, STORE, waitForLine, writeJsonl, type CliEnv } from './cli-env.ts';
import { assertConsistent, tableCount } from './consistency.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { startTime } from '../../src/store/db.ts';

/**
 * kill -9 in the middle of `banchi import` and of `banchi serve` answering writes: every batch and
 * every request is one transaction, so after a restart there is no partial record, the audit chain
 * verifies, the store opens (PGlite recovers from its write-ahead log) and the work can be redone.
 */
const RECORDS = 600;
const BATCH = 20;
const RESOURCES = 3;

function record(i: number) {
  return {
    name: `crash-${i}`,
    title: `สถิติแรงงานจังหวัด ชุดทดสอบที่ ${i}`,
    organization: { name: `crash-org-${i % 7}`, title: `หน่วยงานทดสอบ ${i % 7}` },
    data_type: 'ข้อมูลสถิติ',
    maintainer: 'กลุ่มสถิติแรงงาน',
    maintainer_email: 'labour@nso.go.th',
    tags: ['แรงงาน', 'สถิติ'],
    notes: 'ข้อมูลจำนวนกำลังแรงงานรวม จำแนกตามเพศ รายไตรมาส '.repeat(20),
    objective: ['พันธกิจหน่วยงาน'],
    update_frequency_unit: 'ไตรมาส',
    update_frequency_interval: '1',
    geo_coverage: 'ประเทศ',
    data_source: 'สำรวจภาวะการทำงานของประชากร',
    data_format: ['CSV'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
    license_id: 'Open Data Common',
    first_year_of_data: '2560',
    last_year_of_data: '2567',
    unit_of_measure: 'คน',
    resources: Array.from({ length: RESOURCES }, (_, r) => ({ name: `ตาราง ${r + 1}`, url: `https://example.go.th/${i}/${r}.csv`, format: 'CSV' })),
  };
}

/** Resolves with the first progress line that shows at least `min` records committed. */
function committed(child: ChildProcess, min: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      seen += d;
      for (const m of seen.matchAll(/^progress: lines \d+, imported (\d+), failed (\d+)$/gm)) if (Number(m[1]) >= min) return resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`import ended (${code}) before ${min} records were committed: ${seen}`)));
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe(`kill -9 leaves no partial record (${STORE})`, () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  test('during banchi import: committed batches are whole, the next start is clean, a re-run completes', async () => {
    const file = writeJsonl(cli.dataDir, 'big.jsonl', Array.from({ length: RECORDS }, (_, i) => record(i)));
    const child = cli.start(['import', file, '--batch-size', String(BATCH), '--progress']);
    const acknowledged = await committed(child, BATCH * 3);
    await kill9(child);
    if (STORE === 'pglite') assert.ok(fs.existsSync(path.join(cli.dataDir, 'banchi.lock')), 'the killed process left its lock behind');

    // The next start (openServices, as every command does): PGlite replays its log, the stale lock is taken over.
    let imported = 0;
    await cli.withServices(async (services) => {
      const db = services.store.db;
      imported = await tableCount(db, 'datasets');
      assert.ok(imported >= acknowledged, `every acknowledged batch survived (${imported} ≥ ${acknowledged})`);
      assert.ok(imported < RECORDS, 'killed mid-way');
      assert.equal(imported % BATCH, 0, `no half batch: ${imported} datasets in batches of ${BATCH}`);
      assert.equal(await tableCount(db, 'resources'), imported * RESOURCES, 'every dataset has all its resources');
      assert.equal(await tableCount(db, 'dataset_search'), imported);
      await assertConsistent(db);
    });

    const again = await cli.run(['import', file, '--batch-size', '200'], { lang: 'en_US.UTF-8' });
    assert.match(again.stdout, new RegExp(`^imported ${RECORDS - imported}, failed ${imported}\\b`, 'm'), again.stderr.slice(0, 500));
    for (const line of again.stderr.trim().split('\n')) assert.match(line, /name: That URL is already in use/, line);
    await cli.withServices(async (services) => {
      assert.equal(await tableCount(services.store.db, 'datasets'), RECORDS);
      assert.equal(await tableCount(services.store.db, 'resources'), RECORDS * RESOURCES);
      await assertConsistent(services.store.db);
    });
  });

  test('during banchi serve answering package_create and package_patch: no half-written dataset or version, every answered one is there', async () => {
    const [token, before] = await cli.withServices(async (services) => {
      await runAction(services, 'organization_create', { name: 'serve-org', title: 'หน่วยงานทดสอบเซิร์ฟเวอร์' }, { actor: SYSTEM });
      await runAction(services, 'user_create', { name: 'crash-editor', email: 'crash-editor@example.go.th', password: 'correct horse battery' }, { actor: SYSTEM });
      await runAction(services, 'organization_member_create', { id: 'serve-org', username: 'crash-editor', role: 'editor' }, { actor: SYSTEM });
      const { token } = await runAction<{ token: string }>(services, 'api_token_create', { user: 'crash-editor', name: 'crash' }, { actor: SYSTEM });
      return [token, await tableCount(services.store.db, 'datasets')] as const;
    });

    const server = cli.start(['serve']);
    const url = (await waitForLine(server, /(http:\/\/[^\s]+)/))[1]!;
    const answered: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const n = 100_000 + w * 10_000 + i;
        // Odd workers edit datasets already written (a new version and its history row), even ones create.
        const patch = w % 2 === 1 && answered.length > 0;
        const action = patch ? 'package_patch' : 'package_create';
        const body = patch
          ? { id: answered[n % answered.length], title: `แก้ไขครั้งที่ ${n}`, tags: ['แก้ไข', `รอบ ${i}`] }
          : { ...record(n), name: `served-${n}`, organization: undefined, owner_org: 'serve-org' };
        try {
          const res = await fetch(`${url}/api/3/action/${action}`, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
          if (res.status !== 200) assert.fail(`${res.status} ${await res.text()}`);
          if (!patch) answered.push((body as { name: string }).name);
        } catch (e) {
          if (!stop) throw e;
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    while (answered.length < 15) await new Promise((r) => setTimeout(r, 20));
    // Requests are in flight on every worker when the server dies.
    stop = true;
    await kill9(server);
    await Promise.allSettled(workers);

    await cli.withServices(async (services) => {
      const db = services.store.db;
      const names = new Set((await db.selectFrom('datasets').select('name').where('name', 'like', 'served-%').execute()).map((r) => r.name));
      for (const n of answered) assert.ok(names.has(n), `answered ${n} survived`);
      assert.equal(await tableCount(db, 'datasets'), before + names.size);
      const perDataset = await db.selectFrom('resources').innerJoin('datasets', 'datasets.id', 'resources.dataset_id').select(['datasets.name', (eb) => eb.fn.countAll<number>().as('n')]).where('datasets.name', 'like', 'served-%').groupBy('datasets.name').execute();
      assert.equal(perDataset.length, names.size);
      for (const d of perDataset) assert.equal(Number(d.n), RESOURCES, `${d.name} has all its resources`);
      await assertConsistent(db);
    });

    // The server starts again on the same store and serves what was written.
    const again = cli.start(['serve']);
    const url2 = (await waitForLine(again, /(http:\/\/[^\s]+)/))[1]!;
    const shown = (await (await fetch(`${url2}/api/3/action/package_show?id=${answered[0]}`)).json()) as { result: { resources: unknown[] } };
    assert.equal(shown.result.resources.length, RESOURCES);
    const created = await fetch(`${url2}/api/3/action/package_create`, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body: JSON.stringify({ ...record(999_999), organization: undefined, owner_org: 'serve-org' }) });
    assert.equal(created.status, 200);
    const exited = once(again, 'exit');
    again.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
  });

  test('a lock left by a dead process, or by a pid now reused by another process, does not block the store', { skip: STORE !== 'pglite' || startTime(process.pid) === undefined }, async () => {
    const lock = path.join(cli.dataDir, 'banchi.lock');
    // This test process is alive, but it is not the process that wrote a lock with another start time.
    fs.writeFileSync(lock, `${process.pid} 1`);
    const reused = await cli.run(['migrate'], { lang: 'en_US.UTF-8' });
    assert.equal(reused.code, 0, reused.stderr);
    fs.writeFileSync(lock, `${process.pid} ${startTime(process.pid)}`);
    const busy = await cli.run(['migrate'], { lang: 'en_US.UTF-8' });
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, new RegExp(`in use by process ${process.pid}`));
    fs.rmSync(lock);
  });
});
