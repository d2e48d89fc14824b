import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';

let env: TestEnv;
let token: string;

before(async () => {
  env = await testEnv({ maxUploadBytes: 10 * 1024 * 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'tables' }), { token })).status, 200);
});
after(() => env.close());

const K = `[${STORE_KIND}]`;

test(`${K} a UTF-8 CSV with a BOM, Thai headers, Buddhist-era dates and bad rows loads typed, with line numbers for what it could not`, async () => {
  const csv = '\uFEFFจังหวัด,year,จำนวน,วันที่,active,code,,code\n' +
    'เชียงใหม่,2566,"1,234",31/12/2566,true,0501,x,ซ้ำ\n' +
    'ลำพูน,2567,12.5,2024-01-15,false,0502,y,ซ้ำ\n' +
    'ragged,1\n' +
    'น่าน,2568,7,01/02/2568,true,0503,z,ซ้ำ\n';
  const res = await upload(env, token, { package_id: 'tables', name: 'ตาราง' }, 'data.csv', csv);
  await runLoads(env);
  const info = await api(env, 'datastore_info', { id: res.id }, { token });
  assert.equal(info.status, 200, JSON.stringify(info.json));
  const load = info.json.result.load;
  assert.equal(load.state, 'done', JSON.stringify(load));
  assert.equal(load.encoding, 'utf-8-bom');
  assert.deepEqual(info.json.result.fields.map((f: any) => [f.id, f.type, f.info.label]), [
    ['field_1', 'text', 'จังหวัด'], ['year', 'int', 'year'], ['field_3', 'numeric', 'จำนวน'], ['field_4', 'date', 'วันที่'], ['active', 'bool', 'active'], ['code', 'text', 'code'], ['field_7', 'text', 'field_7'], ['code_2', 'text', 'code'],
  ]);
  assert.equal(load.error_count, 1);
  assert.equal(load.errors[0].line, 4);
  assert.ok(load.warnings.some((w: string) => /empty header/.test(w)));
  assert.ok(load.warnings.some((w: string) => /duplicate header/.test(w)));
  const r = await search(env, { resource_id: res.id, sort: 'year desc' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.result.total, 3);
  assert.deepEqual(r.json.result.records[2], { _id: 1, field_1: 'เชียงใหม่', year: 2566, field_3: 1234, field_4: '2023-12-31', active: true, code: '0501', field_7: 'x', code_2: 'ซ้ำ' });
  // Thai full text, segmented as catalog search does
  const q = await search(env, { resource_id: res.id, q: 'ลำพูน' });
  assert.deepEqual(q.json.result.records.map((x: any) => x.field_1), ['ลำพูน']);
});

test(`${K} Windows-874 TSV, mixed encodings and a dictionary type the data breaks`, async () => {
  const thai = Buffer.from(new TextEncoder().encode('x')); // placeholder to keep types simple
  void thai;
  const enc874 = (s: string) => Buffer.from([...s].map((c) => { const cp = c.codePointAt(0)!; return cp >= 0x0e01 && cp <= 0x0e5b ? cp - 0x0e00 + 0xa0 : cp; }));
  const tsv = enc874('อำเภอ\tจำนวน\nเมือง\t10\nสารภี\t20\n');
  const res = await upload(env, token, { package_id: 'tables', name: 'tis620', format: 'TSV' }, 'a.tsv', tsv);
  await runLoads(env);
  const r = await search(env, { resource_id: res.id });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.records.map((x: any) => x.field_1), ['เมือง', 'สารภี']);
  const info = await api(env, 'datastore_info', { id: res.id }, { token });
  assert.equal(info.json.result.load.encoding, 'windows-874');

  const mixed = Buffer.concat([Buffer.from('อำเภอ,จำนวน\nเมือง,10\n'), enc874('สารภี,20\n')]);
  const m = await upload(env, token, { package_id: 'tables', name: 'mixed' }, 'm.csv', mixed);
  await runLoads(env);
  const mr = await search(env, { resource_id: m.id });
  assert.deepEqual(mr.json.result.records.map((x: any) => x.field_1), ['เมือง', 'สารภี']);
  const mi = await api(env, 'datastore_info', { id: m.id }, { token });
  assert.equal(mi.json.result.load.encoding, 'mixed');

  const dictionary = JSON.stringify([{ name: 'amount', type: 'integer' }, { name: 'when', type: 'date' }]);
  const d = await upload(env, token, { package_id: 'tables', name: 'dict', data_dictionary: dictionary }, 'd.csv', 'amount,when\n1,2566-01-01\nabc,31/12/2566\n3,not a date\n4,2024-02-30\n5,29/02/2567\n');
  await runLoads(env);
  const di = await api(env, 'datastore_info', { id: d.id }, { token });
  assert.equal(di.json.result.load.state, 'done');
  assert.deepEqual(di.json.result.load.errors.map((e: any) => [e.line, e.field]), [[3, 'amount'], [4, 'when'], [5, 'when']]);
  const dr = await search(env, { resource_id: d.id });
  assert.deepEqual(dr.json.result.records.map((x: any) => [x.amount, x.when]), [[1, '2023-01-01'], [5, '2024-02-29']]);
});

test(`${K} XLSX is read row by row; a new upload replaces the table whole`, async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('s');
  ws.addRow(['ชื่อ', 'ปี', 'วันที่']);
  ws.addRow(['ก', 2566, new Date(Date.UTC(2023, 11, 31))]);
  ws.addRow(['ข', 2567, new Date(Date.UTC(2024, 0, 1))]);
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  const res = await upload(env, token, { package_id: 'tables', name: 'xlsx' }, 'a.xlsx', buf);
  await runLoads(env);
  const r = await search(env, { resource_id: res.id });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.records.map((x: any) => [x.field_1, x.field_2, x.field_3]), [['ก', 2566, '2023-12-31'], ['ข', 2567, '2024-01-01']]);
  await upload(env, token, { id: res.id, name: 'xlsx' }, 'b.csv', 'ชื่อ,ปี\nค,2568\n', 'resource_update');
  await runLoads(env);
  const r2 = await search(env, { resource_id: res.id });
  assert.deepEqual(r2.json.result.records.map((x: any) => [x.field_1, x.field_2]), [['ค', 2568]]);
  assert.equal(r2.json.result.fields.length, 3);
});
