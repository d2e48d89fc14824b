import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import type { FileStore } from '../../src/files/file-store.ts';

/** HEAD of a file's download and inline URLs is answered from metadata: the file is never opened. */
let env: TestEnv;
let editor: string;
let opened = 0;

before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'nso');
  editor = (await makeUser(env, 'head-editor', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'head-ds' }), { token: editor })).status, 200);
  // Counts the real store's opens (the store itself is untouched).
  const files = env.services.files as FileStore;
  const read = files.read.bind(files);
  files.read = (...args) => {
    opened++;
    return read(...args);
  };
});
after(() => env.close());

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

async function upload(filename: string, body: Buffer) {
  const payload = Buffer.concat([
    Buffer.from(`--B\r\nContent-Disposition: form-data; name="package_id"\r\n\r\nhead-ds\r\n--B\r\nContent-Disposition: form-data; name="upload"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    body,
    Buffer.from('\r\n--B--\r\n'),
  ]);
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: { authorization: editor, 'content-type': 'multipart/form-data; boundary=B' }, payload });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().result as { id: string; url: string; hash: string };
}

test(`[${STORE_KIND}] HEAD of a download: size, type, ETag and Accept-Ranges without opening the file`, async () => {
  const res = await upload('ten.csv', Buffer.from('0123456789'));
  const url = new URL(res.url).pathname;
  const before = opened;
  const head = await env.app.inject({ method: 'HEAD', url });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-length'], '10');
  assert.match(String(head.headers['content-type']), /^text\/csv/);
  assert.equal(head.headers.etag, `"${res.hash}"`);
  assert.equal(head.headers['accept-ranges'], 'bytes');
  assert.equal(head.body, '');
  const part = await env.app.inject({ method: 'HEAD', url, headers: { range: 'bytes=2-4' } });
  assert.equal(part.statusCode, 206);
  assert.equal(part.headers['content-length'], '3');
  assert.equal(part.headers['content-range'], 'bytes 2-4/10');
  assert.equal((await env.app.inject({ method: 'HEAD', url, headers: { range: 'bytes=20-' } })).statusCode, 416);
  assert.equal(opened, before, 'no HEAD opened the file');
  const get = await env.app.inject({ method: 'GET', url });
  assert.equal(get.body, '0123456789');
  assert.equal(opened, before + 1);
});

test(`[${STORE_KIND}] HEAD of an inline (preview) URL: the headers without opening the file`, async () => {
  const res = await upload('dot.png', PNG);
  const url = `/dataset/head-ds/resource/${res.id}/inline`;
  const before = opened;
  const head = await env.app.inject({ method: 'HEAD', url });
  assert.equal(head.statusCode, 200, head.body);
  assert.equal(head.headers['content-length'], String(PNG.length));
  assert.equal(head.headers['content-type'], 'image/png');
  assert.equal(head.body, '');
  assert.equal(opened, before, 'the HEAD did not open the file');
  const get = await env.app.inject({ method: 'GET', url });
  assert.equal(get.statusCode, 200);
  assert.equal(get.rawPayload.length, PNG.length);
});
