import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, api, makeUser, makeOrg, datasetInput, STORE_KIND, type TestEnv } from '../helpers.ts';
import { referencedKeys, sweepFiles } from '../../src/files/lifecycle.ts';

/** Two callers replacing one resource's file at once: every stored file is one a row refers to. */
let env: TestEnv;
let token: string;

before(async () => {
  env = await testEnv();
  await makeOrg(env, 'nso');
  token = (await makeUser(env, 'racer', { org: 'nso' })).token;
  assert.equal((await api(env, 'package_create', datasetInput('nso', { name: 'race' }), { token })).status, 200);
});
after(() => env.close());

function multipart(fields: Record<string, string>, body: string) {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push('--B', `Content-Disposition: form-data; name="${k}"`, '', v);
  parts.push('--B', 'Content-Disposition: form-data; name="upload"; filename="f.csv"', 'Content-Type: text/csv', '', body, '--B--', '');
  return { method: 'POST' as const, headers: { authorization: token, 'content-type': 'multipart/form-data; boundary=B' }, payload: parts.join('\r\n') };
}

async function orphans(): Promise<string[]> {
  const stored: string[] = [];
  for await (const e of env.services.files.list()) if (!e.temp) stored.push(e.key);
  const used = await referencedKeys(env.services.store.db, stored);
  return stored.filter((k) => !used.has(k));
}

test(`[${STORE_KIND}] concurrent resource_update calls that each replace the file leave no orphan`, async () => {
  const c = await env.app.inject({ url: '/api/3/action/resource_create', ...multipart({ package_id: 'race', name: 'v0' }, 'a\n0') });
  assert.equal(c.statusCode, 200, c.body);
  const id = c.json().result.id;
  for (let round = 0; round < 6; round++) {
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((who) => env.app.inject({ url: `/api/3/action/${who === 'c' ? 'resource_patch' : 'resource_update'}`, ...multipart({ id, name: `${who}${round}` }, `a\n${who}${round}`) })),
    );
    for (const a of answers) assert.equal(a.statusCode, 200, a.body);
  }
  // Releases run just after each commit: wait for them (a busy machine), never for an orphan that stays.
  let left = await orphans();
  for (let i = 0; i < 50 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = await orphans();
  }
  assert.deepEqual(left, []);
  const key = (await env.services.store.db.selectFrom('resources').select('storage_key').where('id', '=', id).executeTakeFirstOrThrow()).storage_key!;
  assert.ok(await env.services.files.exists(key), 'the file the row names is there');
});

test(`[${STORE_KIND}] the hourly sweep removes a stored file no row refers to once past its grace`, async () => {
  const upload = await env.services.files.put((await import('node:stream')).Readable.from([Buffer.from('x')]), 100, 'x.csv');
  const key = upload.claim();
  await env.services.files.commit(key);
  assert.ok((await orphans()).includes(key));
  await sweepFiles(env.services);
  assert.ok(await env.services.files.exists(key), 'young: a row may still be on its way');
  await sweepFiles(env.services, { now: Date.now() + 2 * 3600_000 });
  assert.equal(await env.services.files.exists(key), false);
});
