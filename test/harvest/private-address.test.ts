import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { sourceAccess } from '../../src/harvest/access.ts';
import { gatherCkanPage } from '../../src/harvest/gather-ckan.ts';
import { gatherDcat } from '../../src/harvest/gather-dcat.ts';

/**
 * A harvest source is a URL an organisation admin gives: without BANCHI_HARVEST_ALLOW_PRIVATE the
 * harvester does not fetch loopback, private or link-local addresses (this server's own network,
 * a cloud metadata service), and the run's error says why.
 */
let env: TestEnv;
let internal: http.Server;
let internalUrl = '';
let hits = 0;

before(async () => {
  internal = http.createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result: { count: 0, results: [] } }));
  });
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
  env = await testEnv({ harvestAllowPrivate: false, sourceHosts: '' });
  await makeOrg(env, 'pa-org');
});
after(async () => {
  await new Promise((r) => internal.close(r));
  await env.close();
});

const source = async (name: string, url: string, type: string) => {
  await sys(env, 'harvest_source_create', { name, url, source_type: type, owner_org: 'pa-org' });
  return env.services.store.db.selectFrom('harvest_sources').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
};
const gather = (row: Awaited<ReturnType<typeof source>>) => {
  const a = sourceAccess(env.services, row);
  return row.source_type === 'dcat' ? gatherDcat(a) : gatherCkanPage(a, 0, null);
};

test('a CKAN or DCAT source on a loopback, private or link-local address is not fetched', async () => {
  const sources: Array<[string, string, string]> = [
    ['pa-ckan', internalUrl, 'ckan'],
    ['pa-dcat', `${internalUrl}/catalog.ttl`, 'dcat'],
    ['pa-metadata', 'http://169.254.169.254/latest/meta-data/', 'dcat'],
    ['pa-ten', 'http://10.0.0.1/api', 'ckan'],
    ['pa-v6', 'http://[::1]:9/api', 'ckan'],
  ];
  for (const [name, url, type] of sources) await assert.rejects(gather(await source(name, url, type)), /private or loopback/, name);
  assert.equal(hits, 0, 'the internal server was asked');
});

test('allowed by the setting, the same source is fetched', async () => {
  env.services.config.harvestAllowPrivate = true;
  try {
    await gather(await source('pa-allowed', internalUrl, 'ckan'));
    assert.ok(hits > 0);
  } finally {
    env.services.config.harvestAllowPrivate = false;
  }
});

test('a host BANCHI_SOURCE_HOSTS lists is fetched without lifting the rule for every host', async () => {
  env.services.config.sourceHosts = '127.0.0.1';
  try {
    const before = hits;
    await gather(await source('pa-listed', internalUrl, 'ckan'));
    assert.ok(hits > before);
    await assert.rejects(gather(await source('pa-listed-meta', 'http://169.254.169.254/latest/meta-data/', 'dcat')), /private or loopback/);
  } finally {
    env.services.config.sourceHosts = '';
  }
});
