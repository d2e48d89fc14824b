import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { runLoads, search, upload } from './helpers.ts';
import { SAMPLE_ROWS } from '../../src/datastore/load-plan.ts';

/**
 * A load takes its types from the file's first rows and loads in the same pass; a later value that
 * does not fit an inferred type makes it redo the load with the types of the whole file. These files
 * put that value far past the sample (and past a COPY batch), so the redo is what is tested.
 */
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
const N = 80_000;
assert.ok(N > 5 * SAMPLE_ROWS);

async function load(name: string, body: string, extra: Record<string, string> = {}) {
  const res = await upload(env, token, { package_id: 'tables', name, ...extra }, `${name}.csv`, body);
  await runLoads(env);
  const info = await api(env, 'datastore_info', { id: res.id }, { token });
  assert.equal(info.status, 200, JSON.stringify(info.json));
  return { id: res.id, info: info.json.result };
}

test(`${K} a column of integers for ${N.toLocaleString()} rows, then text: the column is text and no row is lost`, async () => {
  const lines = ['ลำดับ,จังหวัด,จำนวน'];
  for (let i = 1; i <= N; i++) lines.push(`${i},เชียงใหม่ แห่งที่ ${i % 97},${i * 3}`);
  lines.push('ragged,1'); // a bad row before the widening value: reported once, not once per attempt
  lines.push(`${N + 1},น่าน,ไม่ทราบ`);
  const { id, info } = await load('widen', lines.join('\n') + '\n');
  assert.equal(info.load.state, 'done', JSON.stringify(info.load));
  assert.deepEqual(info.fields.map((f: any) => [f.id, f.type]), [['field_1', 'int'], ['field_2', 'text'], ['field_3', 'text']]);
  assert.equal(info.load.error_count, 1);
  assert.deepEqual(info.load.errors.map((e: any) => e.line), [N + 2]);
  const r = await search(env, { resource_id: id, filters: { field_1: [1, N + 1] }, sort: 'field_1' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.result.total, 2);
  assert.deepEqual(r.json.result.records.map((x: any) => x.field_3), ['3', 'ไม่ทราบ']);
  const all = await search(env, { resource_id: id, limit: 0 });
  assert.equal(all.json.result.total, N + 1);
  const q = await search(env, { resource_id: id, q: 'ไม่ทราบ' });
  assert.deepEqual(q.json.result.records.map((x: any) => x.field_1), [N + 1]);
});

test(`${K} past the sample: a leading-zero code makes a number column text`, async () => {
  const lines = ['code,note'];
  for (let i = 1; i <= 2 * SAMPLE_ROWS; i++) lines.push(`${i}.5,แถว ${i}`);
  lines.push('0123,แถว');
  const { id, info } = await load('zero', lines.join('\n') + '\n');
  assert.equal(info.load.state, 'done', JSON.stringify(info.load));
  // As a guess over every value gives: 0123 is a code (text), not the number 123.
  assert.deepEqual(info.fields.map((f: any) => [f.id, f.type]), [['code', 'text'], ['note', 'text']]);
  assert.equal(info.load.error_count, 0);
  const r = await search(env, { resource_id: id, filters: { code: '0123' } });
  assert.deepEqual(r.json.result.records.map((x: any) => x.note), ['แถว']);
});

test(`${K} a column empty in the sample gets its type from later rows`, async () => {
  const only = ['a,late'];
  for (let i = 1; i <= 2 * SAMPLE_ROWS; i++) only.push(`แถว ${i},`);
  only.push('แถว,2566-01-31');
  const o = await load('late', only.join('\n') + '\n');
  assert.deepEqual(o.info.fields.map((f: any) => [f.id, f.type]), [['a', 'text'], ['late', 'date']]);
  const or = await search(env, { resource_id: o.id, filters: { late: '2023-01-31' } });
  assert.deepEqual(or.json.result.records.map((x: any) => x.a), ['แถว']);
});

// (A redo would end the same way, the whole-file inspection also letting the dictionary win: this checks the outcome.)
test(`${K} a dictionary type is never widened: a value past the sample that breaks it is a bad row with its line`, async () => {
  const lines = ['amount,note'];
  for (let i = 1; i <= 2 * SAMPLE_ROWS; i++) lines.push(`${i},แถว`);
  lines.push('abc,แถว');
  lines.push('7,แถว');
  const { id, info } = await load('dict', lines.join('\n') + '\n', { data_dictionary: JSON.stringify([{ name: 'amount', type: 'integer' }]) });
  assert.equal(info.load.state, 'done', JSON.stringify(info.load));
  assert.deepEqual(info.fields.map((f: any) => [f.id, f.type]), [['amount', 'int'], ['note', 'text']]);
  assert.deepEqual(info.load.errors.map((e: any) => [e.line, e.field]), [[2 * SAMPLE_ROWS + 2, 'amount']]);
  const all = await search(env, { resource_id: id, limit: 0 });
  assert.equal(all.json.result.total, 2 * SAMPLE_ROWS + 1);
});
