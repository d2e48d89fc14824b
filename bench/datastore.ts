/**
 * DataStore benchmark: `npm run bench:datastore -- [--rows 1000000] [--queries 300]`
 *
 * On PostgreSQL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres, in a scratch
 * database dropped afterwards): generates a CSV with Thai text and typed columns (integer,
 * numeric, Buddhist-era date, boolean), times a raw COPY of the same file into an untyped table,
 * then the DataStore load (one streamed pass: type checks, Thai segmentation for full text,
 * COPY, indexes, swap), and prints both rates. Then datastore_search with an indexed filter,
 * each query a different value, as an anonymous caller of the public table (rights are looked up
 * as for any caller; the system actor would skip them), p50/p95. Prints figures; asserts nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.ts';
import { openServices } from '../src/services.ts';
import { runAction } from '../src/actions/registry.ts';
import { ANONYMOUS, SYSTEM } from '../src/access/actor.ts';
import { createScratchDatabase, LOCAL_POSTGRES } from '../src/store/scratch.ts';
import { loadResource } from '../src/datastore/load.ts';

process.env.BANCHI_DATASTORE_TIMING ??= '1';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, queries: { type: 'string', default: '300' } } });
const ROWS = Number(args.rows);
const QUERIES = Number(args.queries);

const PROVINCES = ['กรุงเทพมหานคร', 'เชียงใหม่', 'เชียงราย', 'ลำพูน', 'ลำปาง', 'น่าน', 'แพร่', 'พะเยา', 'ขอนแก่น', 'อุดรธานี', 'นครราชสีมา', 'ภูเก็ต', 'สงขลา', 'สุราษฎร์ธานี', 'ชลบุรี', 'ระยอง'];
const SERVICES = ['โรงพยาบาลส่งเสริมสุขภาพตำบล', 'ศูนย์พัฒนาเด็กเล็ก', 'โรงเรียนประถมศึกษา', 'สำนักงานเทศบาล', 'ที่ว่าการอำเภอ'];

async function generate(file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write('\uFEFFลำดับ,จังหวัด,หน่วยบริการ,ปีงบประมาณ,งบประมาณ,วันที่อนุมัติ,เปิดให้บริการ\n');
  let chunk = '';
  for (let i = 1; i <= ROWS; i++) {
    const d = 1 + (i % 28);
    const m = 1 + (i % 12);
    chunk += `${i},${PROVINCES[i % PROVINCES.length]},${SERVICES[i % SERVICES.length]} แห่งที่ ${i % 997},${2560 + (i % 7)},${(i * 37.25) % 100000},${d}/${m}/${2560 + (i % 7)},${i % 3 ? 'true' : 'false'}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((r) => out.once('finish', () => r()));
  return fs.statSync(file).size;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const server = process.env.DATABASE_URL || LOCAL_POSTGRES;
const scratch = await createScratchDatabase(server, 'banchi_bench_ds');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-bench-ds-'));
try {
  const config = loadConfig({ BANCHI_DATA_DIR: dataDir, DATABASE_URL: scratch.url } as NodeJS.ProcessEnv, { siteUrl: 'http://127.0.0.1:5000', sessionSecret: 'bench-secret-bench-secret-bench-secret-01' });
  const services = await openServices(config);
  const file = path.join(dataDir, 'bench.csv');
  const size = await generate(file);
  console.log(`generated ${ROWS.toLocaleString()} rows, ${(size / 1048576).toFixed(1)} MB`);

  // Raw COPY of the same file into an untyped table: the floor the DataStore is compared with.
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  await client.query('CREATE TABLE raw_copy (a text, b text, c text, d text, e text, f text, g text)');
  let t = performance.now();
  await pipeline(fs.createReadStream(file, { start: 3 }), client.query(copyStreams.from("COPY raw_copy FROM STDIN (FORMAT csv, HEADER true, ENCODING 'UTF8')")));
  const rawSec = (performance.now() - t) / 1000;
  await client.end();
  console.log(`raw COPY (untyped):       ${rawSec.toFixed(2)} s  ${Math.round(ROWS / rawSec).toLocaleString()} rows/s`);

  // A resource whose stored file is the generated CSV.
  await runAction(services, 'organization_create', { name: 'bench', title: 'หน่วยงานทดสอบ' }, { actor: SYSTEM });
  await runAction(services, 'package_create', { name: 'bench', title: 'ชุดข้อมูลทดสอบ', owner_org: 'bench', data_type: 'ข้อมูลสถิติ', maintainer: 'x', maintainer_email: 'x@example.go.th', tags: ['ทดสอบ'], notes: 'ทดสอบ', objective: ['พันธกิจหน่วยงาน'], update_frequency_unit: 'ปี', update_frequency_interval: '1', geo_coverage: 'ประเทศ', data_source: 'ทดสอบ', data_format: ['CSV'], data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย', license_id: 'Open Data Common' }, { actor: SYSTEM });
  const res = await runAction<{ id: string }>(services, 'resource_create', { package_id: 'bench', name: 'ตาราง', url: 'https://example.go.th/bench.csv', format: 'CSV' }, { actor: SYSTEM });
  const key = crypto.randomUUID();
  fs.mkdirSync(path.join(dataDir, 'files', key.slice(0, 2)), { recursive: true });
  fs.renameSync(file, path.join(dataDir, 'files', key.slice(0, 2), key));
  await sql`UPDATE resources SET storage_key = ${key}, url = 'bench.csv', url_type = 'upload' WHERE id = ${res.id}`.execute(services.store.db);

  t = performance.now();
  const loaded = await loadResource(services, res.id);
  const typedSec = (performance.now() - t) / 1000;
  console.log(`DataStore load (typed):   ${typedSec.toFixed(2)} s  ${Math.round(loaded.rows / typedSec).toLocaleString()} rows/s  (${loaded.error_count} bad rows)`);
  console.log(`  types: ${loaded.fields.map((f) => `${f.id}=${f.type}`).join(', ')}`);
  console.log(`  typed load / raw COPY = ${((rawSec / typedSec) * 100).toFixed(0)} % of raw COPY's rate (target ≥ 80 %)`);

  // PostgreSQL's own part of the typed load: the loaded rows written out and COPYed back with no
  // JavaScript in the way, then the full-text index built. The typed load cannot be faster than this.
  {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    const live = `datastore.${JSON.stringify(res.id)}`;
    const typedFile = path.join(dataDir, 'typed.copy');
    await pipeline(c.query(copyStreams.to(`COPY ${live} TO STDOUT`)), fs.createWriteStream(typedFile));
    await c.query(`CREATE TABLE floor_copy (LIKE ${live})`);
    let f = performance.now();
    await pipeline(fs.createReadStream(typedFile), c.query(copyStreams.from('COPY floor_copy FROM STDIN')));
    const copySec = (performance.now() - f) / 1000;
    f = performance.now();
    await c.query('CREATE INDEX ON floor_copy USING gin (_full_text)');
    const ginSec = (performance.now() - f) / 1000;
    await c.query('DROP TABLE floor_copy');
    // The same without the full-text column: what typing alone costs PostgreSQL.
    const cols = (await c.query(`SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = '${live}'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> '_full_text'`)).rows[0].c as string;
    const plainFile = path.join(dataDir, 'typed-plain.copy');
    await pipeline(c.query(copyStreams.to(`COPY (SELECT ${cols} FROM ${live}) TO STDOUT`)), fs.createWriteStream(plainFile));
    await c.query(`CREATE TABLE floor_plain AS SELECT ${cols} FROM ${live} LIMIT 0`);
    f = performance.now();
    await pipeline(fs.createReadStream(plainFile), c.query(copyStreams.from('COPY floor_plain FROM STDIN')));
    const plainSec = (performance.now() - f) / 1000;
    f = performance.now();
    await c.query('ALTER TABLE floor_plain ADD PRIMARY KEY (_id)');
    const pkSec = (performance.now() - f) / 1000;
    f = performance.now();
    await c.query('ANALYZE floor_plain');
    const analyzeSec = (performance.now() - f) / 1000;
    await c.query('DROP TABLE floor_plain');
    await c.end();
    console.log(`  PostgreSQL alone: COPY of the typed rows with their full-text column ${copySec.toFixed(2)} s, its GIN index ${ginSec.toFixed(2)} s: ${((rawSec / (copySec + ginSec)) * 100).toFixed(0)} % of raw COPY's rate before any parsing`);
    const floor = plainSec + pkSec + analyzeSec;
    console.log(`  PostgreSQL alone, typed columns without the full-text column: COPY ${plainSec.toFixed(2)} s (${((rawSec / plainSec) * 100).toFixed(0)} % of raw COPY's rate), + primary key ${pkSec.toFixed(2)} s + ANALYZE ${analyzeSec.toFixed(2)} s = ${((rawSec / floor) * 100).toFixed(0)} %`);
  }

  // An index for the filter, as an agency would ask for (datastore_create indexes).
  t = performance.now();
  await runAction(services, 'datastore_create', { resource_id: res.id, indexes: ['field_1'] }, { actor: SYSTEM });
  console.log(`index on field_1:         ${((performance.now() - t) / 1000).toFixed(2)} s`);
  const times: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < QUERIES; i++) {
    let v: number;
    do v = 1 + Math.floor(Math.random() * ROWS);
    while (seen.has(v));
    seen.add(v);
    const s = performance.now();
    const r = await runAction<{ records: unknown[]; total: number }>(services, 'datastore_search', { resource_id: res.id, filters: { field_1: v } }, { actor: ANONYMOUS });
    times.push(performance.now() - s);
    if (r.records.length !== 1) throw new Error(`query ${v}: ${r.records.length} rows`);
  }
  console.log(`datastore_search, indexed filter, ${QUERIES} distinct values, anonymous caller: p50 ${percentile(times, 50).toFixed(2)} ms  p95 ${percentile(times, 95).toFixed(2)} ms (target p95 ≤ 20 ms)`);
  await services.store.close();
} finally {
  await scratch.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
