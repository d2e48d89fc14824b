import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';
import { testEnv, sys, makeOrg, datasetInput, type TestEnv } from '../helpers.ts';
import { parseJsonLd, parseTurtle } from '../../src/dcat/serialize.ts';
import { shaclViolations } from './shacl.ts';

/**
 * Text an agency types is not always clean: quotes, `<` `>` `&`, newlines, the
 * non-characters U+FFFE / U+FFFF a broken encoder leaves (C0 controls are refused at input), very long text. Every
 * format stays well formed (RDF/XML is parsed by an XML 1.0 parser) and valid against the shapes.
 */
let env: TestEnv;
let name = '';
const odd = `ชื่อ "อ้าง" <b>หนา</b> & 'เดี่ยว' > < \\ \n บรรทัดใหม่\r\tแท็บ \uFFFE\uFFFF ปลาย ${'ยาว'.repeat(600)}`;

before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'odd-org');
  name = (await sys(env, 'package_create', datasetInput('odd-org', { title: `ชุด "อ้าง" <x> \uFFFF ท้าย`, notes: odd, tags: ['แท็ก คำพูด', 'สถิติ'], maintainer: 'ทีม \uFFFE ข้อมูล', resources: [{ name: 'ไฟล์ \uFFFF <ก>', url: 'https://data.example.go.th/f.csv?a=1&b="2"', format: 'CSV', description: odd }] }))).name;
});
after(() => env.close());

function parseXml(text: string): number {
  const p = new SaxesParser({ xmlns: true });
  let elements = 0;
  p.on('opentag', () => void elements++);
  p.write(text).close();
  return elements;
}

test('a dataset with quotes, markup, newlines, controls and very long text: every format parses and validates', async () => {
  const ttl = await env.app.inject({ url: `/dataset/${name}.ttl` });
  assert.equal(ttl.statusCode, 200, ttl.body);
  const quads = parseTurtle(ttl.body);
  assert.deepEqual(await shaclViolations(quads), []);
  const jsonld = await env.app.inject({ url: `/dataset/${name}.jsonld` });
  assert.equal(parseJsonLd(jsonld.json()).length, quads.length);
  const rdf = await env.app.inject({ url: `/dataset/${name}.rdf` });
  assert.equal(rdf.statusCode, 200);
  assert.ok(parseXml(rdf.body) > 1);
  for (const url of ['/catalog.ttl', '/catalog.rdf', '/catalog.jsonld']) {
    const c = await env.app.inject({ url });
    assert.equal(c.statusCode, 200, url);
    if (url.endsWith('.rdf')) parseXml(c.body);
    else if (url.endsWith('.ttl')) assert.deepEqual(await shaclViolations(parseTurtle(c.body)), []);
    else parseJsonLd(c.json());
  }
});

test('a dataset with only the required fields (no resource, no optional field) validates in every format', async () => {
  const bare = datasetInput('odd-org');
  for (const k of ['notes', 'objective', 'update_frequency_interval', 'data_format', 'license_id']) delete bare[k];
  let d: { name: string };
  try {
    d = await sys(env, 'package_create', bare);
  } catch (e) {
    // What the standard requires stays: only the optional fields go.
    for (const k of Object.keys((e as { errors: Record<string, unknown> }).errors)) bare[k] = datasetInput('odd-org')[k];
    d = await sys(env, 'package_create', bare);
  }
  const ttl = await env.app.inject({ url: `/dataset/${d.name}.ttl` });
  assert.equal(ttl.statusCode, 200);
  assert.deepEqual(await shaclViolations(parseTurtle(ttl.body)), []);
  parseXml((await env.app.inject({ url: `/dataset/${d.name}.rdf` })).body);
});
