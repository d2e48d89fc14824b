import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { contentDisposition, safeFilename } from '../../src/files/mime.ts';

/** Downloads as HTTP clients use them (HEAD, Range, validators) and file names as uploads bring them. */
let env: TestEnv;
let editor: string;

before(async () => {
  env = await testEnv({ maxUploadBytes: 64 * 1024 });
  await makeOrg(env, 'nso');
  editor = (await makeUser(env, 'dl-editor', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'open-ds' }), { token: editor })).status, 200);
});
after(() => env.close());

/** As ckanapi sends resource_create(package_id=…, upload=f): no name, no format, the file's name only. */
async function upload(filename: string, body: string, fields: Record<string, string> = {}) {
  const b = 'BnD';
  const parts = Object.entries({ package_id: 'open-ds', ...fields }).map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const payload = Buffer.concat([
    Buffer.from(parts.join('')),
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="upload"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'),
    Buffer.from(body),
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
  return env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: { authorization: editor, 'content-type': `multipart/form-data; boundary=${b}` }, payload });
}

test(`[${STORE_KIND}] Range, If-Range, HEAD and If-None-Match on a download`, async () => {
  const r = await upload('ten.csv', '0123456789');
  assert.equal(r.statusCode, 200, r.body);
  const { url, hash } = r.json().result;
  const path = new URL(url).pathname;
  const get = (headers: Record<string, string>, method: 'GET' | 'HEAD' = 'GET') => env.app.inject({ method, url: path, headers });
  const downloads = () => [...((env.services.views as unknown as { usage: Map<string, { downloads: number }> }).usage)].filter(([k]) => k.includes(r.json().result.id)).reduce((n, [, u]) => n + u.downloads, 0);
  const whole = await get({});
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  assert.equal(whole.headers.etag, `"${hash}"`);
  assert.match(String(whole.headers['cache-control']), /private/);
  for (const [range, status, body, contentRange] of [
    ['bytes=2-4', 206, '234', 'bytes 2-4/10'],
    ['bytes=5-', 206, '56789', 'bytes 5-9/10'],
    ['bytes=-3', 206, '789', 'bytes 7-9/10'],
    ['bytes=8-99999999999999999999', 206, '89', 'bytes 8-9/10'],
    ['bytes=10-', 416, '', 'bytes */10'],
    ['bytes=4-2', 200, '0123456789', undefined],
    ['bytes=0-0,2-3', 200, '0123456789', undefined],
    ['items=1-2', 200, '0123456789', undefined],
  ] as const) {
    const d = await get({ range });
    assert.equal(d.statusCode, status, range);
    assert.equal(d.body, body, range);
    assert.equal(d.headers['content-range'], contentRange, range);
    assert.equal(Number(d.headers['content-length']), body.length, range);
  }
  // A resumed download of a file that changed since starts over; of the same file, resumes.
  assert.equal((await get({ range: 'bytes=2-4', 'if-range': '"other"' })).statusCode, 200);
  assert.equal((await get({ range: 'bytes=2-4', 'if-range': `"${hash}"` })).body, '234');
  assert.equal((await get({ 'if-none-match': `"${hash}"` })).statusCode, 304);
  // HEAD says the length without the bytes.
  const head = await get({}, 'HEAD');
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-length'], '10');
  assert.equal(head.body, '');
  assert.equal((await get({ range: 'bytes=2-4' }, 'HEAD')).headers['content-length'], '3');
  // Counted downloads: the whole GETs and those from byte 0 — not a HEAD, a resumed part, a 304 or a 416.
  const counted = downloads();
  await get({}, 'HEAD');
  await get({ range: 'bytes=5-' });
  await get({ range: 'bytes=10-' });
  await get({ 'if-none-match': `"${hash}"` });
  assert.equal(downloads(), counted);
  await get({});
  assert.equal(downloads(), counted + 1);
});

test(`[${STORE_KIND}] an uploaded file's name: no invisible characters, never "..", shortened before its extension`, async () => {
  // A right-to-left override makes "report\u202Exslx.exe" read as "reportexe.xlsx".
  const rlo = await upload('report\u202Evsc.exe', 'a');
  assert.equal(rlo.statusCode, 200, rlo.body);
  assert.equal(decodeURIComponent(new URL(rlo.json().result.url).pathname.split('/').pop()!), 'reportvsc.exe');
  // A name of dots would make the download URL /download/.. (which a client resolves to another path).
  for (const dots of ['..', '.']) {
    const r = await upload(dots, 'a', { format: 'CSV' });
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(new URL(r.json().result.url).pathname.endsWith('/download/file'), r.json().result.url);
  }
  // A long Thai name (or one ending in an emoji) keeps its extension and stays valid text.
  const long = await upload(`${'สถิติประชากร'.repeat(30)}.csv`, 'a,b\n');
  assert.equal(long.statusCode, 200, long.body);
  assert.equal(long.json().result.format, 'CSV');
  const emoji = await upload(`${'a'.repeat(199)}😀.csv`, 'a,b\n');
  assert.equal(emoji.statusCode, 200, emoji.body);
  assert.ok(emoji.json().result.name.isWellFormed());
  for (const n of ['a'.repeat(199) + '😀😀', 'ก้'.repeat(150), 'x'.repeat(300) + '.xlsx']) {
    const s = safeFilename(n);
    assert.ok(s.length <= 200 && s.isWellFormed(), n.slice(0, 20));
    assert.ok(!/^\p{M}/u.test(s.slice(-1)) || /ก้$/.test(s), 'no combining mark cut from its consonant');
  }
  assert.ok(safeFilename('x'.repeat(300) + '.xlsx').endsWith('x.xlsx'));
});

test(`[${STORE_KIND}] Content-Disposition: RFC 5987 for Thai names, an ASCII stand-in, nothing injected`, async () => {
  const thai = await upload("ข้อมูล ๑ (ฉบับที่ 2) it's.csv", 'a');
  assert.equal(thai.statusCode, 200, thai.body);
  const d = await env.app.inject({ url: new URL(thai.json().result.url).pathname });
  const cd = String(d.headers['content-disposition']);
  const ext = /filename\*=UTF-8''([^;]+)$/.exec(cd)?.[1];
  assert.ok(ext, cd);
  // attr-char only: ' ( ) * are outside it, so a strict parser would cut the name there.
  assert.match(ext, /^[A-Za-z0-9!#$&+\-.^_`|~%]+$/, cd);
  assert.equal(decodeURIComponent(ext), "ข้อมูล ๑ (ฉบับที่ 2) it's.csv");
  assert.match(cd, /^inline; filename="[\x20-\x7e]+"; filename\*=/, 'an ASCII filename= for clients that read no other');
  // Whatever a stored name holds (rows written before these rules), the header stays one header.
  for (const name of ['a"b\r\nSet-Cookie: x=1.csv', 'x\\".csv', `${'a'.repeat(199)}\uD83D`, '%41.csv']) {
    const h = contentDisposition('attachment', name);
    assert.ok(!/[\r\n]/.test(h) && /^attachment; filename="[^"\\]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/.test(h), h);
  }
});
