import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { PASSWORD } from '../web/seed.ts';

/** A multipart upload is refused before its body is read when the caller could never attach a file. */
let env: TestEnv;
let editor: string;
let member: string;
let port: number;
let resourceId: string;

before(async () => {
  env = await testEnv({ maxBodyBytes: 16 * 1024 }, { web: true });
  await makeOrg(env, 'nso');
  editor = (await makeUser(env, 'gate-editor', { org: 'nso' })).token;
  member = (await makeUser(env, 'gate-member', { org: 'nso', role: 'member' })).token;
  await makeUser(env, 'gate-nobody');
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'gate' }), { token: editor })).status, 200);
  const r = await api(env, 'resource_create', { package_id: 'gate', name: 'link', url: 'https://example.go.th/a.csv', format: 'CSV' }, { token: editor });
  resourceId = r.json.result.id;
  await env.app.listen({ port: 0, host: '127.0.0.1' });
  port = (env.app.server.address() as AddressInfo).port;
});
after(() => env.close());

const tmpFiles = () => fs.readdirSync(path.join(env.config.dataDir, 'files', 'tmp'));

interface Sent {
  status: number;
  body: string;
  /** Files in the store's tmp directory while the upload was still being sent. */
  tmpWhileSending: number;
  written: number;
  total: number;
}

/**
 * Sends a multipart body of `total` file bytes over a real connection, slowly enough to look at the
 * tmp directory while it is under way, and keeps sending until the server closes or all is sent.
 */
function upload(url: string, headers: Record<string, string>, fields: Record<string, string>, total = 48 * 1024 * 1024): Promise<Sent> {
  const head = Buffer.from(
    Object.entries(fields).map(([k, v]) => `--B\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') +
      '--B\r\nContent-Disposition: form-data; name="upload"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n',
  );
  const tail = Buffer.from('\r\n--B--\r\n');
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve) => {
    let status = 0;
    let body = '';
    let written = 0;
    let tmpWhileSending = -1;
    let closed = false;
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: url, headers: { ...headers, 'content-type': 'multipart/form-data; boundary=B', 'content-length': String(head.length + total + tail.length) } });
    const finish = () => {
      if (closed && answered && tmpWhileSending !== -1) resolve({ status, body, tmpWhileSending, written, total });
    };
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        answered = true;
        finish();
      });
    });
    // The server may close while bytes are still on their way (EPIPE, ECONNRESET): that is the point.
    req.on('error', () => undefined);
    req.on('close', () => {
      closed = true;
      answered ||= status !== 0;
      finish();
    });
    const pump = () => {
      while (!closed && written < total) {
        const n = Math.min(chunk.length, total - written);
        written += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!closed) req.end(tail);
    };
    req.write(head);
    req.write(chunk);
    written = chunk.length;
    setTimeout(() => {
      tmpWhileSending = tmpFiles().length;
      pump();
      finish();
    }, 300);
  });
}

test(`[${STORE_KIND}] API: no credentials, a bad token, a caller who edits nothing → 403 before a byte is written`, async () => {
  const before = tmpFiles().length;
  for (const [who, headers] of [['anonymous', {}], ['bad token', { authorization: 'not-a-token' }], ['member', { authorization: member }]] as const) {
    const r = await upload('/api/3/action/resource_create', headers, { package_id: 'gate', name: 'x' });
    assert.equal(r.status, 403, `${who}: ${r.status} ${r.body.slice(0, 200)}`);
    const j = JSON.parse(r.body);
    assert.equal(j.success, false);
    assert.equal(j.error.__type, 'Authorization Error');
    assert.match(j.error.message, /ไม่มีสิทธิ์/, 'Thai by default');
    assert.equal(r.tmpWhileSending, before, `${who}: nothing was written while the body was on its way`);
    assert.ok(r.written < r.total / 2, `${who}: the body was not read to its end (${r.written} of ${r.total})`);
  }
  const en = await upload('/api/3/action/resource_update', { 'accept-language': 'en' }, { id: resourceId, name: 'x' }, 1024 * 1024);
  assert.equal(en.status, 403, en.body);
  assert.match(JSON.parse(en.body).error.message, /Access denied/);
  assert.equal(tmpFiles().length, before);
});

test(`[${STORE_KIND}] API: a file sent to an action that takes none is refused unread, field-level`, async () => {
  const before = tmpFiles().length;
  const r = await upload('/api/3/action/package_patch', { authorization: editor }, { id: 'gate', notes: 'x' });
  assert.equal(r.status, 409, r.body.slice(0, 300));
  assert.ok(JSON.parse(r.body).error.upload, r.body);
  assert.equal(r.tmpWhileSending, before);
  assert.ok(r.written < r.total / 2, `${r.written} of ${r.total}`);
});

test(`[${STORE_KIND}] API: an editor's upload still goes through`, async () => {
  const r = await upload('/api/3/action/resource_create', { authorization: editor }, { package_id: 'gate', name: 'ok' }, 256 * 1024);
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.equal(JSON.parse(r.body).result.size, 256 * 1024);
});

test(`[${STORE_KIND}] API: form fields of a multipart body are bounded in all, as a JSON body is`, async () => {
  const many = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`f${i}`, 'x'.repeat(10 * 1024)]));
  const r = await env.app.inject({
    method: 'POST',
    url: '/api/3/action/package_patch',
    headers: { authorization: editor, 'content-type': 'multipart/form-data; boundary=B' },
    payload: Object.entries({ id: 'gate', ...many }).map(([k, v]) => `--B\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + '--B--\r\n',
  });
  assert.equal(r.statusCode, 400, r.body.slice(0, 300));
});

test(`[${STORE_KIND}] portal: an anonymous visitor or a signed-in user who edits nothing → 403 before a byte is written`, async () => {
  const nobody = new PageClient(env.app);
  assert.equal((await nobody.signIn('gate-nobody', PASSWORD)).statusCode, 303);
  const before = tmpFiles().length;
  for (const [who, headers] of [['anonymous', {}], ['no role', { cookie: nobody.cookieHeader() }]] as const) {
    for (const url of ['/dataset/gate/resource/new', `/dataset/gate/resource/${resourceId}/edit`, '/dataset/import']) {
      const r = await upload(url, headers, { _csrf: 'x', name: 'x' });
      assert.equal(r.status, 403, `${who} ${url}: ${r.status}`);
      assert.equal(r.tmpWhileSending, before, `${who} ${url}: nothing written`);
      assert.ok(r.written < r.total / 2, `${who} ${url}: ${r.written} of ${r.total}`);
    }
  }
  // A form that takes no file (sign-in) refuses one unread.
  const login = await upload('/user/login', {}, { login: 'x', password: 'y' });
  assert.ok(login.status >= 400 && login.status < 500, `${login.status}`);
  assert.equal(login.tmpWhileSending, before);
});
