/**
 * Page benchmark: `npm run bench:pages -- [--n 100000] [--stores pglite,postgres] [--seconds 10] [--concurrency 8]`
 *
 * Builds a catalog of N datasets from the real data.go.th records (bench/search-corpus.ts), indexes
 * it, starts the full app with the portal on 127.0.0.1 and loads three pages over HTTP with
 * `concurrency` clients for `seconds` each: the home page, a search for a Thai word, and a dataset
 * page (the search also as a signed-in editor, whose visibility rule is the larger one). Prints
 * requests per second and latency percentiles; asserts nothing.
 * PostgreSQL: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres, in a scratch
 * database dropped afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import { webPlugins } from '../src/web/index.ts';
import { reindexAll } from '../src/search/reindex.ts';
import { visibleDatasets } from '../src/access/visibility.ts';
import { ANONYMOUS, SYSTEM } from '../src/access/actor.ts';
import { runAction } from '../src/actions/registry.ts';
import { createCorpus, loadSeedRecords } from './search-corpus.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    stores: { type: 'string', default: 'pglite,postgres' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    word: { type: 'string', default: 'ท่องเที่ยว' },
  },
});
const N = Number(args.n);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const STORES = args.stores!.split(',').map((s) => s.trim()).filter(Boolean);
if (!Number.isSafeInteger(N) || N < 1) throw new Error('--n must be a positive integer');
if (!(SECONDS > 0) || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) throw new Error('--seconds and --concurrency must be positive');

const line = (s: string) => process.stdout.write(s + '\n');

function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function scratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabase(process.env.DATABASE_URL || LOCAL_POSTGRES, 'banchi_bench');
}

interface Load {
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
  bytes: number;
}

/** Signs a user in through the sign-in form, as a browser would; returns the session cookie. */
async function signIn(base: string, login: string, password: string): Promise<string> {
  const form = await fetch(`${base}/user/login`);
  const pre = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${base}/user/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, login, password }).toString(),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('banchi_session='));
  if (!session) throw new Error(`sign-in failed: ${res.status}`);
  return session.split(';')[0]!;
}

/** `concurrency` clients request the page in a loop for the time given; every answer must be 200. */
async function load(url: string, cookie = ''): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const until = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const t = performance.now();
      const res = await fetch(url, cookie ? { headers: { cookie } } : {});
      const body = await res.arrayBuffer();
      latencies.push(performance.now() - t);
      bytes += body.byteLength;
      if (res.status !== 200) errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { requests: latencies.length, errors, seconds: (performance.now() - t0) / 1000, latencies, bytes };
}

async function benchStore(kind: string): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-pages-'));
  const scratch = kind === 'postgres' ? await scratchPostgres() : null;
  const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '' } as NodeJS.ProcessEnv, { siteUrl: 'http://127.0.0.1', sessionSecret: 'bench-secret-bench-secret-bench-secret-01' });
  const services = await openServices(config, { memory: !scratch });
  const app = await buildApp(services, { plugins: webPlugins });
  try {
    const db = services.store.db;
    const t0 = performance.now();
    const corpus = await createCorpus(services, { total: N, records: loadSeedRecords() });
    await corpus.insert(0, N);
    await sql`ANALYZE`.execute(db);
    const indexed = await reindexAll(services);
    await sql`VACUUM ANALYZE`.execute(db);
    line(`${kind}: ${N.toLocaleString()} datasets loaded and ${indexed.toLocaleString()} indexed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    // A public dataset with resources, as a visitor would open from search.
    const sample = await db
      .selectFrom('datasets as d')
      .select('d.name')
      .where(visibleDatasets(ANONYMOUS, 'd'))
      .where('d.id', 'in', db.selectFrom('resources').select('dataset_id').where('state', '=', 'active'))
      .orderBy('d.metadata_modified', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    // An editor of one organisation: signed-in pages skip the anonymous cache and see more datasets.
    await runAction(services, 'user_create', { name: 'bench-editor', email: 'bench@example.go.th', password: 'correct horse battery staple' }, { actor: SYSTEM });
    await runAction(services, 'organization_member_create', { id: corpus.orgs[0]!.name, username: 'bench-editor', role: 'editor' }, { actor: SYSTEM });
    const cookie = await signIn(base, 'bench-editor', 'correct horse battery staple');
    // The home page's data is computed once a minute (src/web/cache.ts): time that miss on its own.
    const t1 = performance.now();
    await fetch(base + '/').then((r) => r.arrayBuffer());
    line(`${kind}: home page data computed on a cache miss in ${(performance.now() - t1).toFixed(0)} ms (once a minute at most)`);
    const search = `/dataset?q=${encodeURIComponent(args.word!)}`;
    const pages: Array<[string, string, string]> = [
      ['/', '/', ''],
      [`/dataset?q=${args.word}`, search, ''],
      [`  same, signed in`, search, cookie],
      ['/dataset/<name>', `/dataset/${encodeURIComponent(sample.name)}`, ''],
    ];
    line(`${kind}: ${CONCURRENCY} concurrent clients, ${SECONDS} s per page, ${os.cpus().length} CPUs`);
    line(`  ${'page'.padEnd(26)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'KB/page'.padStart(8)} ${'errors'.padStart(7)}`);
    for (const [label, p, c] of pages) {
      for (let i = 0; i < 3; i++) await fetch(base + p, c ? { headers: { cookie: c } } : {}).then((r) => r.arrayBuffer()); // warm-up: plans and caches
      const r = await load(base + p, c);
      line(`  ${label.padEnd(26)} ${(r.requests / r.seconds).toFixed(1).padStart(8)} ${percentile(r.latencies, 50).toFixed(1).padStart(8)} ${percentile(r.latencies, 95).toFixed(1).padStart(8)} ${percentile(r.latencies, 99).toFixed(1).padStart(8)} ${(r.bytes / Math.max(1, r.requests) / 1024).toFixed(1).padStart(8)} ${String(r.errors).padStart(7)}`);
    }
  } finally {
    await app.close();
    await services.store.close();
    await scratch?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const kind of STORES) {
  if (kind !== 'pglite' && kind !== 'postgres') throw new Error(`unknown store ${kind}`);
  await benchStore(kind);
}
