import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, datasetInput, type TestEnv } from '../helpers.ts';

/**
 * A registered dataset may not be deleted until it is revoked. Taking the consent back first
 * (allow_harvest false) does not unlock it: the registry still holds it as registered.
 */
const INTERNAL = { data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' };
let env: TestEnv;
let server: http.Server;
const registered = new Set<string>();

before(async () => {
  server = http.createServer((req, res) => {
    const action = req.url!.replace('/api/3/action/', '');
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const pkg = String(JSON.parse(body || '{}').package ?? '');
      const result =
        action === 'gdcatalog_published_state' ? (registered.has(pkg) ? [{ name: 'population', metadata_modified: '2026-12-01T00:00:00' }] : [])
        : action === 'gdcatalog_nonpublish_state' ? (registered.has(pkg) ? [{ governance_state: 'COMPLETED', validate_time: '' }] : [])
        : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  env = await testEnv({ registryUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registryToken: 'token', registryStateTtlSeconds: 0 });
  await makeOrg(env, 'dopa');
});
after(async () => {
  await env.close();
  await new Promise((r) => server.close(r));
});

test('consent taken back, a registered dataset is still not deleted', async () => {
  const { id } = await sys(env, 'package_create', datasetInput('dopa', { name: 'dl-population', allow_harvest: true }));
  registered.add(id);
  // Public datasets must consent, so the agency reclassifies it first (as it may).
  await sys(env, 'package_patch', { id, ...INTERNAL, allow_harvest: false });
  await assert.rejects(sys(env, 'package_delete', { id }), (e: any) => e.name === 'ValidationError' && /COMPLETED/.test(JSON.stringify(e.errors.state)));
  assert.equal((await sys(env, 'package_show', { id })).state, 'active');
});

test('a dataset the registry does not hold is deleted, consenting or not', async () => {
  for (const allow of [true, false]) {
    const { id } = await sys(env, 'package_create', datasetInput('dopa', { ...(allow ? {} : INTERNAL), allow_harvest: allow }));
    assert.equal(await sys(env, 'package_delete', { id }), null);
  }
});
