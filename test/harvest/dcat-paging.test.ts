import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { catalogQuads } from '../../src/dcat/build.ts';
import { NS } from '../../src/dcat/graph.ts';

/**
 * DCAT paging as peers write it: Hydra's hydra:PartialCollectionView with hydra:next (what
 * ckanext-dcat reads first), and our own pages, whose links keep the format they are served in.
 */
let env: TestEnv;
let server: http.Server;
let base = '';
let pages = 2;

const page = (n: number) => `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<${base}/catalog> a dcat:Catalog ; dcat:dataset <${base}/dataset/page-${n}> .
<${base}/dataset/page-${n}> a dcat:Dataset ; dct:title "หน้า ${n}"@th ; dct:identifier "page-${n}" .
<${base}/catalog> hydra:view <${base}/catalog.ttl?page=${n}> .
<${base}/catalog.ttl?page=${n}> a hydra:PartialCollectionView ; hydra:first <${base}/catalog.ttl?page=1>${n < pages ? ` ; hydra:next <${base}/catalog.ttl?page=${n + 1}>` : ''} .`;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'dp-org');
  server = http.createServer((req, res) => {
    const n = Number(new URL(req.url ?? '/', base).searchParams.get('page') ?? '1');
    res.writeHead(200, { 'content-type': 'text/turtle' }).end(page(n));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await env.close();
});

test('a catalog paged with hydra:PartialCollectionView and hydra:next is read to its last page', async () => {
  pages = 3;
  await sys(env, 'harvest_source_create', { name: 'dp-view', url: `${base}/catalog.ttl`, source_type: 'dcat', owner_org: 'dp-org' });
  const job = await runHarvest(env.services, 'dp-view', { pollMs: 20 });
  const objects = await env.services.store.db.selectFrom('harvest_objects').select('guid').where('job_id', '=', job.id).execute();
  assert.deepEqual(objects.map((o) => o.guid).sort(), ['page-1', 'page-2', 'page-3']);
});

test('our catalog pages link to pages of the format they are served in, with both Hydra terms', () => {
  for (const format of ['ttl', 'jsonld', 'rdf'] as const) {
    const quads = catalogQuads(env.services, [], 2, 3500, format);
    const links = (p: string) => quads.filter((q) => q.predicate.value === `${NS.hydra}${p}`).map((q) => q.object.value);
    for (const p of ['nextPage', 'next']) assert.deepEqual(links(p), [`${env.services.config.siteUrl}/catalog.${format}?page=3`], `${format} ${p}`);
    for (const p of ['previousPage', 'previous', 'first']) assert.equal(links(p).length, 1, p);
  }
});
