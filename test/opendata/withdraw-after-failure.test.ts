import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import { freePort } from '../web/browser.ts';
import { OPENDATA_QUEUE, runPush } from '../../src/opendata/push.ts';

/**
 * A dataset already on the portal whose last push failed (the portal refused it, or it was queued
 * again by opendata_push) and that then stops being open must still be withdrawn there: the copy on
 * the portal is what matters, not how the last attempt ended.
 */
let portal: TestEnv;
let agency: TestEnv;
let portalToken = '';

async function drain(env: TestEnv): Promise<void> {
  const db = env.services.store.db;
  for (;;) {
    const job = await db.selectFrom('jobs').select(['id', 'payload']).where('queue', '=', OPENDATA_QUEUE).where('state', '=', 'queued').orderBy('id').executeTakeFirst();
    if (!job) return;
    await db.updateTable('jobs').set({ state: 'running' }).where('id', '=', job.id).execute();
    try {
      await runPush(env.services, job.payload as Record<string, unknown>);
    } catch {
      // a retried failure: the state row says what happened
    } finally {
      await db.updateTable('jobs').set({ state: 'done' }).where('id', '=', job.id).execute();
    }
  }
}
const onPortal = async (name: string) => (await api(portal, 'package_show', { id: name })).json.success as boolean;
const pushState = async (name: string) => (await sys(agency, 'opendata_push_status', { id: name })).state as string;

before(async () => {
  const port = await freePort();
  const portalUrl = `http://127.0.0.1:${port}`;
  portal = await testEnv({ siteUrl: portalUrl, port });
  await portal.app.listen({ port, host: '127.0.0.1' });
  await makeOrg(portal, 'dept-open');
  ({ token: portalToken } = await makeUser(portal, 'agency-bot', { org: 'dept-open', role: 'editor' }));
  agency = await testEnv({ openData: { url: portalUrl, token: portalToken, org: 'dept-open' } });
  await makeOrg(agency, 'dept-a');
});
after(async () => {
  await agency?.close();
  await portal?.close();
});

test('pushed, then a refused update, then made private: withdrawn from the portal', async () => {
  await sys(agency, 'package_create', datasetInput('dept-a', { name: 'wf-refused' }));
  await drain(agency);
  assert.equal(await onPortal('wf-refused'), true);
  agency.services.config.openData!.token = 'not-a-valid-token';
  try {
    await sys(agency, 'package_patch', { id: 'wf-refused', title: 'ชื่อใหม่ของชุดข้อมูล' });
    await drain(agency);
    assert.equal(await pushState('wf-refused'), 'failed');
  } finally {
    agency.services.config.openData!.token = portalToken;
  }
  await sys(agency, 'package_patch', { id: 'wf-refused', private: true });
  await drain(agency);
  assert.equal(await onPortal('wf-refused'), false, 'still public on the portal');
  assert.equal(await pushState('wf-refused'), 'withdrawn');
});

test('pushed, queued again by opendata_push, then made private: withdrawn from the portal', async () => {
  await sys(agency, 'package_create', datasetInput('dept-a', { name: 'wf-requeued' }));
  await drain(agency);
  assert.equal(await onPortal('wf-requeued'), true);
  await sys(agency, 'opendata_push', { id: 'wf-requeued' });
  await sys(agency, 'package_patch', { id: 'wf-requeued', private: true });
  await drain(agency);
  assert.equal(await onPortal('wf-requeued'), false, 'still public on the portal');
});

test('a withdrawn copy restored for an update the portal then refuses is withdrawn again, not left public with its old content', async () => {
  const calls: string[] = [];
  const stub = http.createServer((req, res) => {
    const action = (req.url ?? '').split('/').pop() ?? '';
    calls.push(action);
    const ok = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, result }));
    if (action === 'package_show') return ok({ id: 'remote-1', name: 'wf-restored', state: 'deleted', organization: { name: 'dept-open' } });
    if (action === 'package_restore' || action === 'package_delete') return ok(null);
    res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, error: { __type: 'Validation Error', title: ['refused'] } }));
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  const env = await testEnv({ openData: { url: `http://127.0.0.1:${(stub.address() as AddressInfo).port}`, token: 'x', org: 'dept-open' } });
  try {
    await makeOrg(env, 'dept-r');
    await sys(env, 'package_create', datasetInput('dept-r', { name: 'wf-restored' }));
    await drain(env);
    assert.deepEqual(calls, ['package_show', 'package_restore', 'package_update', 'package_delete']);
    assert.equal((await sys(env, 'opendata_push_status', { id: 'wf-restored' })).state, 'failed');
  } finally {
    await env.close();
    await new Promise((r) => stub.close(r));
  }
});
