import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, datasetInput, type TestEnv } from '../helpers.ts';

/**
 * The officer's pull list shows each dataset's national state, however many registrations the
 * catalog has: the registry answers registration_list 1,000 at a time, so the list reads every page.
 */
let env: TestEnv;
let server: http.Server;
let id = '';
const offsets: number[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { limit = 100, offset = 0 } = JSON.parse(body || '{}');
      offsets.push(offset);
      // 1,000 other entries changed more recently, then this dataset's.
      const all = [...Array.from({ length: 1000 }, (_, i) => ({ remote_id: `other-${i}`, state: 'WAIT' })), { remote_id: id, state: 'COMPLETED', id: 'r1', number: 'GDC-1', state_changed: '2026-01-01T00:00:00Z' }];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result: { count: all.length, results: all.slice(offset, offset + Math.min(limit, 1000)) } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  env = await testEnv({ registryUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registryToken: 'token' });
  await makeOrg(env, 'dopa');
  ({ id } = await sys(env, 'package_create', datasetInput('dopa', { name: 'alp-population' })));
});
after(async () => {
  await env.close();
  await new Promise((r) => server.close(r));
});

test('a registration past the first 1,000 shows its state', async () => {
  const list = await sys(env, 'registry_agency_list', {});
  const row = list.results.find((r: { id: string }) => r.id === id);
  assert.equal(row.status, 'COMPLETED');
  assert.deepEqual(offsets, [0, 1000]);
});
