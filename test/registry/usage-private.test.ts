import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { collectUsage } from '../../src/registry/usage.ts';

/**
 * The registry's usage collection calls the same agency URL as the harvest, so it keeps the
 * harvest's address rule: without BANCHI_HARVEST_ALLOW_PRIVATE no loopback, private or link-local
 * address is asked, redirects included.
 */
let env: TestEnv;
let internal: http.Server;
let hits = 0;

before(async () => {
  internal = http.createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result: { results: [] } }));
  });
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  env = await testEnv({ siteKind: 'registry', harvestAllowPrivate: false, sourceHosts: '' });
  await makeOrg(env, 'up-org');
  await sys(env, 'harvest_source_create', { name: 'up-internal', url: `http://127.0.0.1:${(internal.address() as AddressInfo).port}`, source_type: 'ckan', owner_org: 'up-org' });
});
after(async () => {
  await new Promise((r) => internal.close(r));
  await env.close();
});

test('usage is not collected from a loopback address', async () => {
  const { id } = await sys(env, 'harvest_source_show', { id: 'up-internal' });
  await assert.rejects(collectUsage(env.services, { source_id: id }), /private or loopback/);
  assert.equal(hits, 0, 'the internal server was asked');
});
