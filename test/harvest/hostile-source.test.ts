import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { sourceAccess } from '../../src/harvest/access.ts';
import { gatherDcat } from '../../src/harvest/gather-dcat.ts';
import { realRecords } from './ckan-replay.ts';

/**
 * Sources that page wrongly: one that ignores `start` and claims a huge count, one whose DCAT
 * pages link to a new URL forever with the same datasets. A run must end (as ckanext-harvest and
 * ckanext-dcat stop when a page brings nothing new), not ask the source millions of times.
 */
let env: TestEnv;
let server: http.Server;
let base = '';
const requests: string[] = [];
const records = realRecords(3);

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'hs-org');
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const u = new URL(req.url ?? '/', base);
    if (u.pathname.endsWith('/package_search')) {
      // Always the same page, whatever `start` says, and a count that never ends.
      const broken = u.pathname.includes('/strings/') ? ['not a record', 'nor this'] : records;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result: { count: 1_000_000_000, results: broken } }));
    }
    if (u.pathname.endsWith('/package_list')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result: records.map((r) => r.name) }));
    if (u.pathname === '/catalog.ttl') {
      const page = Number(u.searchParams.get('page') ?? '1');
      const ttl = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<${base}/catalog> a dcat:Catalog ; dcat:dataset <${base}/dataset/loop-one> .
<${base}/dataset/loop-one> a dcat:Dataset ; dct:title "วนซ้ำ"@th ; dct:identifier "loop-one" .
<${base}/catalog.ttl?page=${page}> a hydra:PagedCollection ; hydra:nextPage "${base}/catalog.ttl?page=${page + 1}" .`;
      return res.writeHead(200, { 'content-type': 'text/turtle' }).end(ttl);
    }
    if (u.pathname === '/remote-context.jsonld') {
      // Terms defined only by a context elsewhere: read without it, nothing is a dcat:Dataset.
      const doc = { '@context': ['https://www.w3.org/ns/dcat3.jsonld', { th: 'http://example.org/th#' }], '@graph': [{ '@id': `${base}/dataset/remote-ctx`, '@type': 'Dataset', title: 'ชุดข้อมูล' }] };
      return res.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify(doc));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await env.close();
});

test('a CKAN source that returns the same page whatever start says ends the run after that page', async () => {
  await sys(env, 'harvest_source_create', { name: 'hs-same-page', url: base, source_type: 'ckan', owner_org: 'hs-org', config: '{"page_rows": 3}' });
  requests.length = 0;
  const job = await runHarvest(env.services, 'hs-same-page', { pollMs: 20 });
  assert.equal(job.status, 'Finished');
  assert.equal(job.stats.added + job.stats.errored, records.length);
  assert.ok(requests.filter((r) => r.includes('package_search')).length <= 3, `asked ${requests.length} times`);
});

test('a page of the same broken records again and again also ends the run', async () => {
  await sys(env, 'harvest_source_create', { name: 'hs-same-strings', url: `${base}/strings`, source_type: 'ckan', owner_org: 'hs-org' });
  requests.length = 0;
  const job = await runHarvest(env.services, 'hs-same-strings', { pollMs: 20 });
  assert.equal(job.status, 'Finished');
  assert.equal(job.stats.errored, 2);
  assert.ok(requests.filter((r) => r.includes('package_search')).length <= 3, `asked ${requests.length} times`);
});

test('a DCAT catalog whose next page is always a new URL with the same datasets ends after that page', async () => {
  await sys(env, 'harvest_source_create', { name: 'hs-dcat-loop', url: `${base}/catalog.ttl`, source_type: 'dcat', owner_org: 'hs-org' });
  requests.length = 0;
  const job = await runHarvest(env.services, 'hs-dcat-loop', { pollMs: 20 });
  assert.equal(job.status, 'Finished');
  assert.ok(requests.length <= 3, `asked ${requests.length} times`);
});

test('a JSON-LD page whose terms come from a remote @context fails the run; it is not read as a catalog with no dataset (which would withdraw them all)', async () => {
  await sys(env, 'harvest_source_create', { name: 'hs-remote-ctx', url: `${base}/remote-context.jsonld`, source_type: 'dcat', owner_org: 'hs-org' });
  const row = await env.services.store.db.selectFrom('harvest_sources').selectAll().where('name', '=', 'hs-remote-ctx').executeTakeFirstOrThrow();
  await assert.rejects(gatherDcat(sourceAccess(env.services, row)), /remote @context/);
});
