/**
 * Load benchmark (issue 10): `npm run bench:load -- [--n 3000] [--clients 50] [--seconds 60]
 * [--workers 1,2] [--stores postgres,pglite]`; BANCHI_LOAD_SECONDS shortens a run (e.g. 15).
 *
 * Builds a catalog of N datasets from the real data.go.th records (bench/search-corpus.ts), then
 * runs `banchi serve --workers W` as a user would (a child process on 127.0.0.1) and lets
 * `clients` concurrent clients loop over a mix of what a catalog is asked for: the home page,
 * search pages, dataset pages, package_search and package_show over the API, and a few writes
 * (package_patch with an editor's API token). Prints requests/s, p50/p95/p99 and errors for each
 * worker count. Any answer but 200 is an error. PGlite is one process: only `--workers 1` there.
 * PostgreSQL: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres, in a scratch
 * database dropped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { reindexAll } from '../src/search/reindex.ts';
import { visibleDatasets } from '../src/access/visibility.ts';
import { ANONYMOUS, SYSTEM } from '../src/access/actor.ts';
import { runAction } from '../src/actions/registry.ts';
import { createCorpus, loadSeedRecords, type SeedRecord } from './search-corpus.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '3000' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: process.env.BANCHI_LOAD_SECONDS || '60' },
    workers: { type: 'string', default: '1,2' },
    stores: { type: 'string', default: 'postgres' },
  },
});
const N = Number(args.n);
const CLIENTS = Number(args.clients);
const SECONDS = Number(args.seconds);
const WORKERS = args.workers!.split(',').map(Number);
const STORES = args.stores!.split(',').map((s) => s.trim()).filter(Boolean);
if (!Number.isSafeInteger(N) || N < 100) throw new Error('--n must be an integer of at least 100');
if (!(SECONDS > 0) || !Number.isInteger(CLIENTS) || CLIENTS < 1) throw new Error('--seconds and --clients must be positive');
if (WORKERS.some((w) => !Number.isInteger(w) || w < 1)) throw new Error('--workers: a list of whole numbers');
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'banchi.js');
const PASSWORD = 'correct horse battery staple';
const line = (s: string) => process.stdout.write(s + '\n');

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Search words as people type them: frequent words of the real titles (Thai word segmentation). */
function searchWords(records: SeedRecord[], count = 150): string[] {
  const seg = new Intl.Segmenter('th', { granularity: 'word' });
  const freq = new Map<string, number>();
  for (const r of records.slice(0, 20000)) {
    for (const s of seg.segment(r.title)) if (s.isWordLike && [...s.segment].length >= 3 && !/^\d+$/.test(s.segment)) freq.set(s.segment, (freq.get(s.segment) ?? 0) + 1);
  }
  return [...freq.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([w]) => w);
}

interface Fixture {
  env: NodeJS.ProcessEnv;
  names: string[];
  editable: string[];
  orgs: string[];
  /** The writing editor's organisation. */
  org: string;
  words: string[];
  token: string;
  close(): Promise<void>;
}

async function prepare(kind: string): Promise<Fixture> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-load-'));
  const scratch = kind === 'postgres' ? await createScratchDatabase(process.env.DATABASE_URL || LOCAL_POSTGRES, 'banchi_bench') : null;
  const env: NodeJS.ProcessEnv = { ...process.env, BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '', BANCHI_SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-01', LOG_LEVEL: '' };
  const services = await openServices(loadConfig(env));
  try {
    const db = services.store.db;
    const t0 = performance.now();
    const records = loadSeedRecords();
    const corpus = await createCorpus(services, { total: N, records });
    await corpus.insert(0, N);
    await sql`ANALYZE`.execute(db);
    await reindexAll(services);
    await sql`VACUUM ANALYZE`.execute(db);
    const names = (await db.selectFrom('datasets as d').select('d.name').where(visibleDatasets(ANONYMOUS, 'd')).orderBy('d.name').limit(2000).execute()).map((r) => r.name);
    // An editor of one organisation writes through the API with a token, as an agency's script does.
    const org = corpus.orgs[0]!;
    await runAction(services, 'user_create', { name: 'bench-admin', email: 'admin@example.go.th', password: PASSWORD, sysadmin: true }, { actor: SYSTEM });
    await runAction(services, 'user_create', { name: 'bench-editor', email: 'bench@example.go.th', password: PASSWORD }, { actor: SYSTEM });
    await runAction(services, 'organization_member_create', { id: org.name, username: 'bench-editor', role: 'editor' }, { actor: SYSTEM });
    const { token } = await runAction<{ token: string }>(services, 'api_token_create', { user: 'bench-editor', name: 'load' }, { actor: SYSTEM });
    // Entries the editor keeps up to date (the generated ones carry the real data's off-list formats, which an edit must fix first).
    const editable: string[] = [];
    for (let i = 0; i < 50; i++) editable.push((await runAction<{ name: string }>(services, 'package_create', datasetInput(org.name, `load-edit-${i}`), { actor: SYSTEM })).name);
    line(`${kind}: ${N.toLocaleString()} datasets loaded and indexed in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${editable.length} editable by the writing client`);
    return {
      env, names, editable, token,
      orgs: corpus.orgs.map((o) => o.name),
      org: org.name,
      words: searchWords(records),
      async close() {
        await scratch?.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } finally {
    await services.store.close(); // the server process opens the store next (PGlite: its lock)
  }
}

/** A complete dataset of the national standard, as an agency's script sends it. */
function datasetInput(org: string, name: string): Record<string, unknown> {
  return {
    name, owner_org: org,
    title: `สถิติจำนวนผู้ใช้บริการ ${name}`,
    notes: 'ข้อมูลจำนวนผู้ใช้บริการ จำแนกตามเดือน',
    data_type: 'ข้อมูลสถิติ', maintainer: 'กลุ่มสถิติ', maintainer_email: 'stat@example.go.th', tags: ['สถิติ'],
    objective: ['พันธกิจหน่วยงาน'], update_frequency_unit: 'เดือน', update_frequency_interval: '1', geo_coverage: 'ประเทศ',
    data_source: 'ระบบงานของหน่วยงาน', data_format: ['CSV'], data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย', license_id: 'Open Data Common',
  };
}

function startServer(env: NodeJS.ProcessEnv, workers: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--workers', String(workers)], { env: { ...env, LANG: 'en_US.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) resolve({ child, url: m[0] });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}${err}`)));
  });
}

type Kind = 'home' | 'search page' | 'dataset page' | 'api search' | 'api show' | 'api write';
/** The mix, in shares of 100: mostly reads, as a catalog sees; writes are a few in a hundred. */
const MIX: Array<[Kind, number]> = [['home', 10], ['search page', 25], ['dataset page', 20], ['api search', 22], ['api show', 20], ['api write', 3]];

function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}

function request(f: Fixture, base: string, kind: Kind, n: number): [string, RequestInit] {
  const word = () => encodeURIComponent(Math.random() < 0.3 ? `${pick(f.words)} ${pick(f.words)}` : pick(f.words));
  switch (kind) {
    case 'home':
      return [`${base}/`, {}];
    case 'search page':
      return [`${base}/dataset?q=${word()}${Math.random() < 0.3 ? '&page=2' : ''}${Math.random() < 0.2 ? `&organization=${encodeURIComponent(pick(f.orgs))}` : ''}`, {}];
    case 'dataset page':
      return [`${base}/dataset/${encodeURIComponent(pick(f.names))}`, {}];
    case 'api search':
      return [`${base}/api/3/action/package_search?q=${word()}&rows=10${Math.random() < 0.3 ? '&facet.field=["organization","tags","res_format"]' : ''}`, {}];
    case 'api show':
      return [`${base}/api/3/action/package_show?id=${encodeURIComponent(pick(f.names))}`, {}];
    case 'api write': {
      const headers = { authorization: f.token, 'content-type': 'application/json' };
      // Two edits for each new entry.
      if (n % 3 === 0) return [`${base}/api/3/action/package_create`, { method: 'POST', headers, body: JSON.stringify(datasetInput(f.org, `load-new-${process.pid}-${n}-${Math.random().toString(36).slice(2, 8)}`)) }];
      return [`${base}/api/3/action/package_patch`, { method: 'POST', headers, body: JSON.stringify({ id: pick(f.editable), notes: `ปรับปรุงระหว่างทดสอบโหลด ครั้งที่ ${n}` }) }];
    }
  }
}

interface Result {
  seconds: number;
  latencies: Map<Kind, number[]>;
  errors: Map<Kind, number>;
  samples: string[];
  cpu: { app: number; pg: number; generator: number };
}

/** CPU milliseconds (user + system) of every process, by pid, with its parent and name, from /proc. */
function processCpu(): Map<number, { ppid: number; comm: string; ms: number }> {
  const out = new Map<number, { ppid: number; comm: string; ms: number }>();
  const tick = 1000 / 100; // USER_HZ
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      const f = st.slice(close + 2).split(' ');
      out.set(Number(d), { ppid: Number(f[1]), comm: st.slice(st.indexOf('(') + 1, close), ms: (Number(f[11]) + Number(f[12])) * tick });
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

/** Where the machine's CPU went during a run: the app processes (the server and its workers), PostgreSQL, this load generator. */
function cpuSplit(root: number, before: Map<number, { ppid: number; comm: string; ms: number }>, after: Map<number, { ppid: number; comm: string; ms: number }>) {
  const under = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 10; p = after.get(p)?.ppid ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let app = 0;
  let pg = 0;
  for (const [pid, a] of after) {
    const d = a.ms - (before.get(pid)?.ms ?? 0);
    if (under(pid)) app += d;
    else if (a.comm === 'postgres') pg += d;
  }
  return { app, pg };
}

async function run(f: Fixture, base: string, seconds: number, serverPid = 0): Promise<Result> {
  const cpuBefore = processCpu();
  const selfBefore = process.cpuUsage();
  const latencies = new Map<Kind, number[]>(MIX.map(([k]) => [k, []]));
  const errors = new Map<Kind, number>(MIX.map(([k]) => [k, 0]));
  const samples: string[] = [];
  const total = MIX.reduce((s, [, w]) => s + w, 0);
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const client = async () => {
    while (performance.now() < until) {
      let r = Math.random() * total;
      const kind = MIX.find(([, w]) => (r -= w) < 0)?.[0] ?? 'home';
      const [url, init] = request(f, base, kind, n++);
      const t = performance.now();
      let status = 0;
      try {
        const res = await fetch(url, init);
        const body = await res.text();
        status = res.status;
        if (status !== 200 && samples.length < 5) samples.push(`${kind} ${url.slice(base.length, base.length + 80)} → ${status} ${body.slice(0, 300)}`);
      } catch (e) {
        if (samples.length < 5) samples.push(`${kind}: ${(e as Error).message}`);
      }
      latencies.get(kind)!.push(performance.now() - t);
      if (status !== 200) {
        errors.set(kind, errors.get(kind)! + 1);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const self = process.cpuUsage(selfBefore);
  return { seconds: (performance.now() - t0) / 1000, latencies, errors, samples, cpu: { ...cpuSplit(serverPid, cpuBefore, processCpu()), generator: (self.user + self.system) / 1000 } };
}

function report(label: string, r: Result): void {
  const fmt = (name: string, xs: number[], errs: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return `  ${name.padEnd(14)} ${String(s.length).padStart(7)} ${(s.length / r.seconds).toFixed(1).padStart(8)} ${percentile(s, 50).toFixed(1).padStart(8)} ${percentile(s, 95).toFixed(1).padStart(8)} ${percentile(s, 99).toFixed(1).padStart(8)} ${String(errs).padStart(7)}`;
  };
  line(`${label}: ${CLIENTS} clients, ${r.seconds.toFixed(0)} s, ${os.cpus().length} CPUs (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  line(`  ${'request'.padEnd(14)} ${'count'.padStart(7)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
  for (const [k] of MIX) line(fmt(k, r.latencies.get(k)!, r.errors.get(k)!));
  line(fmt('ALL', [...r.latencies.values()].flat(), [...r.errors.values()].reduce((a, b) => a + b, 0)));
  const n = [...r.latencies.values()].reduce((a, x) => a + x.length, 0);
  const busy = (r.cpu.app + r.cpu.pg + r.cpu.generator) / (r.seconds * 1000 * os.cpus().length);
  line(`  CPU per request: app processes ${(r.cpu.app / n).toFixed(2)} ms, PostgreSQL ${(r.cpu.pg / n).toFixed(2)} ms, load generator ${(r.cpu.generator / n).toFixed(2)} ms; the ${os.cpus().length} cores ${(busy * 100).toFixed(0)} % busy`);
  for (const s of r.samples) line(`  error sample: ${s}`);
}

for (const kind of STORES) {
  if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`unknown store ${kind}`);
  const f = await prepare(kind);
  try {
    for (const w of kind === 'pglite' ? WORKERS.filter((x) => x === 1) : WORKERS) {
      const { child, url } = await startServer(f.env, w);
      try {
        await run(f, url, Math.min(5, SECONDS)); // warm-up: plans, caches, connections
        report(`${kind}, ${w} worker process${w > 1 ? 'es' : ''}`, await run(f, url, SECONDS, child.pid ?? 0));
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  } finally {
    await f.close();
  }
}
