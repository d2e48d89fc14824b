import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';
import { sql } from 'kysely';

/** Inputs a CKAN client or an attacker sends that the main DataStore tests did not. */

let env: TestEnv;
let token: string;
let open: string;
let priv: string;

const K = `[${STORE_KIND}]`;

before(async () => {
  env = await testEnv({ maxUploadBytes: 10 * 1024 * 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'open' }), { token })).status, 200);
  const internal = await api(env, 'package_create', datasetInput('nso', { name: 'internal', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: true }), { token });
  assert.equal(internal.status, 200, JSON.stringify(internal.json));
  open = (await upload(env, token, { package_id: 'open', name: 'open' }, 'a.csv', 'province,year,amount\nA,2560,1\nB,2561,2\n')).id;
  priv = (await upload(env, token, { package_id: 'internal', name: 'p' }, 'p.csv', 'name,score\nสมชาย,10\nสมหญิง,20\n')).id;
  await runLoads(env);
});
after(() => env.close());

const sqlq = (sql: string, tk?: string) => api(env, 'datastore_search_sql', { sql }, { token: tk, lang: 'en' });

test(`${K} datastore_search_sql: a table inside a parenthesised join is judged like any other (no system catalog, no private table)`, async () => {
  // The gate checked the name after FROM/JOIN/`,` but a `(` there opened a frame where nothing was
  // expected, so the first table of `FROM (x JOIN y ON …)` was never checked: anonymous callers read
  // pg_authid (PGlite runs as superuser), pg_tables, pg_settings, pg_class, pg_stats of private tables.
  const o = `"${open}"`;
  const refused = [
    `SELECT t.* FROM ("pg_authid" t CROSS JOIN ${o} a)`,
    `SELECT t.tablename FROM ("pg_tables" t CROSS JOIN ${o} a)`,
    `SELECT * FROM ${o} a, ("pg_settings" t JOIN ${o} b ON true)`,
    `SELECT * FROM ${o} a LEFT JOIN ("pg_class" c JOIN ${o} d ON true) ON true`,
    `SELECT * FROM ((("pg_stats" s CROSS JOIN ${o} a)))`,
    `SELECT * FROM ${o} a, LATERAL ("pg_roles" r CROSS JOIN ${o} b)`,
    `SELECT * FROM ONLY ("pg_user" u CROSS JOIN ${o} b)`,
    `SELECT * FROM (users u CROSS JOIN ${o} b)`,
    `SELECT * FROM ("${open}~new" u CROSS JOIN ${o} b)`,
    `SELECT "pg_x".a FROM ${o}`,
    // CTE names were gathered for the whole statement: one defined in a sub-select named, outside
    // it, the private table's identity sequence (its row count) — on PGlite, to anonymous callers.
    `SELECT s.* FROM (WITH "${priv}~new__id_seq" AS (SELECT 1) SELECT 1 FROM ${o}) a, "${priv}~new__id_seq" s`,
    `SELECT s.* FROM (WITH "${priv}~new" AS (SELECT 1) SELECT 1 FROM ${o}) a, "${priv}~new" s`,
  ];
  for (const s of refused) {
    const x = await sqlq(s);
    assert.equal(x.status, 409, `${s} → ${x.status} ${JSON.stringify(x.json).slice(0, 300)}`);
    assert.ok(x.json.error.sql, JSON.stringify(x.json));
  }
  // A private table in a parenthesised join is a read of it: 404 as for any table the caller may not read.
  const p = await sqlq(`SELECT * FROM ("${priv}" p CROSS JOIN ${o} a)`);
  assert.equal(p.status, 404, JSON.stringify(p.json).slice(0, 300));
  // Parenthesised joins and sub-selects of DataStore tables still run.
  for (const s of [
    `SELECT count(*) AS n FROM (${o} a CROSS JOIN ${o} b)`,
    `SELECT count(*) AS n FROM ((${o} a JOIN ${o} b ON a._id = b._id) JOIN ${o} c ON c._id = a._id)`,
    `SELECT count(*) AS n FROM (SELECT province, amount FROM ${o}) s`,
    `SELECT count(*) AS n FROM ((SELECT province, amount FROM ${o})) s`,
    `SELECT count(*) AS n FROM (VALUES (1), (2)) v, ${o}`,
    `WITH t AS (SELECT amount FROM ${o}), "U_2" AS (SELECT * FROM t) SELECT count(*) AS n FROM "U_2", t`,
  ]) {
    const x = await sqlq(s);
    assert.equal(x.status, 200, `${s} → ${x.status} ${JSON.stringify(x.json).slice(0, 300)}`);
  }
  assert.equal((await sqlq(`SELECT * FROM ("${priv}" p CROSS JOIN ${o} a)`, token)).status, 200, 'the editor reads both');
});

test(`${K} datastore_search_sql: no catalog look-up through a reg* type, however the cast is written`, async () => {
  // `x::regclass` was refused, CAST(x AS regclass) was not: it names any relation by oid (or says
  // whether 'public.users' exists), and regrole / regnamespace name roles and schemas.
  const o = `"${open}"`;
  for (const s of [
    `SELECT cast(16384 AS regclass) FROM ${o}`,
    `SELECT CAST('public.users' AS REGCLASS) FROM ${o}`,
    `SELECT cast(10 AS regrole) FROM ${o}`,
    `SELECT cast('datastore' AS regnamespace) FROM ${o}`,
    `SELECT cast('now' AS regproc) FROM ${o}`,
    `SELECT cast(cast(25 AS regtype) AS text) FROM ${o}`,
  ]) {
    const x = await sqlq(s);
    assert.equal(x.status, 409, `${s} → ${x.status} ${JSON.stringify(x.json).slice(0, 300)}`);
    assert.match(x.json.error.sql[0], /regclass|regrole|regnamespace|regproc|regtype/i);
  }
  // IS [NOT] DISTINCT FROM is no FROM list, and only that: a quoted "distinct" does not end the check.
  const quoted = await sqlq(`SELECT amount IS "distinct" FROM ${o} a, users`);
  assert.equal(quoted.status, 409, JSON.stringify(quoted.json));
  assert.match(quoted.json.error.sql[0], /users/);
  const ok = await sqlq(`SELECT cast(amount AS text) AS a, province IS NOT DISTINCT FROM 'A' AS is_a FROM ${o} WHERE province IS DISTINCT FROM 'B'`);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json.result.records, [{ a: '1', is_a: true }]);
});

test(`${K} datastore_delete: filters {} deletes every row and keeps the table (as CKAN); filters that are not an object are refused`, async () => {
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'del', url: 'https://example.go.th/d', format: 'CSV' }, { token });
  const id = res.json.result.id;
  const make = async () => {
    const c = await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'code', type: 'text' }, { id: 'n', type: 'int' }], primary_key: ['code'], records: [{ code: 'a', n: 1 }, { code: 'b', n: 2 }] }, { token, lang: 'en' });
    assert.equal(c.status, 200, JSON.stringify(c.json));
  };
  await make();
  // `filters: []`, '' and a bare string dropped the whole table with its fields and primary key.
  for (const filters of [[], '', 'code', 0, false, [{ code: 'a' }]]) {
    const r = await api(env, 'datastore_delete', { resource_id: id, filters }, { token, lang: 'en' });
    assert.equal(r.status, 409, `${JSON.stringify(filters)} → ${r.status} ${JSON.stringify(r.json)}`);
    assert.ok(r.json.error.filters, JSON.stringify(r.json));
    assert.equal((await search(env, { resource_id: id })).json.result.total, 2, JSON.stringify(filters));
  }
  // `{}` (and '{}' as GET/form clients send it): every row goes, the table, its fields and key stay.
  for (const filters of [{}, '{}']) {
    const r = await api(env, 'datastore_delete', { resource_id: id, filters }, { token, lang: 'en' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.result.deleted, filters === '{}' ? 0 : 2);
    const info = await api(env, 'datastore_info', { id }, { token, lang: 'en' });
    assert.equal(info.json.result.meta.datastore_active, true, JSON.stringify(info.json));
    assert.equal(info.json.result.meta.count, 0);
    assert.deepEqual(info.json.result.meta.primary_key, ['code']);
    assert.deepEqual(info.json.result.fields.map((f: any) => f.id), ['code', 'n']);
  }
  // No filters at all (absent or null): the table goes, as CKAN.
  await api(env, 'datastore_upsert', { resource_id: id, records: [{ code: 'c', n: 3 }] }, { token });
  const r = await api(env, 'datastore_delete', { resource_id: id, filters: null }, { token, lang: 'en' });
  assert.equal(r.json.result.deleted, 'table', JSON.stringify(r.json));
  assert.equal((await search(env, { resource_id: id })).status, 404);
});

test(`${K} datastore_search_sql: the answer's size is bounded, not only its row count (one query could fill the server's memory)`, async () => {
  // lpad() makes a 10 MB value from one row; 32,000 such rows were all read into the server's memory.
  const o = `"${open}"`;
  const r = await sqlq(`SELECT a.amount, lpad('x', 10000000) AS big FROM ${o} a, ${o} b`);
  assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 300));
  assert.equal(r.json.result.records_truncated, true);
  assert.equal(r.json.result.records.length, 3, 'three 10 MB rows fit in 32 MiB, the fourth does not');
  assert.deepEqual(r.json.result.fields, [{ id: 'amount' }, { id: 'big' }]);
  assert.deepEqual(Object.keys(r.json.result.records[0]), ['amount', 'big']);
  const one = await sqlq(`SELECT lpad('x', 40000000) AS big FROM ${o}`);
  assert.equal(one.status, 200, JSON.stringify(one.json).slice(0, 300));
  assert.deepEqual([one.json.result.records, one.json.result.records_truncated], [[], true]);
  // Small answers are whole, in the statement's order, with no extra columns.
  const ok = await sqlq(`SELECT province, amount FROM ${o} ORDER BY amount DESC`);
  assert.deepEqual(ok.json.result, { sql: `SELECT province, amount FROM ${o} ORDER BY amount DESC`, records: [{ province: 'B', amount: 2 }, { province: 'A', amount: 1 }], fields: [{ id: 'province' }, { id: 'amount' }] });
  // The row limit holds as before.
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'rows', url: 'https://example.go.th/r', format: 'CSV' }, { token });
  const t = `"${res.json.result.id}"`;
  assert.equal((await api(env, 'datastore_create', { resource_id: res.json.result.id, fields: [{ id: 'n', type: 'int' }], records: Array.from({ length: 200 }, (_, n) => ({ n })) }, { token })).status, 200);
  const many = await sqlq(`SELECT a.n AS a, b.n AS b FROM ${t} a, ${t} b`);
  assert.equal(many.status, 200, JSON.stringify(many.json).slice(0, 300));
  assert.equal(many.json.result.records.length, 32000);
  assert.equal(many.json.result.records_truncated, true);
  // The wrapper that counts bytes still streams: an endless recursive CTE stops at the row limit.
  const endless = await sqlq(`WITH RECURSIVE r AS (SELECT amount AS n FROM ${o} UNION ALL SELECT n + 1 FROM r) SELECT n FROM r`);
  assert.equal(endless.status, 200, JSON.stringify(endless.json).slice(0, 300));
  assert.deepEqual([endless.json.result.records.length, endless.json.result.records_truncated], [32000, true]);
  const none = await sqlq(`SELECT province FROM ${o} WHERE amount > 5`);
  assert.deepEqual([none.json.result.records, none.json.result.records_truncated], [[], undefined]);
});

test(`${K} datastore_search_sql: the gate reads the statement as PostgreSQL does (whitespace, quoted schema names)`, async () => {
  // JavaScript's \s took U+00A0, U+2003 … for blanks, PostgreSQL takes them for letters of a name:
  // `"<id>" \u00a0where, "public".users u` was a FROM list ended by WHERE to the gate, an alias
  // followed by a second table to PostgreSQL — anonymous callers read users' password hashes.
  const o = `"${open}"`;
  for (const s of [
    `SELECT u.name, u.password_hash FROM ${o} \u00a0where, "public".users u`,
    `SELECT u.name FROM ${o} \u2003where, "public"."users" u`,
    `SELECT s.* FROM ${o} \u3000where, "${priv}~new__id_seq" s`,
    `SELECT\u00a0* FROM ${o}`,
    `SELECT u.name FROM ${o} a, "public".users u`,
    `SELECT u.name FROM ${o} a JOIN "information_schema".tables u ON true`,
    `SELECT system_user FROM ${o}`,
  ]) {
    const x = await sqlq(s);
    assert.equal(x.status, 409, `${JSON.stringify(s)} → ${x.status} ${JSON.stringify(x.json).slice(0, 300)}`);
    assert.ok(x.json.error.sql, JSON.stringify(x.json));
  }
  const ok = await sqlq(`SELECT\tprovince\r\nFROM ${o}\nWHERE amount = 1`);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(ok.json.result.records, [{ province: 'A' }]);
});

test(`${K} datastore_info: load errors never show a value of a field the caller may not read`, async () => {
  // A value that broke its dictionary type is kept in load.errors (value and message); for a
  // personal-data column that is the personal data, which datastore_info gave to anyone.
  const dict = JSON.stringify([{ name: 'citizen_id', type: 'integer', personal_data: true }, { name: 'name', type: 'text' }, { name: 'score', type: 'integer' }]);
  const id = (await upload(env, token, { package_id: 'open', name: 'people', data_dictionary: dict }, 'p.csv', 'citizen_id,name,score\n1-1017-00203-45-1,สมชาย,10\n3100600123452,สมหญิง,ยี่สิบ\n')).id;
  await runLoads(env);
  const own = await api(env, 'datastore_info', { id }, { token, lang: 'en' });
  assert.equal(own.status, 200, JSON.stringify(own.json));
  assert.equal(own.json.result.load.error_count, 2);
  assert.ok(JSON.stringify(own.json.result.load.errors).includes('1-1017-00203-45-1'), 'the editor sees what broke');
  const pub = await api(env, 'datastore_info', { id }, { lang: 'en' });
  assert.equal(pub.status, 200, JSON.stringify(pub.json));
  assert.ok(!pub.json.result.fields.some((f: any) => f.id === 'citizen_id'));
  assert.ok(!JSON.stringify(pub.json.result).includes('1-1017-00203-45-1'), JSON.stringify(pub.json.result.load.errors));
  assert.equal(pub.json.result.load.error_count, 2);
  assert.deepEqual(pub.json.result.load.errors.map((e: any) => e.field), ['score'], 'the readable field\'s error stays');
});

test(`${K} datastore_create / upsert: what PostgreSQL refuses (a value too big to index, too many columns, a key too wide) is a field error, never a 500, and nothing is half-written`, async () => {
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'limits', url: 'https://example.go.th/l', format: 'CSV' }, { token });
  const id = res.json.result.id;
  // Random text does not compress: 10,000 characters is past a btree entry's limit (about 2,700 bytes).
  const big = Array.from({ length: 1000 }, (_, i) => (i * 7919 + 104729).toString(36) + Math.random().toString(36).slice(2, 8)).join('').slice(0, 10000);
  const c = await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'code', type: 'text' }, { id: 'tag', type: 'text' }], primary_key: ['code'], indexes: ['tag'], records: [{ code: 'a', tag: 'x' }] }, { token, lang: 'en' });
  assert.equal(c.status, 200, JSON.stringify(c.json));
  for (const [method, records, field] of [
    ['upsert', [{ code: 'b' }, { code: big }], 'records[1]'],
    ['insert', [{ code: big }], 'records[0]'],
    ['insert', [{ code: 'c', tag: big }], 'records[0]'],
    ['update', [{ code: 'a', tag: big }], 'records[0]'],
    ['upsert', [{ code: 'a', tag: big }], 'records[0]'],
  ] as const) {
    const r = await api(env, 'datastore_upsert', { resource_id: id, method, records }, { token, lang: 'en' });
    assert.equal(r.status, 409, `${method} → ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    assert.ok(r.json.error[field], JSON.stringify(r.json.error));
  }
  const rows = await search(env, { resource_id: id });
  assert.deepEqual(rows.json.result.records.map((x: any) => [x.code, x.tag]), [['a', 'x']], 'no record of a refused call was written');
  // An index asked for over existing rows that hold such a value.
  assert.equal((await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'note', type: 'text' }], records: [{ code: 'n', note: big }, { code: 'm', note: 'same' }] }, { token })).status, 200);
  let x = await api(env, 'datastore_create', { resource_id: id, indexes: ['note'] }, { token, lang: 'en' });
  assert.equal(x.status, 409, JSON.stringify(x.json).slice(0, 300));
  assert.ok(x.json.error.indexes, JSON.stringify(x.json.error));
  x = await api(env, 'datastore_create', { resource_id: id, primary_key: ['note'] }, { token, lang: 'en' });
  assert.equal(x.status, 409, JSON.stringify(x.json).slice(0, 300));
  assert.match(x.json.error.primary_key[0], /too long to index/);
  x = await api(env, 'datastore_create', { resource_id: id, primary_key: ['code', 'code'] }, { token, lang: 'en' });
  assert.equal(x.status, 409, JSON.stringify(x.json).slice(0, 300));
  const kept = await api(env, 'datastore_info', { id }, { token, lang: 'en' });
  assert.deepEqual([kept.json.result.meta.primary_key, kept.json.result.meta.indexes, kept.json.result.meta.count], [['code'], ['tag'], 3]);
  // PostgreSQL's 1,600 columns a table (two are the store's own) and 32 columns a key.
  const many = (n: number, p = 'c') => Array.from({ length: n }, (_, i) => ({ id: `${p}${i}`, type: 'int' }));
  const res2 = await api(env, 'resource_create', { package_id: 'open', name: 'wide', url: 'https://example.go.th/w', format: 'CSV' }, { token });
  const wide = res2.json.result.id;
  let r = await api(env, 'datastore_create', { resource_id: wide, fields: many(1700) }, { token, lang: 'en' });
  assert.equal(r.status, 409, JSON.stringify(r.json).slice(0, 300));
  assert.ok(r.json.error.fields, JSON.stringify(r.json.error));
  r = await api(env, 'datastore_create', { resource_id: wide, fields: many(1500) }, { token, lang: 'en' });
  assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 300));
  r = await api(env, 'datastore_create', { resource_id: wide, fields: many(200, 'd') }, { token, lang: 'en' });
  assert.equal(r.status, 409, JSON.stringify(r.json).slice(0, 300));
  assert.ok(r.json.error.fields, JSON.stringify(r.json.error));
  r = await api(env, 'datastore_create', { resource_id: wide, primary_key: many(33).map((f) => f.id) }, { token, lang: 'en' });
  assert.equal(r.status, 409, JSON.stringify(r.json).slice(0, 300));
  assert.match(r.json.error.primary_key[0], /32/);
  const info = await api(env, 'datastore_info', { id: wide }, { token, lang: 'en' });
  assert.equal(info.json.result.fields.length, 1500);
  assert.deepEqual(info.json.result.meta.primary_key, []);
});

test(`${K} datastore_search: _links.next pages through the same search (resource, filters, q, sort, fields), as CKAN's do`, async () => {
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'pages', url: 'https://example.go.th/p', format: 'CSV' }, { token });
  const id = res.json.result.id;
  const records = Array.from({ length: 9 }, (_, n) => ({ n, kind: n % 3 === 0 ? 'ก' : 'ข', note: `บันทึก ${n}` }));
  assert.equal((await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'n', type: 'int' }, { id: 'kind', type: 'text' }, { id: 'note', type: 'text' }], records }, { token })).status, 200);
  // The links kept only offset and limit: a client following `next` got a 409 (no resource_id) or,
  // on the no-code API, the next rows of the whole table instead of its filtered, sorted search.
  const first = await search(env, { resource_id: id, filters: { kind: 'ข' }, sort: 'n desc', fields: ['n'], limit: 2 });
  assert.equal(first.status, 200, JSON.stringify(first.json));
  assert.deepEqual(first.json.result.records, [{ n: 8 }, { n: 7 }]);
  const seen: number[] = first.json.result.records.map((x: any) => x.n);
  let next = first.json.result._links.next as string;
  for (let page = 0; page < 5 && next; page++) {
    const r = await env.app.inject({ url: next });
    assert.equal(r.statusCode, 200, `${next} → ${r.body.slice(0, 300)}`);
    const got = r.json().result;
    if (!got.records.length) break;
    seen.push(...got.records.map((x: any) => x.n));
    next = got._links.next;
  }
  assert.deepEqual(seen, [8, 7, 5, 4, 2, 1]);
  // The no-code API's links stay on it, with the same search.
  const rest = await env.app.inject({ url: `/api/datastore/${id}?kind=${encodeURIComponent('ก')}&limit=1&q=${encodeURIComponent('บันทึก')}` });
  assert.equal(rest.statusCode, 200, rest.body);
  const links = rest.json().result._links;
  assert.ok(links.next.startsWith(`/api/datastore/${id}?`), links.next);
  const second = await env.app.inject({ url: links.next });
  assert.equal(second.statusCode, 200, second.body);
  assert.deepEqual(second.json().result.records.map((x: any) => x.n), [3]);
  const start = await env.app.inject({ url: links.start });
  assert.deepEqual(start.json().result.records.map((x: any) => x.n), [0]);
});

test(`${K} datastore_upsert: a record's _id names the row to update, as CKAN's (with or without a primary key)`, async () => {
  // CKAN clients that read rows (with their _id) and write them back were refused: "_id: Field not in table".
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'by id', url: 'https://example.go.th/i', format: 'CSV' }, { token });
  const id = res.json.result.id;
  assert.equal((await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'name', type: 'text' }, { id: 'n', type: 'int' }], records: [{ name: 'ก', n: 1 }, { name: 'ข', n: 2 }] }, { token })).status, 200);
  const rows = (await search(env, { resource_id: id, sort: '_id' })).json.result.records;
  let r = await api(env, 'datastore_upsert', { resource_id: id, method: 'update', records: [{ _id: rows[1]._id, n: 20 }] }, { token, lang: 'en' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await api(env, 'datastore_upsert', { resource_id: id, records: [{ _id: String(rows[0]._id), name: 'เชียงใหม่' }] }, { token, lang: 'en' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const after = (await search(env, { resource_id: id, sort: '_id', q: 'เชียงใหม่' })).json.result;
  assert.deepEqual(after.records.map((x: any) => [x._id, x.name, x.n]), [[rows[0]._id, 'เชียงใหม่', 1]], 'updated, and found by q under its new text');
  assert.deepEqual((await search(env, { resource_id: id, sort: '_id' })).json.result.records.map((x: any) => x.n), [1, 20]);
  // An _id no row has, a bad one, or one given to insert: field errors, nothing written.
  for (const [method, rec, field] of [['update', { _id: 999999, n: 1 }, 'records[0]._id'], ['upsert', { _id: 999999, n: 1 }, 'records[0]._id'], ['update', { _id: 'x', n: 1 }, 'records[0]._id'], ['insert', { _id: 5, n: 1 }, 'records[0]._id']] as const) {
    const x = await api(env, 'datastore_upsert', { resource_id: id, method, records: [rec] }, { token, lang: 'en' });
    assert.equal(x.status, 409, `${method} ${JSON.stringify(rec)} → ${x.status} ${JSON.stringify(x.json)}`);
    assert.ok(x.json.error[field], JSON.stringify(x.json.error));
  }
  assert.equal((await search(env, { resource_id: id })).json.result.total, 2);
});

test(`${K} datastore_search_sql runs as the DataStore reader role on both stores (PGlite is a superuser: the role is the guard behind the SQL check)`, async () => {
  // Whose privileges the statement has shows when the reader loses its right on one table: a
  // superuser would still read it. Everything outside the DataStore schema is so for the reader.
  const table = sql.id('datastore', open);
  await sql`REVOKE SELECT ON ${table} FROM banchi_datastore_reader`.execute(env.services.store.db);
  try {
    const x = await sqlq(`SELECT * FROM "${open}" LIMIT 1`);
    assert.equal(x.status, 409, JSON.stringify(x.json).slice(0, 300));
    assert.match(JSON.stringify(x.json.error.sql), /permission denied/);
  } finally {
    await sql`GRANT SELECT ON ${table} TO banchi_datastore_reader`.execute(env.services.store.db);
  }
  assert.equal((await sqlq(`SELECT * FROM "${open}" LIMIT 1`)).status, 200);
});

test(`${K} datastore_create with records and no fields guesses the fields, as CKAN; a new primary_key replaces the old one`, async () => {
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'guessed', url: 'https://example.go.th/g', format: 'CSV' }, { token });
  const id = res.json.result.id;
  const c = await api(env, 'datastore_create', { resource_id: id, records: [
    { province: 'ลำพูน', year: 2566, amount: 1.5, code: '0105', ok: true, at: '2024-01-31T10:00:00Z', extra: { a: 1 }, mixed: 1 },
    { province: 'น่าน', year: '2567', amount: 2, code: '0206', ok: false, at: null, extra: [1], mixed: 'สอง' },
  ] }, { token, lang: 'en' });
  assert.equal(c.status, 200, JSON.stringify(c.json).slice(0, 400));
  const types = Object.fromEntries(c.json.result.fields.map((f: { id: string; type: string }) => [f.id, f.type]));
  assert.deepEqual(Object.keys(types), ['province', 'year', 'amount', 'code', 'ok', 'at', 'extra', 'mixed']);
  assert.equal(types.year, 'int');
  assert.equal(types.amount, 'numeric');
  assert.equal(types.code, 'text', 'a code with a leading zero stays text');
  assert.equal(types.ok, 'bool');
  assert.equal(types.at, 'timestamp');
  assert.equal(types.extra, 'json');
  assert.equal(types.mixed, 'text');
  assert.equal(types.province, 'text');
  const rows = await search(env, { resource_id: id, sort: '_id' }, token);
  assert.equal(rows.status, 200, JSON.stringify(rows.json).slice(0, 300));
  assert.equal(rows.json.result.records[0].code, '0105');
  // A key that cannot be a field id is the record's field error, and nothing is created.
  const res2 = await api(env, 'resource_create', { package_id: 'open', name: 'thai keys', url: 'https://example.go.th/t', format: 'CSV' }, { token });
  const bad = await api(env, 'datastore_create', { resource_id: res2.json.result.id, records: [{ 'จังหวัด': 'ลำพูน' }] }, { token, lang: 'en' });
  assert.equal(bad.status, 409, JSON.stringify(bad.json));
  assert.ok(Object.keys(bad.json.error).some((k) => k.startsWith('records')), JSON.stringify(bad.json));
  assert.equal((await api(env, 'datastore_info', { id: res2.json.result.id }, { token })).json.result?.meta?.count ?? 0, 0);

  // The key moves from code to (province, year): rows that repeat the old key are now allowed, the new key is enforced.
  const k = await api(env, 'datastore_create', { resource_id: id, primary_key: ['code'] }, { token, lang: 'en' });
  assert.equal(k.status, 200, JSON.stringify(k.json).slice(0, 300));
  const k2 = await api(env, 'datastore_create', { resource_id: id, primary_key: ['province', 'year'] }, { token, lang: 'en' });
  assert.equal(k2.status, 200, JSON.stringify(k2.json).slice(0, 300));
  const same = await api(env, 'datastore_upsert', { resource_id: id, method: 'insert', records: [{ province: 'แพร่', year: 2566, code: '0105' }] }, { token, lang: 'en' });
  assert.equal(same.status, 200, `the old key is still enforced: ${JSON.stringify(same.json).slice(0, 300)}`);
  const dup = await api(env, 'datastore_upsert', { resource_id: id, method: 'insert', records: [{ province: 'แพร่', year: 2566, code: '9999' }] }, { token, lang: 'en' });
  assert.equal(dup.status, 409, JSON.stringify(dup.json).slice(0, 300));
});
