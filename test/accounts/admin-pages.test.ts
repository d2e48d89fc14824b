import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, makeUser, api, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { ValidationError } from '../../src/actions/errors.ts';

let env: TestEnv;
let root: PageClient;
const secrets = new Map<string, string>();
before(async () => {
  env = await testEnv({}, { web: true });
  await makeUser(env, 'pageroot', { sysadmin: true });
  root = new PageClient(env.app);
  await root.signInWith2fa('pageroot', 'correct horse battery', secrets);
});
after(async () => env.close());

test(`[${STORE_KIND}] a sysadmin edits, deactivates and reactivates a user and issues a reset link on the admin pages`, async () => {
  const target = await makeUser(env, 'staff1');
  const them = new PageClient(env.app);
  await them.signIn('staff1', 'correct horse battery');
  assert.equal((await them.get('/user/staff1')).statusCode, 200);

  const list = await root.get('/ckan-admin/users');
  assert.match(list.body, /href="\/ckan-admin\/users\/staff1"/);
  const edit = await root.get('/ckan-admin/users/staff1');
  assert.equal(edit.statusCode, 200);
  const bad = await root.post('/ckan-admin/users/staff1', { fullname: 'สมหมาย', email: 'not-an-email', about: '' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /id="err-email"/);
  const saved = await root.post('/ckan-admin/users/staff1', { fullname: 'สมหมาย ขยันดี', email: 'staff1@example.go.th', about: 'เจ้าหน้าที่' });
  assert.equal(saved.statusCode, 303);
  assert.equal((await sys(env, 'user_show', { id: 'staff1' })).fullname, 'สมหมาย ขยันดี');

  await root.get('/ckan-admin/users/staff1');
  const link = await root.post('/ckan-admin/users/staff1/reset-link', {});
  assert.equal(link.statusCode, 200);
  assert.equal(link.headers['cache-control'], 'no-store');
  const url = /id="reset-url"[^>]*value="([^"]+)"/.exec(link.body)?.[1];
  assert.match(String(url), /\/user\/reset\/[A-Za-z0-9_-]{40,}$/);
  assert.equal((await new PageClient(env.app).get(new URL(url!).pathname)).statusCode, 200, 'the link works');

  await root.get('/ckan-admin/users/staff1');
  const off = await root.post('/ckan-admin/users/staff1/deactivate', {});
  assert.equal(off.statusCode, 303);
  assert.notEqual((await them.get('/dashboard')).statusCode, 200, 'their session stopped at once');
  assert.equal((await api(env, 'user_show', undefined, { token: target.token, query: { id: 'staff1' } })).status, 403, 'their token stopped at once');
  assert.equal((await new PageClient(env.app).get(new URL(url!).pathname)).statusCode, 410, 'and the reset link');
  const page = await root.get('/ckan-admin/users/staff1');
  assert.match(page.body, /action="\/ckan-admin\/users\/staff1\/reactivate"/);
  assert.match((await root.get('/ckan-admin/users?q=staff1')).body, /badge-deleted/);
  const on = await root.post('/ckan-admin/users/staff1/reactivate', {});
  assert.equal(on.statusCode, 303);
  assert.equal((await new PageClient(env.app).signIn('staff1', 'correct horse battery')).statusCode, 303);

  // Not for others.
  assert.equal((await them.get('/ckan-admin/users/pageroot')).statusCode, 403);
});

test(`[${STORE_KIND}] audit_search filters by actor, action prefix, object, dates and text, pages, and exports CSV`, async () => {
  const { actor } = await makeUser(env, 'auditee');
  await as(env, actor, 'user_update', { id: 'auditee', fullname: '=HYPERLINK("x")' });
  const mine = await sys(env, 'audit_search', { actor: 'auditee' });
  assert.equal(mine.count, 1);
  assert.equal(mine.results[0].action, 'user_update');
  const created = await sys(env, 'audit_search', { action: 'user_*', object_id: mine.results[0].object_id });
  assert.deepEqual(created.results.map((r: any) => r.action), ['user_update', 'user_create']);
  const paged = await sys(env, 'audit_search', { action: 'user_*', object_id: mine.results[0].object_id, limit: 1, offset: 1 });
  assert.equal(paged.count, 2);
  assert.equal(paged.results[0].action, 'user_create');
  const today = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
  assert.ok((await sys(env, 'audit_search', { from: today, to: today })).count >= 3);
  assert.equal((await sys(env, 'audit_search', { to: '2000-01-01' })).count, 0);
  assert.equal((await sys(env, 'audit_search', { q: 'auditee', action: 'user_create' })).count, 1);
  await assert.rejects(sys(env, 'audit_search', { from: 'yesterday' }), (e: unknown) => e instanceof ValidationError && 'from' in { ...e.errors });
  await assert.rejects(as(env, actor, 'audit_search', {}), /Authorization/);
  assert.equal((await api(env, 'audit_search', undefined, { query: { actor: 'auditee' } })).status, 403);

  const pageRes = await root.get('/ckan-admin/audit?actor=auditee');
  assert.equal(pageRes.statusCode, 200);
  assert.match(pageRes.body, /พบ 1 รายการ/);
  assert.match(pageRes.body, /href="\/ckan-admin\/audit.csv\?actor=auditee"/);
  const badDate = await root.get('/ckan-admin/audit?from=31/12/2567');
  assert.equal(badDate.statusCode, 400);
  assert.match(badDate.body, /id="err-from"/);
  const csv = await root.get('/ckan-admin/audit.csv?object_type=user&q=auditee');
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.equal(lines[0], 'seq,at,actor_id,actor_name,action,object_type,object_id,ip,detail,leaf_v,leaf');
  assert.equal(lines.length, 3, csv.body);
  assert.match(lines[1]!, /,auditee,user_update,user,/);
  assert.equal((await new PageClient(env.app).get('/ckan-admin/audit')).statusCode, 403);
});

test(`[${STORE_KIND}] revisiting the 2FA set-up page with 2FA on says so (no 400), and the header says where the person is in signing in`, async () => {
  const again = await root.get('/user/2fa/setup');
  assert.equal(again.statusCode, 200);
  assert.match(again.body, /เปิดใช้การยืนยันตัวตนสองขั้นตอนแล้ว/);
  assert.doesNotMatch(again.body, /totp-secret/);

  await makeUser(env, 'midway', { sysadmin: true });
  const c = new PageClient(env.app);
  const step = await c.signIn('midway', 'correct horse battery');
  assert.equal(step.headers.location, '/user/2fa/setup');
  const setup = await c.get('/user/2fa/setup');
  const header = /<header class="site-header">([\s\S]*?)<\/header>/.exec(setup.body)![1]!;
  assert.doesNotMatch(header, />เข้าสู่ระบบ<\/a>/);
  assert.match(header, /กำลังเข้าสู่ระบบ: midway/);
});
