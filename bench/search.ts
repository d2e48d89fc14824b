/**
 * Search benchmark: `npm run bench:search -- [--n 100000] [--small 10000] [--stores pglite,postgres] [--rounds 3] [--verbose]`
 *
 * Builds a catalog from the real data.go.th records in ../shared/data (see search-corpus.ts),
 * times `reindexAll` (indexing rate), then measures package_search through HTTP for a fixed mix
 * of Thai queries at the small size and at full size. PostgreSQL: DATABASE_URL if set, else
 * postgres://postgres@127.0.0.1:5432/postgres, in a scratch database that is dropped afterwards.
 * Prints figures; asserts nothing.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import { runAction } from '../src/actions/registry.ts';
import { SYSTEM } from '../src/access/actor.ts';
import type { Services } from '../src/actions/context.ts';
import { reindexAll } from '../src/search/reindex.ts';
import { createCorpus, loadSeedRecords, type Corpus } from './search-corpus.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    small: { type: 'string', default: '10000' },
    stores: { type: 'string', default: 'pglite,postgres' },
    rounds: { type: 'string', default: '3' },
    verbose: { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const SMALL = Math.min(Number(args.small), N);
const ROUNDS = Math.max(1, Number(args.rounds));
const STORES = args.stores!.split(',').map((s) => s.trim()).filter(Boolean);
if (!Number.isSafeInteger(N) || N < 1) throw new Error('--n must be a positive integer');

interface Query {
  kind: 'one-word' | 'two-word' | 'phrase' | 'faceted' | 'filtered' | 'typo';
  params: Record<string, string>;
  member?: boolean;
}

const FACETS = JSON.stringify(['organization', 'groups', 'tags', 'res_format', 'license_id', 'data_type', 'data_category', 'data_classification', 'update_frequency_unit', 'geo_coverage']);

/** The fixed mix: real Thai topic words of the catalog, from rare to common. */
function queryMix(corpus: Corpus): Query[] {
  const org = corpus.orgs[12 % corpus.orgs.length]!.name;
  const q = (kind: Query['kind'], params: Record<string, string>, member = false): Query => ({ kind, params, member });
  return [
    ...['แรงงาน', 'ท่องเที่ยว', 'งบประมาณ', 'โรงเรียน', 'ประชากร', 'สถิติ', 'น้ำ', 'ไฟฟ้า', 'เกษตร', 'ภาษี'].map((w) => q('one-word', { q: w })),
    ...['อัตรา ว่างงาน', 'นักท่องเที่ยว ต่างประเทศ', 'จำนวน นักท่องเที่ยว', 'งบประมาณ รายจ่าย', 'ความพึงพอใจ บริการ', 'ผู้ป่วย โรงพยาบาล'].map((w) => q('two-word', { q: w })),
    ...['"จัดซื้อจัดจ้าง"', '"ค่าจ้างขั้นต่ำ"', '"นักเรียนทุนรัฐบาล"', '"ความพึงพอใจ"', '"ทั่วราชอาณาจักร"'].map((w) => q('phrase', { q: w })),
    ...['ท่องเที่ยว', 'งบประมาณ', 'สถิติ', 'โรงเรียน', '*:*'].map((w) => q('faceted', { q: w, 'facet.field': FACETS, 'facet.limit': '10' })),
    q('filtered', { q: 'งบประมาณ', fq: 'res_format:CSV' }),
    q('filtered', { q: 'สถิติ', fq: `organization:${org}` }),
    q('filtered', { q: '*:*', fq: 'tags:"งบประมาณ"', sort: 'metadata_modified desc' }),
    q('filtered', { q: 'น้ำ', fq: 'data_type:"ข้อมูลสถิติ" +license_id:"Creative Commons Attributions"' }),
    q('filtered', { q: 'ท่องเที่ยว', fq: 'groups:group-3 OR tags:(ท่องเที่ยว OR นักท่องเที่ยว)', 'facet.field': '["tags","organization"]' }),
    q('filtered', { q: 'ประชากร', include_private: 'true', 'facet.field': '["organization","data_category"]' }, true),
    q('filtered', { q: 'งบประมาณ', include_private: 'true', include_drafts: 'true' }, true),
    q('typo', { q: 'แรงงาณ' }),
    q('typo', { q: 'ท่องเที่' }),
  ];
}

function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

interface Scratch {
  url: string;
  drop(): Promise<void>;
}

function scratchPostgres(): Promise<Scratch> {
  return createScratchDatabase(process.env.DATABASE_URL || LOCAL_POSTGRES, 'banchi_bench');
}

const line = (s: string) => process.stdout.write(s + '\n');
const progress = (label: string) => (done: number, total: number) => {
  if (process.stdout.isTTY) process.stdout.write(`\r  ${label} ${done.toLocaleString()}/${total.toLocaleString()}   `);
  if (done >= total && process.stdout.isTTY) process.stdout.write('\r' + ' '.repeat(60) + '\r');
};

interface SizeResult {
  size: number;
  indexRate: number;
  latencies: Map<Query['kind'] | 'all', number[]>;
  /** The same mix as a signed-in caller: never served from the anonymous result cache. */
  uncached: Map<Query['kind'] | 'all', number[]>;
  counts: number[];
}

async function measure(base: string, token: string, mix: Query[]): Promise<SizeResult['latencies']> {
  const lat = new Map<Query['kind'] | 'all', number[]>();
  // A fresh keep-alive agent per measurement: a connection left idle through a long reindex
  // may have been closed by the server.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = async (query: Query) => {
    const qs = new URLSearchParams({ rows: '20', ...query.params });
    const t = performance.now();
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${base}/api/3/action/package_search?${qs}`, { agent, headers: query.member ? { authorization: token } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    const body = JSON.parse(text) as { success: boolean; result?: { count: number }; error?: unknown };
    const ms = performance.now() - t;
    if (!body.success) throw new Error(`package_search ${qs} failed: ${JSON.stringify(body.error)}`);
    return { ms, count: body.result!.count };
  };
  for (const query of mix) await call(query); // warm-up: plans and caches
  const perQuery = mix.map(() => [] as number[]);
  const counts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, query] of mix.entries()) {
      const { ms, count } = await call(query);
      perQuery[i]!.push(ms);
      counts[i] = count;
      for (const k of [query.kind, 'all'] as const) (lat.get(k) ?? lat.set(k, []).get(k)!).push(ms);
    }
  }
  agent.destroy();
  if (args.verbose) for (const [i, query] of mix.entries()) line(`    ${percentile(perQuery[i]!, 50).toFixed(1).padStart(7)} ms  ${String(counts[i]).padStart(7)} hits  ${query.kind} ${JSON.stringify(query.params).slice(0, 150)}`);
  return lat;
}

async function memberToken(services: Services, corpus: Corpus): Promise<string> {
  const sysCall = (action: string, input: Record<string, unknown>) => runAction<any>(services, action, input, { actor: SYSTEM });
  await sysCall('user_create', { name: 'bench-member', email: 'bench@example.go.th', password: 'correct horse battery staple' });
  for (const org of corpus.orgs.slice(0, 5)) await sysCall('organization_member_create', { id: org.name, username: 'bench-member', role: 'editor' });
  const { token } = await sysCall('api_token_create', { user: 'bench-member', name: 'bench' });
  return token as string;
}

async function benchStore(kind: string): Promise<SizeResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-'));
  const scratch = kind === 'postgres' ? await scratchPostgres() : null;
  const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '' } as NodeJS.ProcessEnv, { siteUrl: 'http://127.0.0.1', sessionSecret: 'bench-secret-bench-secret-bench-secret-01' });
  // PGlite on disk, as banchi runs by default (an in-memory store would also cap the size at 4 GB).
  const services = await openServices(config);
  const app = await buildApp(services, { plugins: [] });
  const results: SizeResult[] = [];
  try {
    const db = services.store.db;
    const corpus = await createCorpus(db, { total: N, records: loadSeedRecords() });
    const token = await memberToken(services, corpus);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const mix = queryMix(corpus);
    let loaded = 0;
    for (const size of [...new Set([SMALL, N])]) {
      const t0 = performance.now();
      await corpus.insert(loaded, size, progress(`${kind}: loading`));
      loaded = size;
      await sql`ANALYZE`.execute(db);
      line(`  ${kind}: loaded ${size.toLocaleString()} datasets in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const t1 = performance.now();
      const indexed = await reindexAll(services, progress(`${kind}: indexing`));
      const secs = (performance.now() - t1) / 1000;
      await sql`VACUUM ANALYZE`.execute(db);
      const rate = indexed / secs;
      line(`  ${kind}: reindexAll ${indexed.toLocaleString()} in ${secs.toFixed(1)} s → ${Math.round(rate).toLocaleString()} datasets/s`);
      const latencies = await measure(base, token, mix);
      const uncached = await measure(base, token, mix.map((m) => ({ ...m, member: true })));
      results.push({ size, indexRate: rate, latencies, uncached, counts: [] });
      const all = latencies.get('all')!;
      const cold = uncached.get('all')!;
      line(`  ${kind}: ${size.toLocaleString()} datasets: package_search p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms (${all.length} requests); signed in (uncached) p50 ${percentile(cold, 50).toFixed(1)} ms, p95 ${percentile(cold, 95).toFixed(1)} ms`);
    }
  } finally {
    await app.close();
    await services.store.close();
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

function report(kind: string, results: SizeResult[]): void {
  line(`\n${kind}`);
  const kinds: Array<Query['kind'] | 'all'> = ['one-word', 'two-word', 'phrase', 'faceted', 'filtered', 'typo', 'all'];
  line(`  ${'size'.padEnd(10)} ${'index/s'.padStart(8)}  ${kinds.map((k) => `${k} p50/p95`.padStart(20)).join('')}`);
  for (const [label, pick] of [['anonymous (repeat queries may be cached)', (r: SizeResult) => r.latencies], ['signed in (uncached)', (r: SizeResult) => r.uncached]] as const) {
    line(`  ${label}`);
    for (const r of results) {
      const cells = kinds.map((k) => {
        const xs = pick(r).get(k) ?? [];
        return `${percentile(xs, 50).toFixed(1)}/${percentile(xs, 95).toFixed(1)}`.padStart(20);
      });
      line(`  ${r.size.toLocaleString().padEnd(10)} ${Math.round(r.indexRate).toLocaleString().padStart(8)}  ${cells.join('')}`);
    }
    if (results.length === 2) {
      const [small, full] = results as [SizeResult, SizeResult];
      const ratio = percentile(pick(full).get('all')!, 95) / percentile(pick(small).get('all')!, 95);
      line(`  p95 at ${full.size.toLocaleString()} / p95 at ${small.size.toLocaleString()} = ${ratio.toFixed(2)}×`);
    }
  }
}

const started = performance.now();
line(`banchi search benchmark: ${N.toLocaleString()} datasets (and ${SMALL.toLocaleString()}), stores ${STORES.join(', ')}, ${ROUNDS} rounds, node ${process.version}, ${os.cpus().length} CPUs`);
const all: Array<[string, SizeResult[]]> = [];
for (const kind of STORES) {
  if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`unknown store ${kind}`);
  all.push([kind, await benchStore(kind)]);
}
for (const [kind, results] of all) report(kind, results);
line(`\ntargets (PostgreSQL): p95 ≤ 50 ms at 100k, p95 at full size ≤ 3× p95 at 10k, indexing ≥ 2,000 datasets/s`);
line(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
