import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { as, STORE_KIND } from '../helpers.ts';
import { fixture, fails, type Fixture } from '../governance/agreements-fixture.ts';
import { checkQuery, pullToFile, PullError } from '../../src/exchange/integration/pull.ts';

/**
 * What a pull's query may not do although it starts with SELECT and runs in a READ ONLY
 * transaction (MariaDB writes files and takes row locks there; PostgreSQL reads server files and
 * signals backends there), and how much a database pull may write: against the real PostgreSQL and
 * MariaDB servers of this machine.
 */
const PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const MARIA_URL = 'mysql://root@127.0.0.1:3306/test';
let f: Fixture;
let dir = '';
let resource = '';
before(async () => {
  f = await fixture();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-pull-guard-'));
  resource = (await as(f.env, f.people.editor, 'resource_create', { package_id: 'tenants', name: 'ดึงข้อมูล', url: 'https://example.go.th/x.csv', format: 'CSV' })).id;
});
after(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await f.env.close();
});

const SIDE_EFFECTS = [
  "SELECT 'x' INTO OUTFILE '/tmp/banchi-outfile'",
  "SELECT 'x' INTO DUMPFILE '/tmp/banchi-dumpfile'",
  'SELECT 1 INTO @v',
  'SELECT * INTO copy_of_t FROM t',
  'SELECT id FROM t FOR UPDATE',
  'SELECT id FROM t FOR\n  SHARE',
  'SELECT id FROM t LOCK IN SHARE MODE',
  'SELECT id FROM t FOR NO KEY UPDATE',
  "SELECT LOAD_FILE('/etc/passwd')",
  "SELECT pg_read_file('/etc/passwd')",
  "SELECT lo_export(1, '/tmp/x')",
  'SELECT pg_terminate_backend(pid) FROM pg_stat_activity',
  'SELECT pg_reload_conf()',
  'SELECT pg_advisory_lock(1)',
  "SELECT GET_LOCK('a', 10)",
  "SELECT * FROM dblink('host=x', 'DELETE FROM t') AS x(a int)",
];

test(`[${STORE_KIND}] a pull query that writes, locks or reaches the server's files or sessions is refused, though it starts with SELECT`, async () => {
  for (const q of SIDE_EFFECTS) assert.equal(checkQuery(q), null, q);
  // Matched on the whole text: such words in a literal are refused too (the servers quote differently).
  assert.equal(checkQuery("SELECT 'for update' AS note FROM t"), null);
  // Plain reads stay accepted, these words inside names included.
  for (const q of ['SELECT id, intake_date, update_count FROM t ORDER BY id', 'WITH x AS (SELECT 1 AS a) SELECT a FROM x', "SELECT 'update' AS note, fortune FROM t"]) assert.ok(checkQuery(q), q);
  for (const [kind, connection] of [['postgresql', PG_URL], ['mariadb', MARIA_URL]]) {
    const e = await fails(as(f.env, f.people.editor, 'integration_source_create', { name: `guard-${kind}`, resource_id: resource, kind, connection, query: "SELECT 'x' INTO OUTFILE '/tmp/banchi-outfile'", frequency: 'daily' }));
    assert.ok(e.errors?.query, `${kind}: ${JSON.stringify(e.errors ?? e.message)}`);
  }
});

test(`[${STORE_KIND}] a stored MariaDB source whose query writes a file is refused when it runs: no file is written on the database's host`, async () => {
  const target = `/tmp/banchi-outfile-${crypto.randomBytes(4).toString('hex')}`;
  const file = path.join(dir, 'outfile.csv');
  try {
    await assert.rejects(pullToFile({ kind: 'mariadb', url: '', query: `SELECT 'pwned' INTO OUTFILE '${target}'`, records_path: '' }, MARIA_URL, file, { sourceHosts: '127.0.0.1' }), PullError);
    assert.equal(fs.existsSync(target), false, 'MariaDB wrote the file');
  } finally {
    fs.rmSync(target, { force: true });
  }
});

test(`[${STORE_KIND}] a database pull stops at the size limit instead of filling the disk (PostgreSQL and MariaDB)`, async () => {
  const cases: Array<[string, string, string]> = [
    ['postgresql', PG_URL, "SELECT repeat('x', 1000) AS v FROM generate_series(1, 5000)"],
    ['mariadb', MARIA_URL, "SELECT REPEAT('x', 1000) AS v FROM seq_1_to_5000"],
  ];
  for (const [kind, dsn, query] of cases) {
    const file = path.join(dir, `${kind}.csv`);
    await assert.rejects(pullToFile({ kind: kind as 'postgresql', url: '', query, records_path: '' }, dsn, file, { maxBytes: 100_000, sourceHosts: '127.0.0.1' }), (e: Error) => e instanceof PullError && /larger than/.test(e.message), kind);
    // A pull under the limit is unchanged.
    assert.equal(await pullToFile({ kind: kind as 'postgresql', url: '', query, records_path: '' }, dsn, file, { maxBytes: 10_000_000, sourceHosts: '127.0.0.1' }), 5000, kind);
  }
});
