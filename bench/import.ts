/**
 * Import benchmark: `npm run bench:import [-- --n 100000] [--batch 1000] [--store both|pglite|postgres]`.
 * `--budget S` (default 120) stops each store's import after S seconds, so the run stays within a few
 * minutes on two cores; the rate is then measured over the records imported so far.
 * `--write-to FILE` only writes the generated JSONL there (to try `banchi import` by hand).
 * Builds N package dicts from real data.go.th records (../shared/data), writes them to a temp JSONL
 * file and runs the `banchi import` code path (importFile → package_import) against a fresh PGlite
 * store and a PostgreSQL database, printing datasets per second for each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { sql } from 'kysely';
import { importFile, type ImportSummary } from '../src/import/file.ts';
import type { Db } from '../src/store/db.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    store: { type: 'string', default: 'both' },
    budget: { type: 'string', default: '120' },
    'write-to': { type: 'string' },
  },
});
const N = Number(values.n);
const BATCH = Number(values.batch);
const BUDGET_S = Number(values.budget);
if (!(BUDGET_S > 0)) throw new Error('--budget must be a positive number of seconds');
if (!Number.isInteger(N) || N < 1 || !Number.isInteger(BATCH) || BATCH < 1) throw new Error('--n and --batch must be positive integers');

const ROOT = path.resolve(import.meta.dirname, '..');
const MIRROR = path.resolve(ROOT, '..', 'shared', 'data', 'data-go-th-mirror-2020s', 'datasets.jsonl');

interface MirrorRecord {
  id: string;
  title: string;
  summary: string;
  org: string;
  tags: string[];
  formats: string[];
  resources_list: Array<{ name: string; format: string; url: string }>;
  license: string;
  updated: string;
  url: string;
}

const TAG = /^[\p{L}\p{M}\p{N}_ .-]+$/u;
const PROVINCES = ['กรุงเทพมหานคร', 'เชียงใหม่', 'ขอนแก่น', 'นครราชสีมา', 'ภูเก็ต', 'สงขลา', 'ชลบุรี', 'อุดรธานี', 'พิษณุโลก', 'สุราษฎร์ธานี', 'นครศรีธรรมราช', 'ระยอง'];
const TYPES = ['ข้อมูลสถิติ', 'ข้อมูลระเบียน', 'ข้อมูลหลากหลายประเภท'];
const FORMATS: Record<string, string> = { CSV: 'CSV', XLSX: 'XLS', XLS: 'XLS', XSL: 'XLS', JSON: 'JSON', XML: 'XML', PDF: 'PDF' };

function loadMirror(): MirrorRecord[] {
  if (!fs.existsSync(MIRROR)) throw new Error(`The real records are not there: ${MIRROR} (the shared data folder sits beside the repository)`);
  return fs.readFileSync(MIRROR, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MirrorRecord);
}

/** Record i: a real record, with slug, title, notes, tags and organisation varied so every one is unique. */
function packageDict(r: MirrorRecord, i: number, orgSlugs: Map<string, string>): Record<string, unknown> {
  const province = PROVINCES[i % PROVINCES.length]!;
  const year = 2550 + (i % 18);
  const orgBase = orgSlugs.get(r.org)!;
  const region = i % 4;
  const tags = r.tags.filter((t) => !t.includes('\uFFFD') && TAG.test(t.trim()) && [...t.trim()].length >= 2).slice(0, 6);
  const slugBase = r.id.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 50);
  const dataType = TYPES[i % TYPES.length]!;
  const formats = [...new Set(r.formats.map((f) => FORMATS[f]).filter((f): f is string => !!f))];
  return {
    name: `${slugBase}-${i.toString(36)}`,
    title: `${r.title} จังหวัด${province} ปี ${year} (ชุดที่ ${i + 1})`,
    notes: `${r.summary.replace(/&nbsp;/g, ' ')}\n\nข้อมูลของจังหวัด${province} ปี พ.ศ. ${year}`,
    organization: { name: region ? `${orgBase}-r${region}` : orgBase, title: region ? `${r.org} เขต ${region}` : r.org },
    data_type: dataType,
    maintainer: r.org,
    maintainer_email: `opendata@${orgBase}.example.go.th`,
    tags: [...tags, province, `ปี ${year}`],
    objective: ['พันธกิจหน่วยงาน'],
    update_frequency_unit: i % 3 ? 'ปี' : 'รายเดือน', // "รายเดือน" is not in the code list: it moves to _other
    update_frequency_interval: '1',
    geo_coverage: 'จังหวัด',
    data_source: r.org,
    data_format: formats.length ? formats : ['ไม่ทราบ'],
    data_category: 'ข้อมูลสาธารณะ',
    data_classification: 'เปิดเผย',
    license_id: r.license === 'ogl' ? 'ogl' : 'Creative Commons Attributions',
    data_language: ['ไทย'],
    url: r.url,
    ...(dataType === 'ข้อมูลสถิติ' ? { first_year_of_data: String(year), last_year_of_data: String(year), unit_of_measure: 'รายการ' } : {}),
    resources: r.resources_list
      .filter((x) => x.url)
      .slice(0, 3)
      .map((x) => ({ name: x.name || r.title, format: x.format || 'HTML', url: x.url, description: '' })),
  };
}

function writeJsonl(file: string, records: MirrorRecord[]): void {
  const orgSlugs = new Map<string, string>();
  for (const r of records) if (!orgSlugs.has(r.org)) orgSlugs.set(r.org, `agency-${orgSlugs.size + 1}`);
  const fd = fs.openSync(file, 'w');
  let buf: string[] = [];
  for (let i = 0; i < N; i++) {
    buf.push(JSON.stringify(packageDict(records[i % records.length]!, i, orgSlugs)));
    if (buf.length === 5000) {
      fs.writeSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  fs.closeSync(fd);
}

interface Run {
  summary: ImportSummary;
  /** CPU seconds of this process (for PGlite this includes the database). */
  nodeCpu: number;
  /** CPU seconds of the PostgreSQL backends that served the import, when the server is on this machine. */
  serverCpu: number | null;
}

async function run(label: string, env: NodeJS.ProcessEnv, file: string): Promise<Run> {
  const config = loadConfig(env);
  const services = await openServices(config);
  try {
    let last = 0;
    const cpu = process.cpuUsage();
    const summary = await importFile(services, file, {
      signal: AbortSignal.timeout(BUDGET_S * 1000),
      batchSize: BATCH,
      lang: 'en',
      onFailure: (f) => {
        if (last++ < 5) process.stderr.write(`  ${label} line ${f.line}: ${JSON.stringify(f.errors)}\n`);
      },
      onProgress: (lines) => {
        if (process.stderr.isTTY) process.stderr.write(`\r  ${label}: ${lines}/${N}`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const used = process.cpuUsage(cpu);
    const serverCpu = services.store.kind === 'postgres' ? await backendCpu(services.store.db) : null;
    return { summary, nodeCpu: (used.user + used.system) / 1e6, serverCpu };
  } finally {
    await services.store.close();
  }
}

/** Sums utime+stime of this database's backends from /proc (a local server only; null otherwise). */
async function backendCpu(db: Db): Promise<number | null> {
  const pids = (await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db)).rows.map((r) => r.pid);
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return pids.length ? ticks / 100 : null;
}

function line(label: string, r: Run): string {
  const s = r.summary;
  const note = s.stopped ? `  (stopped by --budget after ${s.lines} of ${N} lines)` : '';
  const perDataset = (cpu: number) => ((cpu * 1000) / Math.max(1, s.imported)).toFixed(2);
  const cpu = `cpu/dataset: process ${perDataset(r.nodeCpu)} ms${r.serverCpu !== null ? `, postgres ${perDataset(r.serverCpu)} ms` : ''}`;
  return `${label.padEnd(10)} ${String(s.imported).padStart(8)} imported ${String(s.failed).padStart(6)} failed ${s.seconds.toFixed(1).padStart(7)} s ${String(Math.round(s.imported / s.seconds)).padStart(7)} datasets/s  ${cpu}${note}`;
}

async function scratchPostgres(): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, drop: async () => {} };
  try {
    return await createScratchDatabase(LOCAL_POSTGRES, 'banchi_bench');
  } catch (e) {
    process.stderr.write(`PostgreSQL skipped: cannot use ${LOCAL_POSTGRES} (${(e as Error).message}); set DATABASE_URL\n`);
    return null;
  }
}

if (values['write-to']) {
  writeJsonl(values['write-to'], loadMirror());
  console.log(`wrote ${N} package dicts to ${values['write-to']}`);
  process.exit(0);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-'));
try {
  const file = path.join(tmp, 'packages.jsonl');
  const t0 = performance.now();
  writeJsonl(file, loadMirror());
  const mb = fs.statSync(file).size / 1e6;
  const load = () => os.loadavg()[0]!.toFixed(1);
  console.log(`generated ${N} package dicts (${mb.toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s; batch ${BATCH}; ${os.cpus().length} CPUs, load average ${load()}`);
  if (values.store === 'both' || values.store === 'pglite') {
    const r = await run('pglite', { BANCHI_DATA_DIR: path.join(tmp, 'data') }, file);
    console.log(line('PGlite', r));
  }
  if (values.store === 'both' || values.store === 'postgres') {
    const db = await scratchPostgres();
    if (db) {
      try {
        const r = await run('postgres', { BANCHI_DATA_DIR: path.join(tmp, 'data-pg'), DATABASE_URL: db.url }, file);
        console.log(line('PostgreSQL', r));
      } finally {
        await db.drop();
      }
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
