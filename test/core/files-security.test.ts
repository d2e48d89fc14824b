import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { testEnv, api, makeUser, makeOrg, datasetInput, sys, STORE_KIND, type TestEnv } from '../helpers.ts';

/** Issue 7, findings 1, 2, 9 and the multipart part of 8: the file model as an attacker sees it. */
let env: TestEnv;
let victim: string; // editor of org "victim"
let attacker: string; // editor of org "attacker"

before(async () => {
  env = await testEnv({ maxUploadBytes: 64 * 1024 });
  await makeOrg(env, 'victim');
  await makeOrg(env, 'attacker');
  victim = (await makeUser(env, 'v-editor', { org: 'victim' })).token;
  attacker = (await makeUser(env, 'a-editor', { org: 'attacker' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('victim', { name: 'secret-ds', data_category: 'ข้อมูลความลับทางราชการ', data_classification: 'ลับ' }), { token: victim })).status, 200);
  assert.equal((await api(env, 'package_create', datasetInput('victim', { name: 'victim-open' }), { token: victim })).status, 200);
  assert.equal((await api(env, 'package_create', datasetInput('attacker', { name: 'attacker-open' }), { token: attacker })).status, 200);
});
after(() => env.close());

function multipart(token: string, fields: Record<string, string>, file?: { name: string; body: string | Buffer }, boundary = 'XyZ') {
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`), Buffer.from(file.body), Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { headers: { authorization: token, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(chunks) };
}

async function uploadTo(token: string, pkg: string, name: string, body: string) {
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart(token, { package_id: pkg, name }, { name: `${name}.csv`, body }) });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().result;
}

async function storageKey(resourceId: string): Promise<string> {
  const row = await env.services.store.db.selectFrom('resources').select('storage_key').where('id', '=', resourceId).executeTakeFirstOrThrow();
  return row.storage_key!;
}

function storedFiles(): string[] {
  const root = path.join(env.config.dataDir, 'files');
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

test(`[${STORE_KIND}] a JSON "upload" object naming another organisation's file is a field error, never attached`, async () => {
  const secret = await uploadTo(victim, 'secret-ds', 'confidential', 'id,salary\n1,99999\n');
  const key = await storageKey(secret.id);
  const forged = { key, size: 3, sha256: 'f'.repeat(64), filename: 'stolen.csv' };
  const r = await api(env, 'resource_create', { package_id: 'attacker-open', name: 'stolen', upload: forged }, { token: attacker, lang: 'en' });
  assert.equal(r.status, 409, JSON.stringify(r.json));
  assert.ok(r.json.error.upload, 'the error names the upload field');
  assert.equal(await env.services.store.db.selectFrom('resources').select('id').where('storage_key', '=', key).execute().then((x) => x.length), 1, 'only the owner refers to the file');
  // Update and patch of the attacker's own resource: the same refusal, and the victim's file stays.
  const own = await api(env, 'resource_create', { package_id: 'attacker-open', name: 'mine', url: 'https://example.go.th/a.csv', format: 'CSV' }, { token: attacker });
  for (const action of ['resource_update', 'resource_patch']) {
    const u = await api(env, action, { id: own.json.result.id, name: 'x', url: '', upload: forged }, { token: attacker });
    assert.equal(u.status, 409, `${action}: ${JSON.stringify(u.json)}`);
  }
  // Nested resources of package_create / package_update never carry a file either.
  const nested = await api(env, 'package_update', { ...datasetInput('attacker', { name: 'attacker-open', title: (await api(env, 'package_show', undefined, { query: { id: 'attacker-open' } })).json.result.title }), resources: [{ name: 'x', url: 'stolen.csv', url_type: 'upload', upload: forged }] }, { token: attacker });
  assert.equal(nested.status, 409, JSON.stringify(nested.json));
  assert.ok(nested.json.error['resources[0].upload']);
  assert.ok(storedFiles().includes(key), 'the victim file is still on disk');
  const dl = await env.app.inject({ url: new URL(secret.url).pathname, headers: { authorization: victim } });
  assert.equal(dl.statusCode, 200);
  assert.equal(dl.body, 'id,salary\n1,99999\n');
});

test(`[${STORE_KIND}] a form "upload" field that is text, not a file, is refused`, async () => {
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: { authorization: attacker, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'package_id=attacker-open&name=x&upload=%7B%22key%22%3A%22a%22%7D' });
  assert.equal(r.statusCode, 409, r.body);
});

test(`[${STORE_KIND}] no action answers with a storage key; resource_download is not an API action`, async () => {
  const res = await uploadTo(victim, 'victim-open', 'open-file', 'a,b\n1,2\n');
  const key = await storageKey(res.id);
  const dl = await api(env, 'resource_download', undefined, { query: { id: res.id } });
  assert.equal(dl.status, 400, JSON.stringify(dl.json));
  assert.ok(!JSON.stringify(dl.json).includes(key));
  const post = await api(env, 'resource_download', { id: res.id }, { token: victim });
  assert.ok(!JSON.stringify(post.json).includes(key));
  for (const [action, q] of [['resource_show', { id: res.id }], ['package_show', { id: 'victim-open' }], ['package_search', { q: '*:*' }], ['package_activity_list', { id: 'victim-open' }], ['help_show', { name: 'resource_download' }]] as const) {
    const r = await api(env, action, undefined, { query: q as Record<string, string>, token: victim });
    assert.ok(!JSON.stringify(r.json).includes(key), `${action} must not show the storage key`);
  }
  const help = await api(env, 'help_show', undefined, { query: { name: 'resource_download' } });
  assert.notEqual(help.status, 200);
  // Internal actions still have their policy (deny by default holds for them too).
  const { allActions } = await import('../../src/actions/registry.ts');
  const { policies } = await import('../../src/policies/index.ts');
  const internal = allActions({ internal: true }).filter((a) => a.internal);
  assert.ok(internal.some((a) => a.name === 'resource_download'));
  assert.deepEqual(internal.filter((a) => !policies[a.name]).map((a) => a.name), []);
});

test(`[${STORE_KIND}] size and hash of an uploaded file are the server's; echoing resource_show keeps the file`, async () => {
  const res = await uploadTo(victim, 'victim-open', 'measured', 'x,y\n1,2\n');
  const patched = await api(env, 'resource_patch', { id: res.id, size: 1, hash: 'forged', mimetype: 'text/html' }, { token: victim });
  assert.equal(patched.status, 200, JSON.stringify(patched.json));
  assert.equal(patched.json.result.size, 8);
  assert.equal(patched.json.result.hash, res.hash);
  assert.equal(patched.json.result.mimetype, res.mimetype);
  // CKAN clients send the resource_show dict back to resource_update: the file stays a file.
  const shown = (await api(env, 'resource_show', undefined, { query: { id: res.id }, token: victim })).json.result;
  const updated = await api(env, 'resource_update', { ...shown, name: 'measured v2', size: 5, hash: 'abc' }, { token: victim });
  assert.equal(updated.status, 200, JSON.stringify(updated.json));
  assert.equal(updated.json.result.url_type, 'upload');
  assert.equal(updated.json.result.size, 8);
  assert.equal(updated.json.result.hash, res.hash);
  assert.ok(await env.services.files.exists(await storageKey(res.id)));
  // A link describes its remote file; calling itself "upload" (as harvested CKAN records do) serves nothing of ours.
  const link = await api(env, 'resource_create', { package_id: 'victim-open', name: 'l', url: 'https://example.go.th/l.csv', format: 'CSV', url_type: 'upload', size: 10, hash: 'remote' }, { token: victim });
  assert.equal(link.status, 200, JSON.stringify(link.json));
  assert.equal(link.json.result.url, 'https://example.go.th/l.csv');
  assert.equal(link.json.result.size, 10, 'a link may describe its remote file');
  assert.equal(link.json.result.url_type, null, 'presented as the link it is');
  const page = await env.app.inject({ url: `/dataset/victim-open/resource/${link.json.result.id}/download/l.csv` });
  // As CKAN does for links (issue 12): a redirect to the link, never bytes of ours.
  assert.equal(page.statusCode, 302);
  assert.equal(page.headers.location, 'https://example.go.th/l.csv');
  assert.equal(page.body, '');
});

/** Raw HTTP/1.1 on one socket: both answers as the bytes arrive. */
async function twoRequestsOneConnection(port: number, first: string, second: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => {
      data += d;
    });
    sock.on('error', reject);
    sock.on('connect', () => {
      sock.write(`GET ${first} HTTP/1.1\r\nHost: x\r\n\r\n`);
      setTimeout(() => sock.write(`GET ${second} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 200);
    });
    sock.on('end', () => resolve(data));
    setTimeout(() => {
      sock.destroy();
      resolve(data);
    }, 3000);
  });
}

test(`[${STORE_KIND}] a wrong size in the database cannot split the response on a keep-alive connection`, async () => {
  const injected = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<h1>injected</h1>   ';
  const res = await uploadTo(victim, 'victim-open', 'split', `a,b\n${injected}`);
  await env.services.store.db.updateTable('resources').set({ size: 4 }).where('id', '=', res.id).execute();
  const address = await env.app.listen({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(address).port);
  const path1 = new URL(res.url).pathname;
  const raw = await twoRequestsOneConnection(port, path1, '/api/3');
  const answers = raw.split(/(?=HTTP\/1\.1 \d{3})/).filter((s) => s.startsWith('HTTP/1.1'));
  assert.match(answers[0]!, /content-length: 88\r\n/i, 'the length is the stored file\'s');
  assert.ok(answers.some((a) => a.includes('{"version":3}')), `the second answer is intact: ${JSON.stringify(raw.slice(-300))}`);
  assert.ok(!/HTTP\/1\.1 200 OK\r\nContent-Type: text\/html\r\nContent-Length: 20\r\n\r\n<h1>injected<\/h1>\s*HTTP/.test(raw) || raw.lastIndexOf('{"version":3}') > raw.indexOf('<h1>injected'));
  const last = answers[answers.length - 1]!;
  assert.match(last, /application\/json/, 'the last answer on the connection is the API\'s, not injected HTML');
});

test(`[${STORE_KIND}] not-found answers of resource actions are byte-identical for hidden and missing resources`, async () => {
  const secret = (await api(env, 'package_show', undefined, { query: { id: 'secret-ds' }, token: victim })).json.result;
  const hidden = secret.resources[0]?.id ?? (await uploadTo(victim, 'secret-ds', 'h', 'a\n')).id;
  const privateDs = await api(env, 'package_create', datasetInput('victim', { name: 'victim-private', private: true }), { token: victim });
  const privRes = await api(env, 'resource_create', { package_id: privateDs.json.result.id, name: 'p', url: 'https://example.go.th/p.csv', format: 'CSV' }, { token: victim });
  const missing = '0b0b0b0b-0000-4000-8000-000000000000';
  for (const lang of ['en', 'th']) {
    for (const token of [undefined, attacker]) {
      const body = async (id: string, action: string, write: boolean) => {
        const r = await env.app.inject({
          method: write ? 'POST' : 'GET',
          url: `/api/3/action/${action}${write ? '' : `?id=${id}`}`,
          headers: { 'accept-language': lang, ...(token ? { authorization: token } : {}), ...(write ? { 'content-type': 'application/json' } : {}) },
          payload: write ? JSON.stringify({ id, name: 'x', url: 'https://example.go.th/x' }) : undefined,
        });
        return `${r.statusCode} ${r.body}`;
      };
      for (const [action, write] of [['resource_show', false], ['resource_update', true], ['resource_patch', true], ['resource_delete', true]] as const) {
        if (write && !token) continue;
        const a = await body(missing, action, write);
        assert.match(a, /^404 /);
        assert.equal(await body(hidden, action, write), a, `${action} (${lang}) on a resource of a secret dataset`);
        assert.equal(await body(privRes.json.result.id, action, write), a, `${action} (${lang}) on a resource of a private dataset`);
      }
    }
  }
  const dlHidden = await env.app.inject({ url: `/dataset/x/resource/${hidden}/download/h.csv` });
  const dlMissing = await env.app.inject({ url: `/dataset/x/resource/${missing}/download/h.csv` });
  assert.equal(`${dlHidden.statusCode} ${dlHidden.body}`, `${dlMissing.statusCode} ${dlMissing.body}`);
});

test(`[${STORE_KIND}] multipart without a boundary or cut off answers 400, and leaves no file`, async () => {
  const before = storedFiles().length;
  const noBoundary = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: { authorization: victim, 'content-type': 'multipart/form-data' }, payload: '--X\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--X--\r\n' });
  assert.equal(noBoundary.statusCode, 400, noBoundary.body);
  const full = multipart(victim, { package_id: 'victim-open', name: 'cut' }, { name: 'cut.csv', body: 'x'.repeat(5000) });
  const cut = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: full.headers, payload: full.payload.subarray(0, full.payload.length - 2000) });
  assert.equal(cut.statusCode, 400, cut.body);
  assert.equal(typeof cut.json(), 'string', 'CKAN answers a bad request with a bare string');
  const badHeader = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', headers: full.headers, payload: '--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n' });
  assert.ok(badHeader.statusCode < 500, badHeader.body);
  assert.equal(storedFiles().length, before);
});

test(`[${STORE_KIND}] an upload sent to an action that takes none, or refused for rights, leaves no file`, async () => {
  const before = storedFiles().length;
  const r = await env.app.inject({ method: 'POST', url: '/api/3/action/package_patch', ...multipart(attacker, { id: 'attacker-open', notes: 'x' }, { name: 'a.csv', body: 'a' }) });
  assert.equal(r.statusCode, 409, r.body);
  const denied = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart(attacker, { package_id: 'victim-open', name: 'x' }, { name: 'a.csv', body: 'a' }) });
  assert.equal(denied.statusCode, 403, denied.body);
  const badToken = await env.app.inject({ method: 'POST', url: '/api/3/action/resource_create', ...multipart('not-a-token', { package_id: 'victim-open', name: 'x' }, { name: 'a.csv', body: 'a' }) });
  assert.ok(badToken.statusCode >= 400 && badToken.statusCode < 500, badToken.body);
  await new Promise((r) => setTimeout(r, 200)); // removal may finish just after the answer is sent
  assert.equal(storedFiles().length, before);
  void sys;
});

test(`[${STORE_KIND}] hostile multipart bodies (fixed seed): never a 5xx, never a file left behind`, async () => {
  let seed = 0x5eed;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const before = storedFiles().length;
  const base = multipart(victim, { package_id: 'victim-open', name: 'fuzz' }, { name: 'f.csv', body: 'a,b\n1,2\n'.repeat(50) });
  const mutations: Array<(b: Buffer) => { payload: Buffer; type?: string }> = [
    (b) => ({ payload: b.subarray(0, rand(b.length)) }),
    (b) => ({ payload: b, type: 'multipart/form-data; boundary=' }),
    (b) => ({ payload: b, type: 'multipart/form-data; boundary=Other' }),
    (b) => ({ payload: b, type: `multipart/form-data; boundary="${'x'.repeat(rand(200))}"` }),
    (b) => {
      const c = Buffer.from(b);
      // NUL in identifiers is finding 8's (a field-level answer in the actions), not the multipart reader's.
      for (let i = 0; i < 5; i++) c[rand(c.length)] = 1 + rand(255);
      return { payload: c };
    },
    (b) => ({ payload: Buffer.concat([b.subarray(0, rand(b.length)), Buffer.from('\r\n--XyZ\r\nContent-Disposition: form-data; name="upload"; filename="g.csv"\r\n\r\nmore\r\n--XyZ--\r\n')]) }),
    () => ({ payload: Buffer.from('--XyZ\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--XyZ--\r\n') }),
    () => ({ payload: Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="${'n'.repeat(5000)}"\r\n\r\nv\r\n--XyZ--\r\n`) }),
    () => ({ payload: Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="upload"; filename="a.csv"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name="upload"; filename="b.csv"\r\n\r\n2\r\n--XyZ--\r\n') }),
    () => ({ payload: Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="other"; filename="a.csv"\r\n\r\n1\r\n--XyZ--\r\n') }),
    () => ({ payload: Buffer.alloc(0) }),
  ];
  for (let i = 0; i < 300; i++) {
    const m = mutations[rand(mutations.length)]!(base.payload);
    const action = ['resource_create', 'resource_update', 'package_create', 'package_patch'][rand(4)]!;
    const r = await env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: victim, 'content-type': m.type ?? base.headers['content-type'] }, payload: m.payload });
    assert.ok(r.statusCode < 500, `case ${i} (${action}): ${r.statusCode} ${r.body.slice(0, 300)}`);
  }
  await new Promise((r) => setTimeout(r, 300));
  // Resources the fuzz managed to create legitimately keep their files; nothing else stays.
  const keys = new Set((await env.services.store.db.selectFrom('resources').select('storage_key').execute()).map((x) => x.storage_key).filter(Boolean));
  const left = storedFiles();
  assert.ok(left.length >= before);
  assert.deepEqual(left.filter((f) => !keys.has(f)), [], 'every file on disk belongs to a resource (no temporary or orphaned file)');
});
