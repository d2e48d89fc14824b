import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { harvestFetch } from '../../src/harvest/http.ts';

/**
 * A harvest source's token (credentials) goes to the source's own origin only: a redirect to
 * another host, or a DCAT page link (hydra:nextPage) to another host, is followed without it.
 */
let env: TestEnv;
let source: http.Server;
let elsewhere: http.Server;
let sourceUrl = '';
let elsewhereUrl = '';
const seen: Array<{ server: string; url: string; auth: string | undefined }> = [];
const TOKEN = 'secret-agency-token-1234';

const listen = async (s: http.Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

before(async () => {
  source = http.createServer((req, res) => {
    seen.push({ server: 'source', url: req.url ?? '', auth: req.headers.authorization });
    if (req.url === '/moved') return res.writeHead(302, { location: `${elsewhereUrl}/landing` }).end();
    if (req.url === '/same') return res.writeHead(302, { location: `${sourceUrl}/landing` }).end();
    if (req.url === '/catalog.ttl') {
      return res.writeHead(200, { 'content-type': 'text/turtle' }).end(`@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<${sourceUrl}/catalog.ttl> a hydra:PagedCollection ; hydra:nextPage <${elsewhereUrl}/page2.ttl> .
`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  elsewhere = http.createServer((req, res) => {
    seen.push({ server: 'elsewhere', url: req.url ?? '', auth: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'text/turtle' }).end('');
  });
  sourceUrl = await listen(source);
  elsewhereUrl = await listen(elsewhere);
  env = await testEnv();
  await makeOrg(env, 'cred-org');
});
after(async () => {
  await new Promise((r) => source.close(r));
  await new Promise((r) => elsewhere.close(r));
  await env.close();
});

test('a redirect to another origin drops the authorization header; one within the origin keeps it', async () => {
  seen.length = 0;
  await harvestFetch(`${sourceUrl}/moved`, { headers: { authorization: TOKEN } });
  assert.deepEqual(seen.map((s) => [s.server, s.auth]), [['source', TOKEN], ['elsewhere', undefined]]);
  seen.length = 0;
  await harvestFetch(`${sourceUrl}/same`, { headers: { authorization: TOKEN } });
  assert.deepEqual(seen.map((s) => [s.server, s.auth]), [['source', TOKEN], ['source', TOKEN]]);
});

test('a DCAT source paging to another host does not get the source token there', async () => {
  seen.length = 0;
  await sys(env, 'harvest_source_create', { name: 'cred-dcat', url: `${sourceUrl}/catalog.ttl`, source_type: 'dcat', owner_org: 'cred-org', credentials: TOKEN });
  await runHarvest(env.services, 'cred-dcat');
  const first = seen.find((s) => s.server === 'source');
  assert.equal(first?.auth, TOKEN, 'the source itself gets its token');
  const other = seen.filter((s) => s.server === 'elsewhere');
  assert.ok(other.length >= 1, 'the page link was followed');
  for (const s of other) assert.equal(s.auth, undefined, `the token went to ${s.url}`);
});
