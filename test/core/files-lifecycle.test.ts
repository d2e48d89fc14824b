import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { testEnv, api, makeUser, makeOrg, datasetInput, sys, STORE_KIND, type TestEnv } from '../helpers.ts';
import { sweepFiles } from '../../src/files/lifecycle.ts';

/** Issue 7, part of finding 16 and the upload part of "Robustness": a file lives exactly as long as a row refers to it. */
let env: TestEnv;
let token: string;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'life' }), { token })).status, 200);
});
after(() => env.close());

function multipart(fields: Record<string, string>, body: string) {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push('--B', `Content-Disposition: form-data; name="${k}"`, '', v);
  parts.push('--B', 'Content-Disposition: form-data; name="upload"; filename="f.csv"', 'Content-Type: text/csv', '', body, '--B--', '');
  return { headers: { authorization: token, 'content-type': 'multipart/form-data; boundary=B' }, payload: parts.join('\r\n') };
}

const keyOf = async (id: string) => (await env.services.store.db.selectFrom('resources').select('storage_key').where('id', '=', id).executeTakeFirstOrThrow()).storage_key;
const root = () => path.join(env.config.dataDir, 'files');
const tempFiles = () => fs.readdirSync(path.join(root(), 'tmp'));

test(`[${STORE_KIND}] a replaced file is deleted after commit; a deleted resource keeps its file for history`, async () => {
  const c = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'life', name: 'v1' }, 'a\n1') });
  assert.equal(c.statusCode, 200, c.body);
  const id = c.json().result.id;
  const k1 = (await keyOf(id))!;
  assert.ok(await env.services.files.exists(k1));
  const u = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_update', ...multipart({ id, name: 'v2' }, 'a\n2') });
  assert.equal(u.statusCode, 200, u.body);
  const k2 = (await keyOf(id))!;
  assert.notEqual(k2, k1);
  assert.equal(await env.services.files.exists(k1), false, 'the replaced file is gone');
  assert.ok(await env.services.files.exists(k2));
  // Switching to a link releases the file too.
  const l = await api(env, 'resource_update', { id, name: 'link now', url: 'https://example.go.th/x.csv', format: 'CSV' }, { token });
  assert.equal(l.status, 200, JSON.stringify(l.json));
  assert.equal(await env.services.files.exists(k2), false);
  assert.equal(l.json.result.url_type, null);
  // A patch to a link of a file resource: the file's measurements and mark do not carry over.
  const f = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'life', name: 'p' }, 'p\n1') });
  const pid = f.json().result.id;
  const pk = (await keyOf(pid))!;
  const patched = await api(env, 'resource_patch', { id: pid, url: 'https://example.go.th/p.csv' }, { token });
  assert.equal(patched.status, 200, JSON.stringify(patched.json));
  assert.equal(patched.json.result.url_type, null);
  assert.equal(patched.json.result.size, null);
  assert.equal(patched.json.result.hash, '');
  assert.equal(await env.services.files.exists(pk), false);
  // A deleted resource is still in the dataset's history: its file stays until the row is purged.
  const d = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'life', name: 'to delete' }, 'b\n1') });
  const did = d.json().result.id;
  const k3 = (await keyOf(did))!;
  assert.equal((await api(env, 'resource_delete', { id: did }, { token })).status, 200);
  assert.ok(await env.services.files.exists(k3), 'kept for history');
  // package_update without the resource (dropped from the list) keeps it too.
  assert.deepEqual(tempFiles(), []);
});

test(`[${STORE_KIND}] a rolled-back upload leaves nothing; an upload is a temporary file until its row commits`, async () => {
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart({ package_id: 'life', name: 'x', resource_disaggregate: 'ดาวเคราะห์' }, 'a') });
  assert.equal(r.statusCode, 409);
  assert.deepEqual(tempFiles(), []);
  const upload = await env.services.files.put(Readable.from([Buffer.from('abc')]), 1000, 'a.csv');
  assert.equal(tempFiles().length, 1, 'written under a temporary name');
  const ds = await sys(env, 'package_show', { id: 'life' });
  const res = await sys(env, 'resource_create', { package_id: ds.id, name: 'ok', upload });
  assert.deepEqual(tempFiles(), [], 'committed: moved to its stored name');
  assert.ok(await env.services.files.exists((await keyOf(res.id))!));
  // The same upload object cannot be attached twice.
  const again = await sys(env, 'resource_create', { package_id: ds.id, name: 'again', upload }).catch((e) => e);
  assert.equal(again?.name, 'ValidationError');
});

test(`[${STORE_KIND}] the sweep: dead writers' temporary files go (or are promoted if a row refers to them), orphans go after the grace period`, async () => {
  const tmp = path.join(root(), 'tmp');
  const deadPid = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process
  const orphanTemp = '11111111-1111-4111-8111-111111111111';
  fs.writeFileSync(path.join(tmp, `${orphanTemp}.${deadPid}.part`), 'partial upload');
  // A committed row whose rename never happened (crash between commit and rename).
  const ds = await sys(env, 'package_show', { id: 'life' });
  const committed = '22222222-2222-4222-8222-222222222222';
  fs.writeFileSync(path.join(tmp, `${committed}.${deadPid}.part`), 'x,y\n1,2\n');
  const link = await sys(env, 'resource_create', { package_id: ds.id, name: 'crash', url: 'https://example.go.th/c.csv', format: 'CSV' });
  await env.services.store.db.updateTable('resources').set({ storage_key: committed, url_type: 'upload', url: 'c.csv' }).where('id', '=', link.id).execute();
  // A stored file nothing refers to (a purged row, an interrupted release).
  const orphan = '33333333-3333-4333-8333-333333333333';
  fs.mkdirSync(path.join(root(), '33'), { recursive: true });
  fs.writeFileSync(path.join(root(), '33', orphan), 'old');
  // A live upload of this process is left alone.
  const live = await env.services.files.put(Readable.from([Buffer.from('in flight')]), 1000, 'l.csv');

  const young = await sweepFiles(env.services);
  assert.equal(young.removedOrphans, 0, 'a fresh orphan is within its grace period');
  assert.ok(await env.services.files.exists(committed), 'promoted');
  assert.ok(!fs.existsSync(path.join(tmp, `${orphanTemp}.${deadPid}.part`)), 'a dead writer\'s partial upload is removed');
  const later = await sweepFiles(env.services, { now: Date.now() + 2 * 3600_000 });
  assert.equal(later.removedOrphans, 1);
  assert.ok(!fs.existsSync(path.join(root(), '33', orphan)));
  assert.ok(await env.services.files.exists(committed), 'a referenced file stays');
  assert.equal(tempFiles().length, 1, 'the live upload stays');
  await live.discard();
  assert.deepEqual(tempFiles(), []);
  const dl = await env.app.inject({ url: `/dataset/${ds.id}/resource/${link.id}/download/c.csv` });
  assert.equal(dl.statusCode, 200);
  assert.equal(dl.body, 'x,y\n1,2\n');
});

test(`[${STORE_KIND}] the sweep removes nothing when most stored files look orphaned (the wrong database)`, async () => {
  const made: string[] = [];
  for (let i = 0; i < 30; i++) {
    const key = `44444444-4444-4444-8444-${String(i).padStart(12, '0')}`;
    fs.mkdirSync(path.join(root(), '44'), { recursive: true });
    fs.writeFileSync(path.join(root(), '44', key), 'x');
    made.push(key);
  }
  const r = await sweepFiles(env.services, { now: Date.now() + 2 * 3600_000 });
  assert.equal(r.removedOrphans, 0);
  assert.ok(r.keptSuspicious >= 30);
  for (const k of made) assert.ok(await env.services.files.exists(k));
});
