/**
 * Audit benchmark: `npm run bench:audit [-- --seconds 5] [--rows 200000]` on PostgreSQL
 * (postgres://postgres@127.0.0.1:5432, a scratch database; DATABASE_URL names another server).
 * 1. Audited writes per second with 1 and 8 concurrent writers, each write its own transaction
 *    with its audit row, while the sealer runs as in the server:
 *    - "direct": a transaction holding only writeAudit (the audit append itself);
 *    - "action": runAction('api_token_create'), a real small audited action (token row + audit row);
 *    - "old lock": the direct write behind the former global advisory lock, for comparison;
 *    - "no fsync wait": the direct write with synchronous_commit off, to show how much of the
 *      figure is the disk's flush time rather than the log (not a setting banchi uses);
 *    - "plain row": the same transaction through the same pool with one INSERT of a small row into
 *      a table with only a primary key (no triggers, no hashing): what this machine's PostgreSQL and disk allow
 *      for a committed one-row transaction at all, so the audited figure can be read against it.
 * 2. Verification rate: the log is filled to --rows rows, sealed, and `verifyAudit` timed over it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { runAction } from '../src/actions/registry.ts';
import { SYSTEM } from '../src/access/actor.ts';
import { writeAudit } from '../src/actions/audit.ts';
import { sealPending } from '../src/actions/audit-seal.ts';
import { loadAuditKey } from '../src/actions/audit-key.ts';
import { verifyAudit } from '../src/actions/audit-verify.ts';
import { writeAuditBatch } from '../src/import/write-batch.ts';
import { startAuditSealer } from '../src/jobs/audit-sealer.ts';
import type { Services } from '../src/actions/context.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rows: { type: 'string', default: '200000' } } });
const SECONDS = Number(values.seconds);
const ROWS = Number(values.rows);

const scratch = await createScratchDatabase(process.env.DATABASE_URL || LOCAL_POSTGRES, 'banchi_bench');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-audit-'));
const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch.url } as NodeJS.ProcessEnv);
const services = await openServices(config);
const out = (line: string) => process.stdout.write(`${line}\n`);

type Write = (i: number) => Promise<unknown>;

const event = (i: number) => ({ action: 'bench_write', object_type: 'dataset', object_id: null, detail: { name: `dataset-${i}`, version: i, fields: ['title', 'notes', 'tags'] } });
const direct: Write = (i) => services.store.db.transaction().execute((tx) => writeAudit(tx, SYSTEM, '203.0.113.9', new Date(), event(i)));
const oldLock: Write = (i) =>
  services.store.db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(7243001)`.execute(tx);
    await tx.selectFrom('audit_log').select('leaf').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    await writeAudit(tx, SYSTEM, '203.0.113.9', new Date(), event(i));
  });
const asyncCommit: Write = (i) =>
  services.store.db.transaction().execute(async (tx) => {
    await sql`SET LOCAL synchronous_commit = off`.execute(tx);
    await writeAudit(tx, SYSTEM, '203.0.113.9', new Date(), event(i));
  });
await sql`CREATE TABLE bench_plain (id bigserial PRIMARY KEY, v jsonb NOT NULL)`.execute(services.store.db);
const plain: Write = (i) => services.store.db.transaction().execute((tx) => sql`INSERT INTO bench_plain (v) VALUES (${JSON.stringify(event(i).detail)}::jsonb)`.execute(tx));
await runAction(services, 'user_create', { name: 'bench', email: 'bench@example.go.th', password: 'correct horse battery' }, { actor: SYSTEM });
const action: Write = (i) => runAction(services, 'api_token_create', { user: 'bench', name: `t${i}` }, { actor: SYSTEM });

async function rate(write: Write, writers: number): Promise<number> {
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    while (performance.now() < end) await write(n++);
  }));
  return n / ((performance.now() - started) / 1000);
}

async function unsealedAfter(s: Services): Promise<number> {
  return (await verifyAudit(s.store.db)).unsealed;
}

try {
  const v = (await sql<{ server_version: string }>`SHOW server_version`.execute(services.store.db)).rows[0]!.server_version;
  out(`PostgreSQL ${v}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, ${SECONDS} s per run, sealer running every 2 s`);
  const sealer = startAuditSealer(services);
  const results: Array<[string, number, number]> = [];
  for (const [name, write] of [['direct audited transactions', direct], ['runAction api_token_create', action], ['old global lock (for comparison)', oldLock], ['direct, no fsync wait (comparison)', asyncCommit], ['plain row, no audit (ceiling)', plain]] as const) {
    for (const writers of [1, 8]) {
      await direct(0); // warm the pool's connections
      const r = await rate(write, writers);
      results.push([name, writers, r]);
      out(`audited writes/s  ${name.padEnd(34)} ${String(writers).padStart(2)} writer(s): ${Math.round(r).toLocaleString('en-US')}`);
    }
  }
  await sealer.stop();
  out(`after the writers stop, the sealer's last pass leaves ${await unsealedAfter(services)} unsealed row(s)`);

  // Fill to ROWS rows (5,000 per transaction, the same content and leaf hashes as single writes).
  let have = Number((await services.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const fillStart = performance.now();
  while (have < ROWS) {
    const k = Math.min(5000, ROWS - have);
    const base = have;
    await services.store.db.transaction().execute((tx) => writeAuditBatch(tx, SYSTEM, '203.0.113.9', new Date(), Array.from({ length: k }, (_, j) => event(base + j))));
    have += k;
  }
  const fillS = (performance.now() - fillStart) / 1000;
  const sealStart = performance.now();
  const batches = await sealPending(services);
  const sealS = (performance.now() - sealStart) / 1000;
  out(`filled to ${have.toLocaleString('en-US')} rows in ${fillS.toFixed(1)} s; sealed ${batches} batch(es) in ${sealS.toFixed(1)} s (${Math.round(have / Math.max(sealS, 1e-9)).toLocaleString('en-US')} rows/s)`);
  await sql`VACUUM ANALYZE audit_log`.execute(services.store.db);
  const key = loadAuditKey(config);
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage();
    const r = await verifyAudit(services.store.db, { key, dataDir });
    const used = process.cpuUsage(cpu);
    if (!r.intact) throw new Error(`verify found a problem: ${JSON.stringify(r.problem)}`);
    rates.push(r.rows_per_second);
    const perCpu = Math.round(r.rows / ((used.user + used.system) / 1e6));
    out(`verify run ${i + 1}: ${r.rows.toLocaleString('en-US')} rows, ${r.batches} batches, ${r.unsealed} unsealed, ${r.seconds.toFixed(2)} s → ${r.rows_per_second.toLocaleString('en-US')} rows/s (${perCpu.toLocaleString('en-US')} rows per CPU-second of this process)`);
  }
  rates.sort((a, b) => a - b);
  const w8 = results.find((r) => r[0].startsWith('direct') && r[1] === 8)![2];
  out('');
  const c8 = results.find((r) => r[0].startsWith('plain') && r[1] === 8)![2];
  out(`audited writes/s, 8 writers (direct): ${Math.round(w8).toLocaleString('en-US')} (target ≥ 5,000: ${w8 >= 5000 ? 'met' : 'MISSED'}); ${Math.round((100 * w8) / c8)}% of a plain one-row transaction on this machine (${Math.round(c8).toLocaleString('en-US')}/s)`);
  out(`verification, median of 3: ${rates[1]!.toLocaleString('en-US')} rows/s (target ≥ 200,000: ${rates[1]! >= 200_000 ? 'met' : 'MISSED'})`);
} finally {
  await services.store.close();
  await scratch.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
