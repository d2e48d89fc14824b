import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { datasetInput, makeOrg, makeUser, sys, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';

/** The verification page an auditor reads: intact, or the first problem named by row and kind in Thai and English. */
let env: TestEnv;
let admin: PageClient;
before(async () => {
  env = await testEnv({}, { web: true });
  await makeOrg(env, 'nso');
  for (let i = 0; i < 3; i++) await sys(env, 'package_create', datasetInput('nso'));
  await makeUser(env, 'auditor', { sysadmin: true });
  admin = new PageClient(env.app);
  await admin.signInWith2fa('auditor', 'correct horse battery', new Map());
});
after(() => env.close());

test(`[${STORE_KIND}] the audit verification page says what it checked, and names an edited row, its kind and why`, async () => {
  const ok = await admin.get('/ckan-admin/audit/verify');
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /ครบถ้วน ไม่พบการแก้ไข/);
  assert.match(ok.body, /แถวที่ตรวจ<\/th><td>\d+/);
  assert.match((await admin.get('/ckan-admin')).body, /href="\/ckan-admin\/audit\/verify"/);

  const victim = Number((await env.services.store.db.selectFrom('audit_log').select('seq').where('action', '=', 'package_create').orderBy('seq').limit(1).executeTakeFirstOrThrow()).seq);
  await sql`UPDATE audit_log SET detail = detail || '{"name":"someone-else"}' WHERE seq = ${victim}`.execute(env.services.store.db);
  const bad = await admin.get('/ckan-admin/audit/verify');
  assert.equal(bad.statusCode, 409);
  assert.match(bad.body, /role="alert"/);
  assert.match(bad.body, new RegExp(`แถวที่ ${victim}\\b`));
  assert.match(bad.body, /เนื้อหาของแถวถูกแก้ไข/);
  assert.match(bad.body, new RegExp(`row ${victim}: its content does not match`));

  const outsider = new PageClient(env.app);
  assert.notEqual((await outsider.get('/ckan-admin/audit/verify')).statusCode, 200);
});
