import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv, sys, makeOrg, datasetInput, type TestEnv } from '../helpers.ts';
import { REGISTRY_DOWN_MS } from '../../src/registry/client.ts';

/**
 * The registry state on an agency's dataset page: kept for BANCHI_REGISTRY_STATE_TTL, asked again
 * after the officer changes it, and not asked at all for a while once the registry failed to answer,
 * so no page waits on a dead registry. Deleting always asks afresh. A small registry on loopback
 * counts what it is asked.
 */
describe('the registry state a dataset page shows', () => {
  let env: TestEnv;
  let server: http.Server;
  const calls: string[] = [];
  let mode: 'ok' | 'broken' = 'ok';
  let state = 'WAIT';
  let id = '';

  before(async () => {
    server = http.createServer((req, res) => {
      const action = req.url!.replace('/api/3/action/', '');
      calls.push(action);
      req.resume();
      req.on('end', () => {
        if (mode === 'broken') {
          res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
          return;
        }
        const result =
          action === 'gdcatalog_published_state' ? (state === 'COMPLETED' ? [{ name: 'population', metadata_modified: '2026-12-01T00:00:00' }] : [])
          : action === 'gdcatalog_nonpublish_state' ? [{ governance_state: state, validate_time: '' }]
          : [];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env = await testEnv({ registryUrl: url, registryToken: 'token', registryStateTtlSeconds: 60 });
    await makeOrg(env, 'dopa', 'กรมการปกครอง');
    id = (await sys(env, 'package_create', datasetInput('dopa', { name: 'population', allow_harvest: true }))).id;
  });
  after(async () => {
    await env.close();
    await new Promise((r) => server.close(r));
  });

  const show = () => sys(env, 'registry_status_show', { id });
  const asked = () => calls.filter((c) => c.startsWith('gdcatalog_')).length;

  test('is asked once, then kept; the officer\'s change makes the page ask again', async () => {
    assert.equal((await show()).state, 'WAIT');
    assert.equal(asked(), 2, 'the two status calls of thai_gdc');
    state = 'VALIDATE';
    assert.equal((await show()).state, 'WAIT', 'the kept answer');
    assert.equal(asked(), 2);
    await sys(env, 'registry_agency_submit', { op: 'register', ids: [id] });
    assert.ok(calls.includes('registration_transition'));
    assert.equal((await show()).state, 'VALIDATE', 'asked again after the officer\'s change');
    assert.equal(asked(), 4);
  });

  test('with BANCHI_REGISTRY_STATE_TTL=0 every view asks', async () => {
    env.services.config.registryStateTtlSeconds = 0;
    const before = asked();
    await show();
    await show();
    assert.equal(asked(), before + 4);
    env.services.config.registryStateTtlSeconds = 60;
  });

  test('deleting asks afresh, whatever is kept', async () => {
    state = 'COMPLETED';
    const before = asked();
    await assert.rejects(sys(env, 'package_delete', { id }), (e: any) => /revoke/i.test(JSON.stringify(e.errors)));
    assert.equal(asked(), before + 2);
  });

  test('a registry that fails to answer is not asked again for a while; the page says so at once', async () => {
    await sys(env, 'registry_agency_submit', { op: 'revoke', ids: [id] }); // forget the kept answer
    mode = 'broken';
    const before = calls.length;
    await assert.rejects(show(), (e: any) => /cannot be reached/.test(JSON.stringify(e.errors)));
    const afterFailure = calls.length;
    assert.ok(afterFailure > before, 'the first view asked');
    await assert.rejects(show(), (e: any) => /cannot be reached/.test(JSON.stringify(e.errors)));
    assert.equal(calls.length, afterFailure, `no call for ${REGISTRY_DOWN_MS / 1000} s after a failure`);
  });
});
