import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';
import { delimitedRows, LoadError } from '../../src/datastore/source.ts';

/** What agencies' tools really save: UTF-16 "Unicode text", other separators, old Mac line ends, Thai digits, report-style sheets, files that are not text. */
let env: TestEnv;
let token: string;
const K = `[${STORE_KIND}]`;

before(async () => {
  env = await testEnv({ maxUploadBytes: 10 * 1024 * 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'formats' }), { token })).status, 200);
});
after(() => env.close());

async function load(name: string, file: string, body: Buffer | string, extra: Record<string, string> = {}) {
  const res = await upload(env, token, { package_id: 'formats', name, ...extra }, file, body);
  await runLoads(env);
  const info = (await api(env, 'datastore_info', { id: res.id }, { token, lang: 'en' })).json.result;
  const r = await search(env, { resource_id: res.id, sort: '_id' }, token);
  return { id: res.id, load: info.load, fields: (info.fields ?? []).map((f: any) => [f.id, f.type]), records: r.json.result?.records?.map(({ _id, ...rest }: any) => Object.values(rest)) };
}

const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);

test(`${K} UTF-16 with a BOM (Excel's "Unicode text") loads as text, not as Windows-874 garbage`, async () => {
  const t = await load('unicode-text', 'u.txt', utf16le('จังหวัด\tจำนวน\r\nเชียงใหม่\t10\r\nลำพูน\t20\r\n'), { format: 'TSV' });
  assert.equal(t.load.state, 'done', JSON.stringify(t.load));
  assert.equal(t.load.encoding, 'utf-16le');
  assert.deepEqual(t.fields, [['field_1', 'text'], ['field_2', 'int']]);
  assert.deepEqual(t.records, [['เชียงใหม่', 10], ['ลำพูน', 20]]);
  assert.equal(t.load.error_count, 0);
  // Saved as .csv (still tab-separated), and big-endian.
  const c = await load('unicode-csv', 'u.csv', utf16be('ชื่อ\tปี\nก\t2567\n'));
  assert.equal(c.load.encoding, 'utf-16be');
  assert.deepEqual(c.records, [['ก', 2567]]);
});

test(`${K} a .csv separated by semicolons, bars or tabs is split by what its header uses; quoted separators stay values`, async () => {
  const s = await load('semicolon', 's.csv', 'ชื่อ;ราคา;วันที่\n"ก;ข";"1,5";31/01/2567\nค;2;01/02/2567\n');
  assert.deepEqual(s.fields, [['field_1', 'text'], ['field_2', 'text'], ['field_3', 'date']]);
  assert.deepEqual(s.records, [['ก;ข', '1,5', '2024-01-31'], ['ค', '2', '2024-02-01']]);
  const p = await load('bars', 'p.csv', 'a|b\n1|2\n');
  assert.deepEqual(p.records, [[1, 2]]);
  // A comma file with a semicolon in a header name stays a comma file.
  const c = await load('commas', 'c.csv', 'a;x,b,c\n1,2,3\n');
  assert.deepEqual(c.records, [[1, 2, 3]]);
});

test(`${K} lone CR line ends (old Mac exports) are lines, in UTF-8 and Windows-874 alike`, async () => {
  const r = await load('cr', 'cr.csv', 'a,b\r1,2\r3,"x\ry"\r');
  assert.equal(r.load.state, 'done', JSON.stringify(r.load));
  assert.deepEqual(r.records, [[1, '2'], [3, 'x\ny']]);
  const enc874 = (s: string) => Buffer.from([...s].map((c) => { const cp = c.codePointAt(0)!; return cp >= 0x0e01 && cp <= 0x0e5b ? cp - 0x0e00 + 0xa0 : cp; }));
  const t = await load('cr874', 't.csv', enc874('อำเภอ,จำนวน\rเมือง,10\rสารภี,20'));
  assert.equal(t.load.encoding, 'windows-874');
  assert.deepEqual(t.records, [['เมือง', 10], ['สารภี', 20]]);
});

test(`${K} Thai digits are numbers and dates (inferred or by the dictionary); a code with a leading ๐ stays text`, async () => {
  const r = await load('thai-digits', 'd.csv', 'จำนวน,วันที่,รหัส,ยอด\n๑๒๓,๓๑/๑๒/๒๕๖๖,๐๑๒,"๑,๒๓๔.๕"\n45,2567-01-31,๐๒๓,7\n');
  assert.deepEqual(r.fields, [['field_1', 'int'], ['field_2', 'date'], ['field_3', 'text'], ['field_4', 'numeric']]);
  assert.deepEqual(r.records, [[123, '2023-12-31', '๐๑๒', 1234.5], [45, '2024-01-31', '๐๒๓', 7]]);
  const dictionary = JSON.stringify([{ name: 'n', type: 'integer' }]);
  const d = await load('thai-dict', 'e.csv', 'n\n๔๒\nx\n', { data_dictionary: dictionary });
  assert.deepEqual(d.load.errors.map((e: any) => e.line), [3]);
  assert.deepEqual(d.records, [[42]]);
});

test(`${K} a file that is not text is refused at once (PDF, old .xls, binary); an XLSX named .csv is read as XLSX; a broken XLSX fails, not retried`, async () => {
  for (const [name, body, re] of [
    ['pdf', Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\n1 0 obj\n'), Buffer.alloc(64, 0)]), /PDF/],
    ['xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512, 0)]), /\.xls/],
    ['bin', Buffer.from(Array.from({ length: 256 }, (_, i) => i % 7 ? i : 0)), /binary/],
  ] as const) {
    const r = await load(name, `${name}.csv`, body);
    assert.equal(r.load.state, 'failed', `${name}: ${JSON.stringify(r.load)}`);
    assert.match(r.load.error, re);
  }
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('s');
  ws.addRow(['a', 'b']);
  ws.addRow([1, 'x']);
  const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
  const x = await load('xlsx-as-csv', 'x.csv', xlsx, { format: 'CSV' });
  assert.equal(x.load.encoding, 'xlsx');
  assert.deepEqual(x.records, [[1, 'x']]);
  for (const [name, body] of [['cut', xlsx.subarray(0, xlsx.length >> 1)], ['text', Buffer.from('a,b\n1,2\n')]] as const) {
    const b = await load(`broken-${name}`, 'b.xlsx', body);
    assert.equal(b.load.state, 'failed', `${name}: ${JSON.stringify(b.load)}`);
    const job = await env.services.store.db.selectFrom('jobs').select(['state']).where('queue', '=', 'datastore_load').where(({ eb, ref }) => eb(ref('payload'), '@>', JSON.stringify({ resource_id: b.id }) as never)).executeTakeFirst();
    assert.equal(job?.state, 'done', 'no retry of a file that cannot be read');
  }
});

test(`${K} an XLSX report: title rows above the header are skipped (with a warning), time cells are times`, async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('รายงาน');
  ws.addRow([]);
  ws.addRow(['รายงานผลการดำเนินงาน ปีงบประมาณ 2567']);
  ws.mergeCells('A2:C2');
  ws.addRow(['หน่วยงาน: สำนักงานสถิติแห่งชาติ']);
  ws.addRow(['ชื่อ', 'วันที่', 'เวลา']);
  ws.addRow(['ก', new Date(Date.UTC(2024, 0, 31)), new Date(Date.UTC(1899, 11, 30, 8, 30))]);
  ws.addRow(['ข', new Date(Date.UTC(2024, 1, 1)), new Date(Date.UTC(1899, 11, 30, 17, 5, 9))]);
  const r = await load('report', 'r.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
  assert.equal(r.load.state, 'done', JSON.stringify(r.load));
  assert.equal(r.load.error_count, 0, JSON.stringify(r.load.errors));
  assert.deepEqual(r.fields, [['field_1', 'text'], ['field_2', 'date'], ['field_3', 'time']]);
  assert.deepEqual(r.records, [['ก', '2024-01-31', '08:30:00'], ['ข', '2024-02-01', '17:05:09']]);
  assert.ok(r.load.warnings.some((w: string) => /2, 3 above the header/.test(w)), JSON.stringify(r.load.warnings));
  // A one-column file keeps its first line as the header.
  const one = await load('one-col', 'o.csv', 'name\nA\nB\n');
  assert.deepEqual([one.fields, one.records], [[['name', 'text']], [['A'], ['B']]]);
});

test('a line without end is refused at a bound, in linear time (it was held and re-copied per chunk)', async () => {
  const chunk = Buffer.alloc(1 << 16, 0x61);
  for (const wide of [false, true]) {
    const body = wide ? Buffer.alloc(1 << 16, 0).fill(Buffer.from('a\u0000')) : chunk;
    const stream = Readable.from((function* () {
      if (wide) yield Buffer.from([0xff, 0xfe]);
      for (let i = 0; i < 40 * 16; i++) yield body;
    })());
    const t = performance.now();
    await assert.rejects(async () => {
      for await (const _ of delimitedRows(stream, 'csv', { utf8Lines: 0, thaiLines: 0, bom: false })) void _;
    }, (e: Error) => e instanceof LoadError && /longer than/.test(e.message));
    assert.ok(performance.now() - t < 5000, `took ${Math.round(performance.now() - t)} ms`);
  }
});
