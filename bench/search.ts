/**
 * Search benchmark: `npm run bench:search -- [--sizes 10000,100000] [--queries 300] [--stores postgres] [--verbose]`
 * Sizes also from BANCHI_BENCH_SIZES (default 10000, the quick run; 100000 and 1000000 are the
 * national-scale runs). PostgreSQL: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres,
 * in a scratch database dropped afterwards.
 *
 * Builds a catalog from the real data.go.th records in ../shared/data (search-corpus.ts, COPY),
 * then measures package_search through HTTP with queries that never repeat (search-mix.ts) for
 * three callers: anonymous, a signed-in user without memberships and an organisation editor
 * (both with include_private=true, as the portal asks). Prints p50/p95/p99 per caller and size
 * and the share of request time spent waiting for SQL. Asserts nothing. The in-memory copy
 * (src/search/memindex) answers what it can, as in production; BANCHI_SEARCH_MEMORY=off measures SQL alone.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import { runAction } from '../src/actions/registry.ts';
import { SYSTEM } from '../src/access/actor.ts';
import type { Services } from '../src/actions/context.ts';
import { createCorpus, loadSeedRecords, type Corpus } from './search-corpus.ts';
import { queryMix, titleWords, type BenchQuery } from './search-mix.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';
import { memCounters, memorySearchEnabled, memStats, memTimes, warmMemIndex } from '../src/search/memindex/engine.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: process.env.BANCHI_BENCH_SIZES || '10000' },
    queries: { type: 'string', default: '300' },
    stores: { type: 'string', default: 'postgres' },
    verbose: { type: 'boolean', default: false },
  },
});
const SIZES = [...new Set(args.sizes!.split(',').map((s) => Number(s.trim())))].sort((a, b) => a - b);
const QUERIES = Number(args.queries);
const STORES = args.stores!.split(',').map((s) => s.trim()).filter(Boolean);
if (!SIZES.length || !SIZES.every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error('--sizes must be positive integers');

const CALLERS = ['anonymous', 'signed in, no memberships', 'organisation editor'] as const;
type Caller = (typeof CALLERS)[number];

/** Time spent waiting for PostgreSQL, summed over every query of this process (requests run one at a time). */
let sqlMs = 0;
const originalQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  const t = performance.now();
  const r = originalQuery.apply(this, a);
  if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(() => (sqlMs += performance.now() - t), () => (sqlMs += performance.now() - t));
  return r;
} as typeof pg.Client.prototype.query;

function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const line = (s: string) => process.stdout.write(s + '\n');
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
const progress = (label: string) => (done: number, total: number) => {
  if (process.stdout.isTTY) process.stdout.write(`\r  ${label} ${done.toLocaleString()}/${total.toLocaleString()}   `);
  if (done >= total && process.stdout.isTTY) process.stdout.write('\r' + ' '.repeat(60) + '\r');
};

interface Measured {
  size: number;
  caller: Caller;
  ms: number[];
  facetedMs: number[];
  sqlShare: number;
  hits: number[];
}

async function measure(base: string, token: string | null, mix: BenchQuery[]): Promise<{ ms: number[]; facetedMs: number[]; sqlShare: number; hits: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = async (q: BenchQuery) => {
    const qs = new URLSearchParams(q.params);
    const t = performance.now();
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${base}/api/3/action/package_search?${qs}`, { agent, headers: token ? { authorization: token } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    const ms = performance.now() - t;
    const body = JSON.parse(text) as { success: boolean; result?: { count: number }; error?: unknown };
    if (!body.success) throw new Error(`package_search ${qs} failed: ${JSON.stringify(body.error)}`);
    return { ms, count: body.result!.count };
  };
  const ms: number[] = [];
  const facetedMs: number[] = [];
  const hits: number[] = [];
  const sql0 = sqlMs;
  for (const q of mix) {
    const r = await call(q);
    ms.push(r.ms);
    if (q.facets) facetedMs.push(r.ms);
    hits.push(r.count);
    if (args.verbose) line(`    ${r.ms.toFixed(1).padStart(7)} ms ${String(r.count).padStart(8)} hits  ${JSON.stringify(q.params).slice(0, 160)}`);
  }
  agent.destroy();
  const total = ms.reduce((a, b) => a + b, 0);
  return { ms, facetedMs, sqlShare: (sqlMs - sql0) / total, hits };
}

async function tokenFor(services: Services, corpus: Corpus, name: string, editorOf: string | null): Promise<string> {
  const sysCall = (action: string, input: Record<string, unknown>) => runAction<any>(services, action, input, { actor: SYSTEM });
  await sysCall('user_create', { name, email: `${name}@example.go.th`, password: 'correct horse battery staple' });
  if (editorOf) await sysCall('organization_member_create', { id: editorOf, username: name, role: 'editor' });
  const { token } = await sysCall('api_token_create', { user: name, name: 'bench' });
  return token as string;
}

async function benchStore(kind: string): Promise<Measured[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-'));
  const scratch = kind === 'postgres' ? await createScratchDatabase(process.env.DATABASE_URL || LOCAL_POSTGRES, 'banchi_bench') : null;
  const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '' } as NodeJS.ProcessEnv, { siteUrl: 'http://127.0.0.1', sessionSecret: 'bench-secret-bench-secret-bench-secret-01' });
  const services = await openServices(config);
  const app = await buildApp(services, { plugins: [] });
  const out: Measured[] = [];
  try {
    const db = services.store.db;
    const records = loadSeedRecords();
    const corpus = await createCorpus(services, { total: SIZES[SIZES.length - 1]!, records });
    // The editor's organisation holds a typical share of the catalog, drafts and private entries included.
    const tokens: Record<Caller, string | null> = {
      anonymous: null,
      'signed in, no memberships': await tokenFor(services, corpus, 'bench-reader', null),
      'organisation editor': await tokenFor(services, corpus, 'bench-editor', corpus.orgs[0]!.name),
    };
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const pool = titleWords(records);
    const used = new Set<string>();
    let loaded = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await corpus.insert(loaded, size, progress(`${kind}: loading`));
      loaded = size;
      await sql`VACUUM ANALYZE`.execute(db);
      line(`  ${kind}: ${size.toLocaleString()} datasets loaded and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s (load average ${load()})`);
      if (memorySearchEnabled()) {
        // Each server process loads its copy once at start (and again after bulk changes); timed here, not in the queries.
        const t1 = performance.now();
        const heap0 = process.memoryUsage();
        await warmMemIndex(services.store);
        const heap1 = process.memoryUsage();
        const st = memStats(services.store)!;
        line(`  ${kind}: in-memory copy of ${st.live.toLocaleString()} rows loaded in ${((performance.now() - t1) / 1000).toFixed(1)} s, index ${(st.bytes / 2 ** 20).toFixed(0)} MB, process RSS ${(heap1.rss / 2 ** 20).toFixed(0)} MB (+${((heap1.rss - heap0.rss) / 2 ** 20).toFixed(0)} MB)`);
      }
      // Warm-up: plans, connections and the operating system's page cache; not counted.
      await measure(base, tokens['signed in, no memberships'], queryMix(pool, corpus, 30, size + 1, used));
      for (const [ci, caller] of CALLERS.entries()) {
        const mix = queryMix(pool, corpus, QUERIES, size * 10 + ci, used);
        const private_: Record<string, string> = caller === 'anonymous' ? {} : { include_private: 'true' };
        const before = { ...memCounters };
        const steps0 = { ...memTimes };
        const r = await measure(base, tokens[caller], mix.map((q, i) => ({ ...q, params: { ...q.params, ...private_, ...(caller === 'organisation editor' && i % 10 === 0 ? { include_drafts: 'true' } : {}) } as Record<string, string> })));
        out.push({ size, caller, ...r });
        const viaMemory = memCounters.memory - before.memory;
        const viaSql = memCounters.sql - before.sql;
        const steps = Object.entries(memTimes).map(([k, v]) => `${k} ${((v - (steps0[k] ?? 0)) / mix.length).toFixed(1)}`).join(', ');
        line(`  ${kind}: ${size.toLocaleString()} ${caller.padEnd(26)} p50 ${percentile(r.ms, 50).toFixed(1)} p95 ${percentile(r.ms, 95).toFixed(1)} p99 ${percentile(r.ms, 99).toFixed(1)} ms, SQL ${(r.sqlShare * 100).toFixed(0)}% (median hits ${percentile(r.hits, 50)}; answered from memory ${viaMemory}, by SQL ${viaSql}; load ${load()})`);
        if (viaMemory) line(`      mean ms per search by step: ${steps}`);
      }
    }
  } finally {
    await app.close();
    await services.store.close();
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return out;
}

function report(kind: string, rows: Measured[]): void {
  line(`\n${kind}: package_search over HTTP, ${QUERIES} distinct queries per caller and size (rows=20; a third with four facets)`);
  line(`  ${'size'.padStart(10)}  ${'caller'.padEnd(26)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'faceted p95'.padStart(12)} ${'SQL share'.padStart(10)}`);
  for (const r of rows) {
    line(`  ${r.size.toLocaleString().padStart(10)}  ${r.caller.padEnd(26)} ${percentile(r.ms, 50).toFixed(1).padStart(7)} ${percentile(r.ms, 95).toFixed(1).padStart(7)} ${percentile(r.ms, 99).toFixed(1).padStart(7)} ${percentile(r.facetedMs, 95).toFixed(1).padStart(12)} ${`${(r.sqlShare * 100).toFixed(0)}%`.padStart(10)}`);
  }
  if (SIZES.length > 1) {
    const [small, big] = [SIZES[0]!, SIZES[SIZES.length - 1]!];
    for (const caller of CALLERS) {
      const p = (size: number) => percentile(rows.find((r) => r.size === size && r.caller === caller)!.ms, 95);
      line(`  ${caller}: p95 at ${big.toLocaleString()} / p95 at ${small.toLocaleString()} = ${(p(big) / p(small)).toFixed(2)}×`);
    }
  }
}

const started = performance.now();
line(`banchi search benchmark: sizes ${SIZES.map((s) => s.toLocaleString()).join(', ')}, stores ${STORES.join(', ')}, node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}`);
const all: Array<[string, Measured[]]> = [];
for (const kind of STORES) {
  if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`unknown store ${kind}`);
  all.push([kind, await benchStore(kind)]);
}
for (const [kind, rows] of all) report(kind, rows);
line(`\ntargets (PostgreSQL, signed-in callers): p95 ≤ 50 ms at 1,000,000 datasets; p95(1M) / p95(10k) ≤ 3`);
line(`done in ${((performance.now() - started) / 1000).toFixed(0)} s, load average ${load()}`);
process.exit(0);
