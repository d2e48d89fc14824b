import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { as, STORE_KIND, type TestEnv } from '../helpers.ts';
import { fixture, fails, type Fixture } from '../governance/agreements-fixture.ts';
import { handlers } from '../../src/jobs/worker.ts';
import { claim, complete } from '../../src/jobs/queue.ts';
import { INTEGRATION_QUEUE, scheduleIntegrations } from '../../src/exchange/integration/actions.ts';
import { search } from '../datastore/helpers.ts';
import { PageClient } from '../web/client.ts';

/** Pulls from the real PostgreSQL and MariaDB servers of this machine and from CSV/JSON URLs on loopback. */
const PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const table = `banchi_pull_${crypto.randomBytes(4).toString('hex')}`;
let f: Fixture;
let server: http.Server;
let base = '';
const resources: Record<string, string> = {};

function mariadb(sqlText: string) {
  const r = spawnSync('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-u', 'root', 'test'], { input: sqlText, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function runQueue(env: TestEnv, queue: string): Promise<number> {
  let n = 0;
  for (let job = await claim(env.services.store.db, [queue]); job; job = await claim(env.services.store.db, [queue])) {
    await handlers[queue]!(env.services, job.payload);
    await complete(env.services.store.db, job.id);
    n++;
  }
  return n;
}

before(async () => {
  f = await fixture({ web: true });
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, province text, amount numeric, paid_on date)`);
  await c.query(`INSERT INTO ${table} VALUES (1, 'เชียงใหม่', 600.5, '2026-01-31'), (2, 'ขอนแก่น, เมือง', 1000, '2026-02-28'), (3, 'ภูเก็ต "ป่าตอง"', NULL, NULL)`);
  await c.end();
  mariadb(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(100)) CHARACTER SET utf8mb4; INSERT INTO ${table} VALUES (1, 'สมศรี ใจดี'), (2, 'tab\there'), (3, NULL);`);
  server = http.createServer((req, res) => {
    if (req.url === '/data.csv') return res.writeHead(200, { 'content-type': 'text/csv' }).end('ปี,จังหวัด,จำนวน\n2567,เชียงใหม่,12\n2568,ลำพูน,7\n');
    if (req.url === '/empty.csv') return res.writeHead(200, { 'content-type': 'text/csv' }).end('');
    if (req.url === '/login') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><body><form>เข้าสู่ระบบ</form></body></html>\n');
    if (req.url === '/data.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { records: [{ code: '50', name: 'เชียงใหม่' }, { code: '51', name: 'ลำพูน', extra: true }] } }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const k of ['pg', 'maria', 'csv', 'json']) resources[k] = (await as(f.env, f.people.editor, 'resource_create', { package_id: 'tenants', name: `ดึงข้อมูล ${k}`, url: `https://example.go.th/${k}.csv`, format: 'CSV' })).id;
});
after(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP TABLE IF EXISTS ${table}`);
  await c.end();
  mariadb(`DROP TABLE IF EXISTS ${table};`);
  await new Promise((r) => server.close(r));
  await f.env.close();
});

const records = async (rid: string) => (await search(f.env, { resource_id: rid, sort: '_id' }, f.tokens.editor)).json.result;

test(`[${STORE_KIND}] pull sources are checked: one read-only SELECT, a connection, a known kind; only the resource's keepers`, async () => {
  const bad = await fails(as(f.env, f.people.editor, 'integration_source_create', { name: 'x-bad', resource_id: resources.pg, kind: 'postgresql', query: `SELECT 1; DROP TABLE ${table}`, connection: 'http://nope', frequency: 'hourly' }));
  assert.deepEqual(Object.keys({ ...bad.errors }).sort(), ['connection', 'frequency', 'query']);
  assert.ok((await fails(as(f.env, f.people.editor, 'integration_source_create', { name: 'x-del', resource_id: resources.pg, kind: 'postgresql', query: `DELETE FROM ${table}`, connection: PG_URL, frequency: 'daily' }))).errors.query);
  assert.ok((await fails(as(f.env, f.people.editor, 'integration_source_create', { name: 'x-k', resource_id: resources.pg, kind: 'oracle', frequency: 'daily' }))).errors.kind);
  assert.equal((await fails(as(f.env, f.people.outsider, 'integration_source_create', { name: 'x-o', resource_id: resources.pg, kind: 'csv_url', url: `${base}/data.csv`, frequency: 'daily' }))).name, 'AuthorizationError');
});

test(`[${STORE_KIND}] a URL pull's address carries no user name or password (it is shown in clear)`, async () => {
  for (const url of [`http://agency:s3cret@127.0.0.1:1/data.csv`, `https://:tok@example.go.th/x.json`, `http://user@example.go.th/x.csv`]) {
    const e = await fails(as(f.env, f.people.editor, 'integration_source_create', { name: 'x-cred', resource_id: resources.csv, kind: 'csv_url', url, frequency: 'daily' }));
    assert.ok(e.errors?.url, `${url} was accepted`);
  }
});

test(`[${STORE_KIND}] PostgreSQL, MariaDB, CSV and JSON pulls load the resource's table and record deliveries`, async () => {
  const mk = (name: string, rid: string, extra: Record<string, unknown>) => as(f.env, f.people.editor, 'integration_source_create', { name, resource_id: rid, frequency: 'daily', ...extra });
  const s1 = await mk('pg-pull', resources.pg!, { kind: 'postgresql', connection: PG_URL, query: `SELECT id, province, amount, paid_on FROM ${table} ORDER BY id` });
  assert.equal(s1.has_connection, true);
  assert.ok(!JSON.stringify(s1).includes('postgres@'), 'the connection is never shown');
  await mk('maria-pull', resources.maria!, { kind: 'mariadb', connection: 'mysql://root@127.0.0.1:3306/test', query: `SELECT id, name FROM ${table} ORDER BY id` });
  await mk('csv-pull', resources.csv!, { kind: 'csv_url', url: `${base}/data.csv` });
  await mk('json-pull', resources.json!, { kind: 'json_url', url: `${base}/data.json`, records_path: 'result.records' });
  for (const n of ['pg-pull', 'maria-pull', 'csv-pull', 'json-pull']) await as(f.env, f.people.editor, 'integration_run', { id: n });
  assert.equal(await runQueue(f.env, INTEGRATION_QUEUE), 4);
  const list = await as(f.env, f.people.editor, 'integration_source_list', {});
  assert.deepEqual(list.map((s: any) => [s.name, s.last_state, s.last_rows, s.last_error]), [['csv-pull', 'ok', 2, null], ['json-pull', 'ok', 2, null], ['maria-pull', 'ok', 3, null], ['pg-pull', 'ok', 3, null]]);

  const p = await records(resources.pg!);
  assert.deepEqual(p.records.map((r: any) => [r.id, r.province]), [[1, 'เชียงใหม่'], [2, 'ขอนแก่น, เมือง'], [3, 'ภูเก็ต "ป่าตอง"']]);
  assert.equal(p.fields.find((x: any) => x.id === 'id').type, 'int');
  const m = await records(resources.maria!);
  assert.deepEqual(m.records.map((r: any) => r.name), ['สมศรี ใจดี', 'tab\there', null]);
  assert.deepEqual((await records(resources.csv!)).records.map((r: any) => Object.values(r).slice(1)), [[2567, 'เชียงใหม่', 12], [2568, 'ลำพูน', 7]]);
  assert.deepEqual((await records(resources.json!)).records.map((r: any) => [r.code, r.name, r.extra]), [[50, 'เชียงใหม่', null], [51, 'ลำพูน', true]]);
  const d = await f.env.services.store.db.selectFrom('exchange_deliveries').select(['resource_id', 'row_count', 'ok']).where('kind', '=', 'integration').execute();
  assert.equal(d.length, 4);
  assert.ok(d.every((x) => x.ok && x.resource_id && Number(x.row_count) >= 2));
});

test(`[${STORE_KIND}] a pull whose load fails says so in datastore_info (not 'running' for ever); an HTML page is not a CSV; the previous table stays`, async () => {
  await as(f.env, f.people.editor, 'integration_source_create', { name: 'csv-empty', resource_id: resources.csv, kind: 'csv_url', url: `${base}/empty.csv`, frequency: 'daily' });
  await as(f.env, f.people.editor, 'integration_source_create', { name: 'csv-login', resource_id: resources.csv, kind: 'csv_url', url: `${base}/login`, frequency: 'daily' });
  await as(f.env, f.people.editor, 'integration_run', { id: 'csv-empty' });
  assert.equal(await runQueue(f.env, INTEGRATION_QUEUE), 1);
  const info = await as(f.env, f.people.editor, 'datastore_info', { id: resources.csv });
  assert.equal(info.load.state, 'failed', JSON.stringify(info.load));
  assert.match(info.load.error, /no header/);
  await as(f.env, f.people.editor, 'integration_run', { id: 'csv-login' });
  assert.equal(await runQueue(f.env, INTEGRATION_QUEUE), 1);
  const s = (await as(f.env, f.people.editor, 'integration_source_list', {})).find((x: any) => x.name === 'csv-login');
  assert.equal(s.last_state, 'failed');
  assert.match(s.last_error, /HTML/);
  assert.deepEqual((await records(resources.csv!)).records.map((r: any) => Object.values(r).slice(1)), [[2567, 'เชียงใหม่', 12], [2568, 'ลำพูน', 7]]);
});

test(`[${STORE_KIND}] a write hidden in a SELECT is refused by the read-only transaction; the source table and the loaded table stay`, async () => {
  await as(f.env, f.people.editor, 'integration_source_create', { name: 'pg-sneaky', resource_id: resources.pg, kind: 'postgresql', connection: PG_URL, frequency: 'daily', query: `WITH gone AS (DELETE FROM ${table} RETURNING *) SELECT * FROM gone` });
  await as(f.env, f.people.editor, 'integration_run', { id: 'pg-sneaky' });
  await runQueue(f.env, INTEGRATION_QUEUE);
  const s = (await as(f.env, f.people.editor, 'integration_source_list', {})).find((x: any) => x.name === 'pg-sneaky');
  assert.equal(s.last_state, 'failed');
  assert.match(s.last_error, /read-only|data-modifying/);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  assert.equal((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, 3);
  await c.end();
  assert.equal((await records(resources.pg!)).records.length, 3, 'the previous load is intact');
  const failed = await f.env.services.store.db.selectFrom('exchange_deliveries').select('ok').where('kind', '=', 'integration').where('ref', '=', 'pg-sneaky').execute();
  assert.deepEqual(failed.map((x) => x.ok), [false]);
});

test(`[${STORE_KIND}] a MariaDB query is SQL only: the mysql client's own commands (\\! shell, system, \\d delimiter) in it do nothing`, async () => {
  const marker = `/tmp/banchi-pull-${crypto.randomBytes(4).toString('hex')}`;
  const queries = [`SELECT id FROM ${table} \\! touch ${marker}`, `SELECT id FROM ${table}\nsystem touch ${marker}`, `SELECT id FROM ${table} \\d $$\nCOMMIT $$ SELECT 1`];
  for (const [i, query] of queries.entries()) {
    await as(f.env, f.people.editor, 'integration_source_create', { name: `maria-cmd-${i}`, resource_id: resources.maria, kind: 'mariadb', connection: 'mysql://root@127.0.0.1:3306/test', frequency: 'daily', query });
    await as(f.env, f.people.editor, 'integration_run', { id: `maria-cmd-${i}` });
  }
  await runQueue(f.env, INTEGRATION_QUEUE);
  const ran = fs.existsSync(marker);
  fs.rmSync(marker, { force: true });
  assert.equal(ran, false, 'the shell command ran on the server');
  const list = (await as(f.env, f.people.editor, 'integration_source_list', {})).filter((x: any) => x.name.startsWith('maria-cmd-'));
  assert.deepEqual(list.map((x: any) => x.last_state), ['failed', 'failed', 'failed']);
});

test(`[${STORE_KIND}] a PostgreSQL pull connects over TCP only, with its own password, reading no file of this server`, async () => {
  const bad = [
    'postgresql://postgres@x/postgres?host=/var/run/postgresql', 'postgresql://postgres@%2Fvar%2Frun%2Fpostgresql/postgres', 'postgresql:///postgres',
    'postgresql://postgres@127.0.0.1:5432/postgres?sslkey=/etc/passwd', 'postgresql://postgres@127.0.0.1:5432/postgres?sslrootcert=/etc/hostname', 'postgresql://postgres@127.0.0.1:5432/postgres?options=-c%20x%3Dy',
  ];
  for (const connection of bad) {
    const e = await fails(as(f.env, f.people.editor, 'integration_source_create', { name: 'x-sock', resource_id: resources.pg, kind: 'postgresql', connection, query: 'SELECT 1', frequency: 'daily' }));
    assert.ok(e.errors?.connection, `${connection} was accepted`);
  }
  // A source stored before this check is refused when it runs, without connecting.
  await as(f.env, f.people.editor, 'integration_source_create', { name: 'pg-sock', resource_id: resources.pg, kind: 'postgresql', connection: PG_URL, query: 'SELECT 1 AS a', frequency: 'daily' });
  const { sealSecret } = await import('../../src/harvest/secrets.ts');
  await f.env.services.store.db.updateTable('integration_sources').set({ secret: sealSecret(f.env.services.config, 'postgresql://postgres@x/postgres?host=/var/run/postgresql') }).where('name', '=', 'pg-sock').execute();
  await as(f.env, f.people.editor, 'integration_run', { id: 'pg-sock' });
  await runQueue(f.env, INTEGRATION_QUEUE);
  const s = (await as(f.env, f.people.editor, 'integration_source_list', {})).find((x: any) => x.name === 'pg-sock');
  assert.equal(s.last_state, 'failed');
  assert.match(s.last_error, /parameter host is not accepted/);
});

test(`[${STORE_KIND}] due pulls are queued by the schedule, one per source`, async () => {
  const db = f.env.services.store.db;
  await db.updateTable('integration_sources').set({ next_run: new Date(Date.now() - 1000) }).where('name', '=', 'csv-pull').execute();
  await scheduleIntegrations(f.env.services);
  await scheduleIntegrations(f.env.services);
  const jobs = await db.selectFrom('jobs').select('payload').where('queue', '=', INTEGRATION_QUEUE).where('state', '=', 'queued').execute();
  assert.equal(jobs.length, 1);
  assert.equal(await runQueue(f.env, INTEGRATION_QUEUE), 1);
  const next = await db.selectFrom('integration_sources').select('next_run').where('name', '=', 'csv-pull').executeTakeFirstOrThrow();
  assert.ok(next.next_run!.getTime() > Date.now() + 20 * 3600_000, 'the next daily run is a day on');
});

test(`[${STORE_KIND}] the integration page lists the organisation's pulls, schedules one from the form (errors beside the fields), runs one now`, async () => {
  const editor = new PageClient(f.env.app);
  assert.equal((await editor.signIn('editor', 'correct horse battery')).statusCode, 303);
  const page = await editor.get('/exchange/integration');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<code>csv-pull<\/code>/);
  assert.match(page.body, /สำเร็จ/, 'the last run\'s result');
  assert.doesNotMatch(page.body, /postgres:\/\/|postgresql:\/\/postgres@/, 'connection strings are never shown');
  const bad = await editor.post('/exchange/integration', { name: 'x', resource_id: resources.csv!, kind: 'postgresql', connection: 'postgresql://u:secret-pw@127.0.0.1/db', query: 'DELETE FROM t', frequency: 'daily' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /id="i-name-err"/);
  assert.match(bad.body, /id="i-query-err"/);
  assert.doesNotMatch(bad.body, /secret-pw/, 'the connection is not echoed back');
  await editor.get('/exchange/integration');
  const ok = await editor.post('/exchange/integration', { name: 'page-pull', resource_id: resources.csv!, kind: 'csv_url', url: `${base}/data.csv`, frequency: 'daily' });
  assert.equal(ok.statusCode, 303, ok.body.slice(0, 400));
  const listed = await editor.get('/exchange/integration');
  assert.match(listed.body, /<code>page-pull<\/code>/);
  const id = (await f.env.services.store.db.selectFrom('integration_sources').select('id').where('name', '=', 'page-pull').executeTakeFirstOrThrow()).id;
  assert.equal((await editor.post(`/exchange/integration/${id}/run`, {})).statusCode, 303);
  assert.equal(await runQueue(f.env, INTEGRATION_QUEUE), 1);
  assert.match((await editor.get('/exchange/integration')).body, /<code>page-pull<\/code>[\s\S]*?สำเร็จ/);
  // Someone of another organisation: the form refuses the resource beside its field; the list shows nothing of ours.
  const outsider = new PageClient(f.env.app);
  await outsider.signIn('outsider', 'correct horse battery');
  const theirs = await outsider.get('/exchange/integration');
  assert.doesNotMatch(theirs.body, /page-pull/);
  const refused = await outsider.post('/exchange/integration', { name: 'steal', resource_id: resources.csv!, kind: 'csv_url', url: `${base}/data.csv`, frequency: 'daily' });
  assert.equal(refused.statusCode, 403);
  assert.match(refused.body, /id="i-resource_id-err"/);
  assert.equal((await outsider.post(`/exchange/integration/${id}/run`, {})).statusCode, 404);
});
