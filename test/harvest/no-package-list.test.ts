import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';
import { realRecords } from './ckan-replay.ts';

/**
 * A CKAN whose package_list is not open to the harvester (403) is still harvested: the names it
 * lists come from package_search, and a record it drops is withdrawn on the next run.
 */
let env: TestEnv;
let server: http.Server;
let records = realRecords(3);

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'npl-org');
  server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (u.pathname.endsWith('/package_list')) return send(403, { success: false, error: { __type: 'Authorization Error', message: 'Access denied' } });
    if (u.pathname.endsWith('/package_search')) {
      const fq = u.searchParams.get('fq') ?? '';
      const rows = fq ? [] : [...records].sort((a, b) => String(a.name).localeCompare(String(b.name)));
      const start = Number(u.searchParams.get('start') ?? 0);
      const page = rows.slice(start, start + Number(u.searchParams.get('rows') ?? 10));
      const fl = u.searchParams.get('fl');
      return send(200, { success: true, result: { count: rows.length, results: fl ? page.map((r) => ({ name: r.name })) : page } });
    }
    send(404, { success: false, error: { __type: 'Not Found Error' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await sys(env, 'harvest_source_create', { name: 'npl-source', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, source_type: 'ckan', owner_org: 'npl-org' });
});
after(async () => {
  await new Promise((r) => server.close(r));
  await env.close();
});

test('harvested without package_list; a record dropped by the source is withdrawn next time', async () => {
  const first = await runHarvest(env.services, 'npl-source', { pollMs: 20 });
  assert.equal(first.status, 'Finished');
  assert.equal(first.stats.added, 3, JSON.stringify(first));
  records = records.slice(1);
  const second = await runHarvest(env.services, 'npl-source', { pollMs: 20 });
  assert.deepEqual([second.stats.deleted, second.stats['not modified']], [1, 2], JSON.stringify(second.stats));
});
