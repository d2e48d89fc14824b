import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';
import { currentStandard } from '../../src/standard/index.ts';
import { parseJsonLd, parseTurtle } from '../../src/dcat/serialize.ts';
import { covid } from '../harvest/ckan-replay.ts';
import { shaclViolations } from './shacl.ts';

/** A value for each field of the standard that applies to the data type, so the DCAT view covers them all. */
function fill(field: { name: string; type: string; code_list?: string; types: string | string[] }, key: string): unknown {
  if (field.types !== '*' && !field.types.includes(key)) return undefined;
  const codes = (currentStandard().file.code_lists[field.code_list ?? ''] ?? []).map((c) => c.value).filter((v) => v !== 'อื่นๆ');
  switch (field.type) {
    case 'select':
      return codes[0];
    case 'multiselect':
      return codes.slice(0, 1);
    case 'number':
      return '100.5';
    case 'year':
      return '2566';
    case 'date':
      return '2024-01-31';
    case 'text':
    case 'markdown':
      return 'ข้อความตัวอย่าง';
    default:
      return undefined;
  }
}

const SKIP = new Set(['data_type', 'name', 'title', 'owner_org', 'private', 'allow_harvest', 'allow_cdp', 'reference_url_catalog', 'data_category', 'data_classification', 'license_id', 'maintainer_email', 'tags', 'url']);

async function createFull(env: TestEnv, org: string, dataType: { key: string; value: string }) {
  const std = currentStandard().file;
  const input: Record<string, unknown> = datasetInput(org, { data_type: dataType.value, data_language: ['ไทย', 'อังกฤษ'] });
  for (const f of std.dataset_fields) {
    if (SKIP.has(f.name) || input[f.name] !== undefined) continue;
    const v = fill(f as never, dataType.key);
    if (v !== undefined) input[f.name] = v;
  }
  const res: Record<string, unknown> = { name: 'ตารางข้อมูล', url: 'https://data.example.go.th/file.csv', format: 'CSV', description: 'ไฟล์ข้อมูล' };
  for (const f of std.resource_fields) {
    if (res[f.name] !== undefined || f.name === 'resource_private') continue;
    const v = fill(f as never, dataType.key);
    if (v !== undefined) res[f.name] = v;
  }
  input.resources = [res];
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await sys(env, 'package_create', input);
    } catch (e) {
      const errors = { ...(e as { errors?: Record<string, unknown> }).errors };
      if (!Object.keys(errors).length) throw e;
      for (const k of Object.keys(errors)) {
        if (k.startsWith('resources[0].')) delete res[k.slice('resources[0].'.length)];
        else delete input[k];
      }
    }
  }
  throw new Error('could not create');
}

describe('DCAT-AP 3 output', () => {
  let env: TestEnv;
  const ids: string[] = [];
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    for (const dt of currentStandard().file.data_types) {
      const d = await createFull(env, 'nso', dt);
      assert.equal(d.data_type, dt.value);
      ids.push(d.name);
    }
    const imported = await sys(env, 'package_import', { records: [covid], owner_org: 'nso' });
    assert.equal(imported.failed.length, 0, JSON.stringify(imported.failed));
    ids.push('covid-19-daily');
    await sys(env, 'package_create', datasetInput('nso', { name: 'secret-one', title: 'ข้อมูลลับของหน่วยงาน', data_category: 'ข้อมูลความลับทางราชการ', data_classification: 'ลับ' }));
  });
  after(() => env.close());

  test('the shapes do find violations (a dataset without a description)', async () => {
    const bare = parseTurtle('<http://x/d> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "t" .');
    assert.ok((await shaclViolations(bare)).length > 0);
  });

  test('every data type of the standard and the real covid-19-daily record: 0 SHACL violations, in every format', async () => {
    assert.equal(ids.length, currentStandard().file.data_types.length + 1);
    for (const id of ids) {
      const ttl = await env.app.inject({ url: `/dataset/${id}.ttl` });
      assert.equal(ttl.statusCode, 200, ttl.body);
      assert.match(ttl.headers['content-type'] as string, /text\/turtle/);
      const quads = parseTurtle(ttl.body);
      assert.deepEqual(await shaclViolations(quads), [], id);
      const jsonld = await env.app.inject({ url: `/dataset/${id}.jsonld` });
      assert.equal(jsonld.statusCode, 200);
      assert.equal(parseJsonLd(jsonld.json()).length, quads.length, 'JSON-LD carries the same triples');
      const rdf = await env.app.inject({ url: `/dataset/${id}.rdf` });
      assert.match(rdf.body, /<rdf:RDF/);
      assert.equal((rdf.body.match(/<\/rdf:Description>/g) ?? []).length, new Set(quads.map((q) => q.subject.value)).size);
    }
  });

  test('the catalog shows only what the caller may see, and validates', async () => {
    const anon = await env.app.inject({ url: '/catalog.ttl' });
    assert.equal(anon.statusCode, 200);
    assert.ok(!anon.body.includes('secret-one') && !anon.body.includes('ข้อมูลลับของหน่วยงาน'));
    assert.deepEqual(await shaclViolations(parseTurtle(anon.body)), []);
    const { token } = await makeUser(env, 'nso-admin', { org: 'nso', role: 'admin' });
    const member = await env.app.inject({ url: '/catalog.ttl', headers: { authorization: token } });
    assert.ok(member.body.includes('ข้อมูลลับของหน่วยงาน'));
    assert.equal((await env.app.inject({ url: '/dataset/secret-one.ttl' })).statusCode, 404);
  });

  test('content negotiation on /catalog and /dataset/<id>', async () => {
    const r = await env.app.inject({ url: '/dataset/covid-19-daily', headers: { accept: 'application/ld+json' } });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/dataset/covid-19-daily.jsonld');
    const c = await env.app.inject({ url: '/catalog', headers: { accept: 'text/html;q=0.5, text/turtle' } });
    assert.equal(c.headers.location, '/catalog.ttl');
    const html = await env.app.inject({ url: '/dataset/covid-19-daily', headers: { accept: 'text/html' } });
    assert.equal(html.statusCode, 200);
    assert.match(html.headers['content-type'] as string, /html/);
  });
});
