import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { testEnv, sys, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';

let env: TestEnv;
let token: string;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
});
after(() => env.close());

test(`[${STORE_KIND}] every write leaves an audit row that verifies`, async () => {
  await api(env, 'package_create', datasetInput('nso', { name: 'audited' }), { token });
  await api(env, 'package_patch', { id: 'audited', notes: 'แก้ไข' }, { token });
  const rows = await env.services.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  assert.ok(rows.some((r) => r.action === 'package_create' && r.actor_name === 'editor1'));
  assert.ok(rows.some((r) => r.action === 'package_update'));
  for (const r of rows) assert.match(r.leaf, /^[0-9a-f]{64}$/, 'each row carries its own leaf hash, linked later by the sealer');
  const v = await sys<{ intact: boolean; entries: number }>(env, 'audit_verify', {});
  assert.equal(v.intact, true);
  assert.equal(v.entries, rows.length);
});

test(`[${STORE_KIND}] editing an audit row is detected`, async () => {
  const db = env.services.store.db;
  const victim = await db.selectFrom('audit_log').select(['seq', 'detail']).where('action', '=', 'package_create').executeTakeFirstOrThrow();
  await sql`UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = ${victim.seq}`.execute(db);
  const v = await sys<{ intact: boolean; broken: { seq: string } }>(env, 'audit_verify', {});
  assert.equal(v.intact, false);
  assert.equal(String(v.broken.seq), String(victim.seq));
});

test('a second version of the standard is a new file, with no code change', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-std-'));
  const v1 = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../src/standard/versions/th-gdc-2566.v1.json'), 'utf8'));
  const v2 = { ...v1, version: 2, dataset_fields: [...v1.dataset_fields, { name: 'data_steward', label: { th: 'บริกรข้อมูล', en: 'Data steward' }, type: 'email', types: '*', required: true }] };
  fs.writeFileSync(path.join(dir, 'th-gdc-2566.v1.json'), JSON.stringify(v1));
  fs.writeFileSync(path.join(dir, 'th-gdc-2566.v2.json'), JSON.stringify(v2));
  const script = `
    import { currentStandard, standards } from './src/standard/index.ts';
    import { validateDataset } from './src/standard/validate.ts';
    import { ErrorBag } from './src/actions/errors.ts';
    const std = currentStandard();
    const bag = new ErrorBag();
    validateDataset(std, { data_type: 'ข้อมูลสถิติ', data_steward: 'not-an-email' }, bag);
    console.log(JSON.stringify({ version: std.version, count: standards().length, steward: bag.errors.data_steward?.[0]?.en }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(import.meta.dirname, '../..'), env: { ...process.env, BANCHI_STANDARDS_DIR: dir } }).toString();
  const r = JSON.parse(out.trim().split('\n').pop()!);
  assert.equal(r.version, 2);
  assert.equal(r.count, 2);
  assert.equal(r.steward, 'Email is not valid');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the standard file covers the national field list and every code list it names', async () => {
  const { currentStandard } = await import('../../src/standard/index.ts');
  const std = currentStandard();
  for (const f of ['data_type', 'title', 'name', 'owner_org', 'allow_harvest', 'maintainer', 'maintainer_email', 'tags', 'notes', 'objective', 'update_frequency_unit', 'update_frequency_interval', 'geo_coverage', 'data_source', 'data_format', 'data_category', 'data_classification', 'license_id', 'accessible_condition', 'data_support', 'data_collect', 'url', 'data_language', 'created_date', 'last_updated_date', 'data_release_calendar', 'first_year_of_data', 'last_year_of_data', 'disaggregate', 'unit_of_measure', 'unit_of_multiplier', 'calculation_method', 'standard', 'geographic_data_set', 'equivalent_scale', 'west_bound_longitude', 'east_bound_longitude', 'north_bound_longitude', 'south_bound_longitude', 'positional_accuracy', 'reference_period', 'data_release_date', 'high_value_dataset', 'reference_data', 'official_statistics']) {
    assert.ok(std.datasetFields.has(f), f);
  }
  for (const f of std.file.dataset_fields.concat(std.file.resource_fields)) if (f.code_list) assert.ok(std.file.code_lists[f.code_list], `${f.name} → ${f.code_list}`);
  assert.deepEqual(std.file.data_types.map((t) => t.key), ['record', 'stat', 'gis', 'multi', 'other', 'microdata']);
  assert.ok(std.codeSets.get('data_classification')!.has('ชั้นเผยแพร่ภายในองค์กร'));
});
