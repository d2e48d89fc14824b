import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import os from 'node:os';
import path from 'node:path';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';
import { delimitedRows } from '../../src/datastore/source.ts';
import { CsvReader, type CsvItem } from '../../src/datastore/csv.ts';

let env: TestEnv;
let token: string;
const K = `[${STORE_KIND}]`;

before(async () => {
  env = await testEnv({ maxUploadBytes: 10 * 1024 * 1024 });
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'bad' }), { token })).status, 200);
});
after(() => env.close());

test('the CSV reader: quoted fields across lines, stray quotes kept, an unclosed quote costs one record', () => {
  const r = new CsvReader(',');
  const out: CsvItem[] = [];
  r.push('a,b,c\n1,"x, ""y""",3\r\n2,"multi\nline",4\n3,ab"c,5\n4,"open,6\n', out);
  r.push('5,ok,7\n6,"x"y,8', out);
  r.end(out);
  assert.deepEqual(out, [
    { line: 1, cells: ['a', 'b', 'c'] },
    { line: 2, cells: ['1', 'x, "y"', '3'] },
    { line: 3, cells: ['2', 'multi\nline', '4'] },
    { line: 5, cells: ['3', 'ab"c', '5'] },
    { line: 6, error: 'a quoted field is not closed (unmatched ")' },
    { line: 7, cells: ['5', 'ok', '7'] },
    { line: 8, cells: ['6', 'xy', '8'] },
  ]);
});

test(`${K} bad quotes, ragged rows and garbage: good rows load, bad ones are listed by line`, async () => {
  const csv = 'id,name\n1,"ok"\n2,"never closed\n3,fine\n4,too,many\n5\n6,"ท้าย"\n';
  const res = await upload(env, token, { package_id: 'bad', name: 'quotes' }, 'q.csv', csv);
  await runLoads(env);
  const info = await api(env, 'datastore_info', { id: res.id }, { token });
  assert.equal(info.json.result.load.state, 'done');
  assert.deepEqual(info.json.result.load.errors.map((e: any) => e.line), [3, 5, 6]);
  const r = await search(env, { resource_id: res.id });
  assert.deepEqual(r.json.result.records.map((x: any) => [x.id, x.name]), [[1, 'ok'], [3, 'fine'], [6, 'ท้าย']]);
  // A binary file called .csv: read as text or refused, never a 500 and never a half table.
  const bin = await upload(env, token, { package_id: 'bad', name: 'binary' }, 'b.csv', Buffer.from([0, 1, 2, 255, 254, 10, 0, 0, 10]));
  await runLoads(env);
  const bi = await api(env, 'datastore_info', { id: bin.id }, { token });
  assert.equal(bi.status, 200);
  assert.ok(['done', 'failed'].includes(bi.json.result.load.state), JSON.stringify(bi.json.result.load));
  // A link cannot be loaded; an empty file fails cleanly.
  const link = await api(env, 'resource_create', { package_id: 'bad', name: 'link', url: 'https://example.go.th/x.csv', format: 'CSV' }, { token });
  const l = await api(env, 'datastore_load', { resource_id: link.json.result.id }, { token, lang: 'en' });
  assert.equal(l.status, 409);
  assert.ok(l.json.error.resource_id);
  const empty = await upload(env, token, { package_id: 'bad', name: 'empty' }, 'e.csv', '');
  await runLoads(env);
  const ei = await api(env, 'datastore_info', { id: empty.id }, { token });
  assert.equal(ei.json.result.load.state, 'failed');
  assert.match(ei.json.result.load.error, /header/);
  // A PDF upload is not queued at all.
  await upload(env, token, { package_id: 'bad', name: 'pdf' }, 'x.pdf', '%PDF-1.4');
  const queued = await env.services.store.db.selectFrom('jobs').select('id').where('queue', '=', 'datastore_load').where('state', '=', 'queued').execute();
  assert.equal(queued.length, 0);
});

test('a file over 100 MB is read as a stream: memory stays flat', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-ds-big-'));
  try {
    const file = path.join(dir, 'big.csv');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'ลำดับ,จังหวัด,หมายเหตุ\n');
    const block = Array.from({ length: 5000 }, (_, i) => `${i},เชียงใหม่,${'ข้อความภาษาไทยยาวพอสมควร '.repeat(2)}`).join('\n') + '\n';
    let size = 0;
    while (size < 105 * 1024 * 1024) size += fs.writeSync(fd, block);
    fs.closeSync(fd);
    // Garbage is collected before each reading, so the figure is what the reader holds, not what V8 has yet to free.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let rows = 0;
    let peak = 0;
    for await (const item of delimitedRows(fs.createReadStream(file), 'csv', { utf8Lines: 0, thaiLines: 0, bom: false })) {
      if ('cells' in item) rows++;
      if (rows % 100000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }
    assert.ok(rows > 400_000, `${rows} rows`);
    assert.ok(peak < 64 * 1024 * 1024, `memory grew by ${Math.round(peak / 1048576)} MB reading ${Math.round(size / 1048576)} MB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
