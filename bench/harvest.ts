/**
 * npm run bench:harvest: an agency catalog of 20,000 public datasets (generated from ../shared/data,
 * bench/search-corpus.ts) and a registry, two real server processes on loopback over PostgreSQL
 * (scratch databases). Times a first full harvest, SIGKILLs the registry in the middle of a second
 * full run and restarts it (the run must complete with no duplicate and no missing record), then
 * times an incremental re-harvest with nothing changed. BANCHI_BENCH_PG selects the server
 * (default postgres://postgres@127.0.0.1:5432/postgres); BANCHI_BENCH_HARVEST_N the size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { runAction } from '../src/actions/registry.ts';
import { SYSTEM } from '../src/access/actor.ts';
import { reindexAll } from '../src/search/reindex.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';
import { createCorpus } from './search-corpus.ts';
import type { Services } from '../src/actions/context.ts';

const PG = process.env.BANCHI_BENCH_PG || LOCAL_POSTGRES;
const N = Number(process.env.BANCHI_BENCH_HARVEST_N || 20000);
const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

function serve(url: string, port: number, dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', BANCHI_DATA_DIR: dataDir, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/listening|http:\/\/127\.0\.0\.1/.test(out)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
    setTimeout(() => resolve(child), 15000);
  });
}

async function waitFor(services: Services, jobId: string, label: string, until?: (done: number, total: number) => boolean): Promise<Record<string, any>> {
  for (;;) {
    const j = await runAction<Record<string, any>>(services, 'harvest_job_show', { id: jobId }, { actor: SYSTEM });
    process.stdout.write(`\r${label}: ${j.status} ${j.progress.done}/${j.progress.total || j.progress.objects}   `);
    if (j.status === 'Finished') {
      process.stdout.write('\n');
      return j;
    }
    if (until?.(j.progress.done, j.progress.total)) {
      process.stdout.write('\n');
      return j;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const agencyDb = await createScratchDatabase(PG, 'banchi_bench_agency');
const registryDb = await createScratchDatabase(PG, 'banchi_bench_registry');
const dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'bench-agency-')), fs.mkdtempSync(path.join(os.tmpdir(), 'bench-registry-'))];
const children: ChildProcess[] = [];
try {
  const agencyCfg = loadConfig({ DATABASE_URL: agencyDb.url, BANCHI_DATA_DIR: dirs[0] } as NodeJS.ProcessEnv);
  const agencyServices = await openServices(agencyCfg);
  const corpus = await createCorpus(agencyServices, { total: N, publicShare: 1 });
  await corpus.insert(0, N);
  await reindexAll(agencyServices);
  await agencyServices.store.close();
  children.push(await serve(agencyDb.url, 5801, dirs[0]!));
  const agencyUrl = 'http://127.0.0.1:5801';
  const count = ((await (await fetch(`${agencyUrl}/api/3/action/package_search?rows=0`)).json()) as { result: { count: number } }).result.count;
  console.log(`agency catalog: ${count} public datasets at ${agencyUrl}`);

  // The agency catalog is on loopback: harvest from private addresses is refused unless allowed.
  const regEnv = { BANCHI_HARVEST_STALE_SECONDS: '3', BANCHI_HARVEST_ALLOW_PRIVATE: 'true' };
  const registry = await openServices(loadConfig({ DATABASE_URL: registryDb.url, BANCHI_DATA_DIR: dirs[1], ...regEnv } as NodeJS.ProcessEnv));
  await runAction(registry, 'organization_create', { name: 'nso', title: 'สำนักงานสถิติแห่งชาติ' }, { actor: SYSTEM });
  await runAction(registry, 'harvest_source_create', { name: 'agency', url: agencyUrl, source_type: 'ckan', owner_org: 'nso' }, { actor: SYSTEM });
  let reg = await serve(registryDb.url, 5802, dirs[1]!, regEnv);
  children.push(reg);

  let t0 = performance.now();
  let job = await runAction<Record<string, any>>(registry, 'harvest_job_create', { source_id: 'agency' }, { actor: SYSTEM });
  job = await waitFor(registry, job.id, 'first run');
  let s = (performance.now() - t0) / 1000;
  console.log(`first full harvest: ${JSON.stringify(job.stats)} in ${s.toFixed(1)} s = ${(job.stats.added / s).toFixed(0)} datasets/s (target 20,000 in ≤ 60 s)`);
  const span = (a: string | null, b: string | null) => (a && b ? ((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1) : '?');
  console.log(`  gather ${span(job.gather_started, job.gather_finished)} s, import ${span(job.gather_finished, job.finished)} s`);
  const errs = await registry.store.db.selectFrom('harvest_objects').select('errors').where('job_id', '=', job.id).where('report_status', '=', 'errored').execute();
  const why = new Map<string, number>();
  for (const e of errs) for (const k of Object.keys(e.errors ?? {})) why.set(k.replace(/\[\d+\]/g, '[]'), (why.get(k.replace(/\[\d+\]/g, '[]')) ?? 0) + 1);
  console.log(`  errored records by field (real data.go.th records that fail the standard): ${JSON.stringify(Object.fromEntries([...why].sort((a, b) => b[1] - a[1]).slice(0, 6)))}`);

  job = await runAction<Record<string, any>>(registry, 'harvest_job_create', { source_id: 'agency', full: true }, { actor: SYSTEM });
  const mid = await waitFor(registry, job.id, 'second full run', (done, total) => total > 0 && done > total * 0.3);
  if (mid.status !== 'Finished') {
    reg.kill('SIGKILL');
    await new Promise((r) => reg.once('exit', r));
    console.log(`registry killed with SIGKILL at ${mid.progress.done}/${mid.progress.total}`);
    reg = await serve(registryDb.url, 5802, dirs[1]!, regEnv);
    children.push(reg);
  }
  job = await waitFor(registry, job.id, 'second run after restart');
  const db = registry.store.db;
  const recs = Number((await db.selectFrom('harvest_records').select((eb) => eb.fn.countAll<string>().as('n')).where('state', '=', 'active').executeTakeFirstOrThrow()).n);
  const ds = Number((await db.selectFrom('datasets').select((eb) => eb.fn.countAll<string>().as('n')).where('state', '=', 'active').executeTakeFirstOrThrow()).n);
  const objs = Number((await db.selectFrom('harvest_objects').select((eb) => eb.fn.countAll<string>().as('n')).where('job_id', '=', job.id).executeTakeFirstOrThrow()).n);
  console.log(`second run: ${job.status} ${JSON.stringify(job.stats)}; objects ${objs}, active records ${recs}, active datasets ${ds}; duplicates: ${objs - new Set((await db.selectFrom('harvest_objects').select('guid').where('job_id', '=', job.id).execute()).map((o) => o.guid)).size}`);

  t0 = performance.now();
  job = await runAction<Record<string, any>>(registry, 'harvest_job_create', { source_id: 'agency' }, { actor: SYSTEM });
  job = await waitFor(registry, job.id, 'incremental');
  s = (performance.now() - t0) / 1000;
  console.log(`unchanged incremental re-harvest: ${JSON.stringify(job.stats)} in ${s.toFixed(1)} s (target ≤ 10 s; includes the server's 1 s queue poll)`);
  await registry.store.close();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  await agencyDb.drop();
  await registryDb.drop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}
