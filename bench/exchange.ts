/**
 * Exchange gateway benchmark: `npm run bench:exchange` (BANCHI_BENCH_SECONDS=30 for a longer run,
 * BANCHI_BENCH_ROWS for the table size, BANCHI_BENCH_CLIENTS for the concurrency, default 32).
 *
 * On PostgreSQL (DATABASE_URL, else the local server, in a scratch database dropped afterwards):
 * a provider agency with a DataStore table and an agreement (made and activated through the
 * governance actions) giving a partner three fields and the rows of one province. The server
 * listens on loopback; a worker thread runs 32 concurrent keep-alive clients. First the plain
 * `datastore_search` of the same rows (an editor of the owning agency: filters province, the same
 * fields and limit), then the gateway (`/exchange/v1/.../records`: token, agreement checks, grant,
 * row condition, quota upsert, audit row, detached JWS). Prints requests/s and p50/p95 of both and
 * the difference. Asserts nothing. BANCHI_BENCH_TRACE=1 first prints the SQL statements (round trips)
 * one request of each kind sends, BANCHI_BENCH_ONLY=plain|gateway runs one of the two, BANCHI_BENCH_PROFILE=<dir> writes a CPU profile of
 * the server (this thread, not the load generator) over each measured run. Each run also prints the CPU
 * time per request of the server thread and of the PostgreSQL backends (from /proc).
 */
import crypto from 'node:crypto';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Session } from 'node:inspector/promises';
import { sql } from 'kysely';
import pg from 'pg';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import { runAction } from '../src/actions/registry.ts';
import { SYSTEM, loadActor } from '../src/access/actor.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';
import { loadResource } from '../src/datastore/load.ts';

const SECONDS = Number(process.env.BANCHI_BENCH_SECONDS || 8);
const ROWS = Number(process.env.BANCHI_BENCH_ROWS || 20000);
const CLIENTS = Number(process.env.BANCHI_BENCH_CLIENTS || 32);
const PROVINCES = ['เชียงใหม่', 'ลำพูน', 'น่าน', 'แพร่', 'พะเยา', 'ขอนแก่น', 'อุดรธานี', 'ภูเก็ต'];

// BANCHI_BENCH_TRACE: pg's Client.query is the one way out to the server. It is wrapped before the
// pool opens, because the prepared-statement hook binds each connection's query when it connects.
type Traced = { text: string; ms: number; sql: string; params: unknown };
const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
const query = proto.query;
let log: Traced[] | null = null;
if (process.env.BANCHI_BENCH_TRACE) {
  proto.query = function (this: unknown, ...a: unknown[]) {
    const q = a[0] as string | { text?: string };
    const full = typeof q === 'string' ? q : q?.text ?? '?';
    const entry = { text: full.replace(/\s+/g, ' ').trim().slice(0, 110), ms: NaN, sql: full, params: Array.isArray(a[1]) ? a[1] : (q as { values?: unknown })?.values };
    log?.push(entry);
    const t = performance.now();
    const out = query.apply(this, a) as Promise<unknown> | undefined;
    if (out && typeof out.then === 'function') out.then(() => { entry.ms = performance.now() - t; }, () => undefined);
    return out;
  };
}

const server = process.env.DATABASE_URL || LOCAL_POSTGRES;
const scratch = await createScratchDatabase(server, 'banchi_bench_ex');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-ex-'));
const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch.url, BANCHI_PG_PREPARED_STATEMENTS: process.env.BANCHI_PG_PREPARED_STATEMENTS ?? '', BANCHI_PG_POOL_SIZE: process.env.BANCHI_PG_POOL_SIZE ?? '' } as NodeJS.ProcessEnv, { siteUrl: 'http://127.0.0.1:5000', sessionSecret: 'bench-secret-bench-secret-bench-secret-01' });
const services = await openServices(config);
const app = await buildApp(services);
try {
  const sys = (name: string, input: Record<string, unknown>) => runAction<any>(services, name, input, { actor: SYSTEM });
  await sys('organization_create', { name: 'nha', title: 'การเคหะแห่งชาติ' });
  await sys('organization_create', { name: 'dopa', title: 'กรมการปกครอง' });
  const org = (await services.store.db.selectFrom('groups').select('id').where('name', '=', 'nha').executeTakeFirstOrThrow()).id;
  const user = async (name: string, member?: [string, string], duty?: string) => {
    await sys('user_create', { name, email: `${name}@example.go.th`, password: 'correct horse battery', sysadmin: false });
    if (member) await sys('organization_member_create', { id: member[0], username: name, role: member[1] });
    const u = await services.store.db.selectFrom('users').select(['id', 'name', 'sysadmin']).where('name', '=', name).executeTakeFirstOrThrow();
    if (duty) await services.store.db.insertInto('duties').values({ group_id: org, user_id: u.id, role: duty, created_by: null }).execute();
    return { actor: await loadActor(services.store.db, u), token: (await sys('api_token_create', { user: name, name: 'bench' })).token as string };
  };
  const editor = await user('editor', ['nha', 'editor']);
  const owner = await user('owner', ['nha', 'member'], 'data_owner');
  const committee = await user('committee', undefined, 'governance_committee');
  const partner = await user('partner', ['dopa', 'member']);
  await runAction(services, 'package_create', { name: 'tenants', title: 'ทะเบียนผู้เช่า', owner_org: 'nha', data_type: 'ข้อมูลสถิติ', maintainer: 'x', maintainer_email: 'x@example.go.th', tags: ['ทดสอบ'], notes: 'ทดสอบ', objective: ['พันธกิจหน่วยงาน'], update_frequency_unit: 'ปี', update_frequency_interval: '1', geo_coverage: 'ประเทศ', data_source: 'ทดสอบ', data_format: ['CSV'], data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', license_id: 'Open Data Common' }, { actor: editor.actor });
  const res = await runAction<{ id: string }>(services, 'resource_create', { package_id: 'tenants', name: 'ทะเบียน', url: 'https://example.go.th/t.csv', format: 'CSV' }, { actor: editor.actor });
  const key = crypto.randomUUID();
  fs.mkdirSync(path.join(dataDir, 'files', key.slice(0, 2)), { recursive: true });
  const lines = ['citizen_id,name,province,age'];
  for (let i = 0; i < ROWS; i++) lines.push(`${1100000000000 + i},ผู้เช่า ${i},${PROVINCES[i % PROVINCES.length]},${18 + (i % 60)}`);
  fs.writeFileSync(path.join(dataDir, 'files', key.slice(0, 2), key), lines.join('\n') + '\n');
  const dict = ['citizen_id', 'name', 'province', 'age'].map((name) => ({ name, type: name === 'age' ? 'integer' : 'text', description_th: name, description_en: name, personal_data: name === 'citizen_id' }));
  await sql`UPDATE resources SET storage_key = ${key}, url = 't.csv', url_type = 'upload', data_dictionary = ${JSON.stringify(dict)} WHERE id = ${res.id}`.execute(services.store.db);
  await loadResource(services, res.id);
  await runAction(services, 'datastore_create', { resource_id: res.id, indexes: ['province'] }, { actor: SYSTEM });
  const now = Date.now();
  const a = await runAction<{ id: string; number: string }>(services, 'agreement_create', {
    kind: 'agreement', organization: 'nha', partner: 'dopa', title: 'ข้อตกลงทดสอบ', purpose: 'ทดสอบ', scope_of_use: 'ทดสอบ', access_from: new Date(now - 3600_000).toISOString(), access_to: new Date(now + 86400_000).toISOString(),
    frequency_unit: 'calls_per_day', frequency_count: 1_000_000_000, service_level: '-', period_of_use: '-', technology: 'rest', legal_basis: 'ทดสอบ',
    items: [{ dataset: 'tenants', fields: ['name', 'province', 'age'], row_condition: "province = 'เชียงใหม่'" }],
  }, { actor: owner.actor });
  await runAction(services, 'agreement_transition', { id: a.id, transition: 'submit' }, { actor: owner.actor });
  await runAction(services, 'agreement_transition', { id: a.id, transition: 'approve' }, { actor: committee.actor });
  await runAction(services, 'agreement_transition', { id: a.id, transition: 'activate' }, { actor: owner.actor });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const plainUrl = `${base}/api/3/action/datastore_search?resource_id=${res.id}&fields=name,province,age&limit=10&include_total=false&filters=${encodeURIComponent(JSON.stringify({ province: 'เชียงใหม่' }))}`;
  const gwUrl = `${base}/exchange/v1/agreements/${a.number}/resources/${res.id}/records?purpose=bench&limit=10`;
  // both answer the same rows
  const p1 = (await (await fetch(plainUrl, { headers: { authorization: editor.token } })).json()) as { result: { records: unknown[] } };
  const g1 = await fetch(gwUrl, { headers: { authorization: `Bearer ${partner.token}` } });
  const g1j = (await g1.json()) as { records: unknown[] };
  if (JSON.stringify(p1.result.records.map((r: any) => r.name)) !== JSON.stringify(g1j.records.map((r: any) => r.name))) throw new Error('the two endpoints answer different rows');
  if (!g1.headers.get('x-jws-signature')) throw new Error('the gateway answer is not signed');

  if (process.env.BANCHI_BENCH_TRACE) {
    // Every statement a request sends, in order, with its median time from sending to its answer over 20 requests made one at a time.
    for (const [label, url, token] of [['plain datastore_search', plainUrl, editor.token], ['gateway', gwUrl, `Bearer ${partner.token}`]] as const) {
      await fetch(url, { headers: { authorization: token } }); // warm (token last_access written)
      const runs: Traced[][] = [];
      for (let i = 0; i < 20; i++) {
        log = [];
        await (await fetch(url, { headers: { authorization: token } })).arrayBuffer();
        runs.push(log);
      }
      log = null;
      const first = runs[0]!;
      console.log(`${label}: ${first.length} statements (median ms from send to answer, one request at a time)`);
      // Planning and execution time of each read as the server reports them (EXPLAIN ANALYZE; reads only).
      const explain = new pg.Client({ connectionString: scratch.url });
      const plans: string[] = [];
      await explain.connect();
      for (const [i, st] of first.entries()) {
        const xs = runs.map((r) => r[i]?.ms ?? NaN).filter(Number.isFinite).sort((x, y) => x - y);
        let plan = '';
        // Writes too, each in a transaction rolled back (what it wrote is not kept).
        const write = /^\s*(\/\* prepared \*\/\s*)?(WITH|INSERT|UPDATE)/i.test(st.sql);
        if (write || /^\s*(\/\* prepared \*\/\s*)?SELECT/i.test(st.sql)) {
          const ex = async () => {
            // The call's delivery row (its call id is unique) is taken out first, inside the transaction.
            if (write) await query.call(explain, 'BEGIN; DELETE FROM exchange_deliveries');
            try {
              return await (query.call(explain, `EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) ${st.sql}`, st.params as unknown[]) as Promise<unknown>);
            } finally {
              if (write) await query.call(explain, 'ROLLBACK');
            }
          };
          try {
            for (let k = 0; k < 5; k++) await ex(); // warm the connection's caches
            const r = await ex() as { rows: Array<{ 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number; Plan: unknown }> }> };
            const p = r.rows[0]!['QUERY PLAN'][0]!;
            plan = `plan ${p['Planning Time'].toFixed(2)} exec ${p['Execution Time'].toFixed(2)}  `;
            // BANCHI_BENCH_TRACE=plans: each statement's plan with its timings, after its line.
            if (process.env.BANCHI_BENCH_TRACE === 'plans') plans.push(`${st.text}\n${JSON.stringify(p.Plan, (k, v) => (['Output', 'Parallel Aware', 'Async Capable', 'Startup Cost', 'Total Cost', 'Plan Width', 'Plan Rows'].includes(k) ? undefined : v), 1)}`);
          } catch (e) {
            plan = `(not explained: ${(e as Error).message.slice(0, 60)})  `;
          }
        }
        console.log(`  ${(xs[Math.floor(xs.length / 2)] ?? NaN).toFixed(2).padStart(6)}  ${plan}${st.text}`);
      }
      for (const x of plans.splice(0)) console.log(x);
      await explain.end();
    }
    proto.query = query;
  }
  const only = process.env.BANCHI_BENCH_ONLY;
  const profileDir = process.env.BANCHI_BENCH_PROFILE;
  const load = (url: string, token: string, seconds: number) => new Promise<{ n: number; errors: number; lat: number[]; sec: number; loadCpuMs: number }>((resolve, reject) => {
    const w = new Worker(new URL('./exchange-load.ts', import.meta.url), { workerData: { url, token, seconds, clients: CLIENTS } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  // CPU time (not wall time: the machine is shared) of the server's main thread and of the
  // PostgreSQL backends serving it, from /proc, so runs can be compared per request.
  const tick = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  const cpuMs = (pid: number, task?: number) => {
    try {
      const st = fs.readFileSync(task ? `/proc/${pid}/task/${task}/stat` : `/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / tick;
    } catch { return 0; }
  };
  const backends = async () => (await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(services.store.db)).rows.map((r) => r.pid);
  const cpu = async () => { const pids = await backends(); return { node: cpuMs(process.pid, process.pid), pg: pids.reduce((n, p) => n + cpuMs(p), 0), pids }; };
  const cpuNote = new Map<string, string>();
  const measured = async (label: string, r: Promise<{ n: number; errors: number; lat: number[]; sec: number; loadCpuMs: number }>, before: { node: number; pg: number; pids: number[] }) => {
    const out = await r;
    const pids = [...new Set([...before.pids, ...(await backends())])];
    const node = cpuMs(process.pid, process.pid) - before.node;
    const pg = pids.reduce((n, p) => n + cpuMs(p), 0) - before.pg;
    cpuNote.set(label, `CPU per request: server thread ${(node / out.n).toFixed(2)} ms, PostgreSQL ${(pg / out.n).toFixed(2)} ms, load generator ${(out.loadCpuMs / out.n).toFixed(2)} ms`);
    return out;
  };
  const run = async (url: string, token: string, seconds: number, label?: string) => {
    if (label) return measured(label, runProfiled(url, token, seconds, label), await cpu());
    return load(url, token, seconds);
  };
  const runProfiled = async (url: string, token: string, seconds: number, label?: string) => {
    if (!profileDir || !label) return load(url, token, seconds);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    try {
      return await load(url, token, seconds);
    } finally {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(profileDir, { recursive: true });
      fs.writeFileSync(path.join(profileDir, `${label}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
  };
  const pct = (xs: number[], p: number) => { const s = [...xs].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
  const report = (label: string, r: { n: number; errors: number; lat: number[]; sec: number }) => {
    const o = { rps: r.n / r.sec, p50: pct(r.lat, 50), p95: pct(r.lat, 95) };
    console.log(`${label.padEnd(34)} ${o.rps.toFixed(0).padStart(6)} req/s   p50 ${o.p50.toFixed(2)} ms   p95 ${o.p95.toFixed(2)} ms   (${r.n} requests, ${r.errors} errors)`);
    const note = cpuNote.get(label.startsWith('plain') ? 'plain' : 'gateway');
    if (note) console.log(`${''.padEnd(34)} ${note}`);
    return o;
  };
  console.log(`PostgreSQL, ${ROWS.toLocaleString()} rows, ${CLIENTS} concurrent clients, ${SECONDS} s per run, 10 rows per answer, ${os.cpus().length} cores (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const none = { rps: NaN, p50: NaN, p95: NaN };
  if (only !== 'gateway') await run(plainUrl, editor.token, 1.5); // warm-up
  const plain = only === 'gateway' ? none : report('plain datastore_search', await run(plainUrl, editor.token, SECONDS, 'plain'));
  if (only !== 'plain') await run(gwUrl, `Bearer ${partner.token}`, 1.5);
  const gw = only === 'plain' ? none : report('gateway (signed, audited)', await run(gwUrl, `Bearer ${partner.token}`, SECONDS, 'gateway'));
  console.log(`difference: ${(gw.rps - plain.rps).toFixed(0)} req/s (${((gw.rps / plain.rps) * 100).toFixed(0)} % of plain), p50 +${(gw.p50 - plain.p50).toFixed(2)} ms, p95 +${(gw.p95 - plain.p95).toFixed(2)} ms`);
  console.log(`targets: ≥ 1,000 signed audited requests/s ${gw.rps >= 1000 ? 'met' : 'NOT met'}; ≤ 5 ms p95 added ${gw.p95 - plain.p95 <= 5 ? 'met' : 'NOT met'}`);
  const audited = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'exchange_call'`.execute(services.store.db);
  console.log(`audit rows written by the gateway: ${audited.rows[0]!.n}`);
  if (process.env.BANCHI_BENCH_TRACE) {
    // Named statements on one pool connection: generic plans are planned once; custom plans on every call.
    const ps = await sql<{ statement: string; generic_plans: number; custom_plans: number }>`SELECT left(regexp_replace(statement, '\s+', ' ', 'g'), 80) AS statement, generic_plans, custom_plans FROM pg_prepared_statements`.execute(services.store.db);
    for (const r of ps.rows) console.log(`  generic ${r.generic_plans} custom ${r.custom_plans}  ${r.statement}`);
  }
} finally {
  await app.close();
  await services.store.close();
  await scratch.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
