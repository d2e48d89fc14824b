import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeUser, makeOrg, datasetInput, sys, STORE_KIND, type TestEnv } from '../helpers.ts';
import { call, type PageCtx } from '../../src/web/context.ts';
import { BadRequestError } from '../../src/actions/errors.ts';

/** Issue 7, findings 14 and 16 (part): no write on a safe method; JSONP only when enabled, and then strict; nosniff everywhere. */
let env: TestEnv;
let editor: string;

before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'nso');
  editor = (await makeUser(env, 'editor1', { org: 'nso' })).token;
  await sys(env, 'package_create', datasetInput('nso', { name: 'labour' }));
});
after(() => env.close());

async function tokenCount(): Promise<number> {
  const r = await env.services.store.db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

test(`[${STORE_KIND}] HEAD, GET and OPTIONS never run a write action (HEAD api_token_create minted tokens)`, async () => {
  const before = await tokenCount();
  for (const method of ['HEAD', 'GET', 'OPTIONS'] as const) {
    for (const prefix of ['/api/3/action/', '/api/action/']) {
      const r = await env.app.inject({ method, url: `${prefix}api_token_create?name=x`, headers: { authorization: editor } });
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${method} ${prefix} → ${r.statusCode}`);
    }
  }
  const del = await env.app.inject({ method: 'HEAD', url: '/api/3/action/package_delete?id=labour', headers: { authorization: editor } });
  assert.equal(del.statusCode, 400);
  assert.equal(await tokenCount(), before, 'no token was created');
  const show = await env.app.inject({ method: 'GET', url: '/api/3/action/package_show?id=labour' });
  assert.equal(show.statusCode, 200);
});

test(`[${STORE_KIND}] HEAD on a read action answers like GET, without a body`, async () => {
  const r = await env.app.inject({ method: 'HEAD', url: '/api/3/action/package_show?id=labour' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.body, '');
});

test(`[${STORE_KIND}] portal: a page answering GET or HEAD cannot run a write action`, async () => {
  const actor = (await import('../helpers.ts')).actorFor(env, 'editor1');
  for (const method of ['GET', 'HEAD']) {
    const p = { services: env.services, req: { method, ip: '' }, lang: 'en', actor: await actor } as unknown as PageCtx;
    await assert.rejects(call(p, 'api_token_create', { name: 'x' }), BadRequestError);
    await assert.rejects(call(p, 'package_delete', { id: 'labour' }), BadRequestError);
    assert.equal((await call(p, 'package_show', { id: 'labour' })).name, 'labour', 'reads still run');
  }
  const before = await tokenCount();
  const p = { services: env.services, req: { method: 'POST', ip: '' }, lang: 'en', actor: await actor } as unknown as PageCtx;
  await call(p, 'api_token_create', { name: 'x' });
  assert.equal(await tokenCount(), before + 1, 'a POST form may write');
  const signOut = await env.app.inject({ method: 'GET', url: '/user/logout' });
  assert.equal(signOut.statusCode, 200, 'GET /user/logout only shows the sign-out form');
});

test(`[${STORE_KIND}] JSONP is off by default: callback= answers plain JSON with nosniff`, async () => {
  const r = await env.app.inject({ url: '/api/3/action/package_show?id=labour&callback=steal' });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(JSON.parse(r.body).result.name, 'labour');
});

test(`[${STORE_KIND}] JSONP when enabled: GET only, anonymous only, strict name, comment-prefixed, application/javascript, nosniff`, async () => {
  const on = await testEnv({ jsonp: true });
  try {
    await makeOrg(on, 'nso');
    const { token } = await makeUser(on, 'ed', { org: 'nso' });
    await sys(on, 'package_create', datasetInput('nso', { name: 'secret', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
    await sys(on, 'package_create', datasetInput('nso', { name: 'open' }));
    const ok = await on.app.inject({ url: '/api/3/action/package_show?id=open&callback=jQuery123.cb' });
    assert.equal(ok.statusCode, 200);
    assert.match(String(ok.headers['content-type']), /^application\/javascript/);
    assert.equal(ok.headers['x-content-type-options'], 'nosniff');
    assert.ok(ok.body.startsWith('/**/jQuery123.cb({'), ok.body.slice(0, 40));
    const signedIn = await on.app.inject({ url: '/api/3/action/package_show?id=secret&callback=cb', headers: { authorization: token } });
    assert.ok(signedIn.statusCode === 403 || signedIn.statusCode === 404, `a JSONP answer never uses the caller's credentials (${signedIn.statusCode})`);
    assert.doesNotMatch(signedIn.body, /"success":true/);
    for (const bad of ['alert(1)', 'a-b', '1a', 'a..b', 'x'.repeat(300), '']) {
      const r = await on.app.inject({ url: `/api/3/action/package_show?id=open&callback=${encodeURIComponent(bad)}` });
      assert.equal(r.statusCode, 400, `callback ${JSON.stringify(bad)} → ${r.statusCode}`);
      assert.match(String(r.headers['content-type']), /^application\/json/);
    }
  } finally {
    await on.close();
  }
});

test(`[${STORE_KIND}] X-Content-Type-Options: nosniff on every API answer and on portal pages`, async () => {
  for (const [method, url] of [['GET', '/api/3/action/package_show?id=labour'], ['GET', '/api/3/action/package_show?id=nope'], ['GET', '/api/3/action/nope'], ['GET', '/api/3'], ['GET', '/api/nothing'], ['POST', '/api/3/action/package_create'], ['GET', '/api/openapi.json'], ['GET', '/'], ['GET', '/dataset/nope'], ['GET', '/dataset/%FF']] as const) {
    const r = await env.app.inject({ method, url, headers: method === 'POST' ? { 'content-type': 'application/xml' } : {}, payload: method === 'POST' ? '<a/>' : undefined });
    assert.equal(r.headers['x-content-type-options'], 'nosniff', `${method} ${url} (${r.statusCode})`);
  }
});
