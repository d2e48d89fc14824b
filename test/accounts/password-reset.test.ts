import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeUser, api, STORE_KIND, type TestEnv } from '../helpers.ts';
import { startWorkers, type Workers } from '../../src/jobs/worker.ts';
import { PageClient } from '../web/client.ts';
import { startInbox, type Inbox } from '../mail/inbox.ts';
import { RESET_LIMITS } from '../../src/actions/auth/reset.ts';

/** Forgot password end to end: the form, a real SMTP server on loopback, the link, the new password. */
let mail: Inbox;
let env: TestEnv;
let workers: Workers;
const secrets = new Map<string, string>();

before(async () => {
  mail = await startInbox();
  env = await testEnv({ smtpUrl: mail.url, mailFrom: 'noreply@catalog.example.go.th', siteUrl: 'http://127.0.0.1:5000' }, { web: true });
  workers = startWorkers(env.services, 100);
});
after(async () => {
  await workers.stop();
  await env.close();
  await mail.close();
});

const inbox = { get length() { return mail.messages.length; }, slice: (n: number) => mail.messages.slice(n) };
const mailFor = (address: string, from: number) => mail.mailFor(address, from);

function linkIn(text: string): string {
  const m = /http:\/\/127\.0\.0\.1:5000(\/user\/reset\/[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(m, text);
  return m[1]!;
}

test(`[${STORE_KIND}] forgot password: same answer for every login, a Thai mail arrives, the link works once, 2FA is still asked`, async () => {
  const { token } = await makeUser(env, 'somying', { sysadmin: true });
  const c = new PageClient(env.app);
  // The sysadmin sets up 2FA once (sign-in requires it); its secret is kept for later.
  await c.signInWith2fa('somying', 'correct horse battery', secrets);

  const login = await new PageClient(env.app).get('/user/login');
  assert.match(login.body, /<a href="\/user\/reset">ลืมรหัสผ่าน\?<\/a>/);

  const visitor = new PageClient(env.app);
  await visitor.get('/user/reset');
  const before = inbox.length;
  const known = await visitor.post('/user/reset', { login: 'somying@example.go.th' });
  await visitor.get('/user/reset');
  const unknown = await visitor.post('/user/reset', { login: 'nobody@example.go.th' });
  assert.equal(known.statusCode, 200);
  assert.equal(unknown.statusCode, 200);
  const notice = (b: string) => /role="status"><p>([^<]+)</.exec(b)?.[1];
  assert.equal(notice(known.body), notice(unknown.body), 'no account oracle');
  assert.match(notice(known.body)!, /หากชื่อผู้ใช้หรืออีเมลนี้มีบัญชีอยู่/);

  const text = await mailFor('somying@example.go.th', before);
  assert.match(text, /มีคำขอตั้งรหัสผ่านใหม่สำหรับบัญชี somying/);
  assert.match(text, /30 นาที/);
  const link = linkIn(text);
  const row = await env.services.store.db.withTables<{ password_resets: { token_hash: string } }>().selectFrom('password_resets').select('token_hash').executeTakeFirstOrThrow();
  assert.ok(!row.token_hash.includes(link.split('/').pop()!), 'only the hash is stored');

  const form = await visitor.get(link);
  assert.equal(form.statusCode, 200);
  assert.equal(form.headers['referrer-policy'], 'no-referrer');
  const weak = await visitor.post(link, { new_password: 'aaaaaaaaaa', confirm: 'aaaaaaaaaa' });
  assert.equal(weak.statusCode, 400);
  assert.match(weak.body, /id="err-new_password"/);
  const done = await visitor.post(link, { new_password: 'แมวส้มนอนบนหลังคา', confirm: 'แมวส้มนอนบนหลังคา', revoke_tokens: 'true' });
  assert.equal(done.statusCode, 303);
  assert.equal(done.headers.location, '/user/login');
  assert.match((await visitor.follow()).body, /ตั้งรหัสผ่านใหม่แล้ว กรุณาเข้าสู่ระบบด้วยรหัสผ่านใหม่/);

  // Every session ended and the API token was revoked.
  const home = await c.get('/dashboard');
  assert.notEqual(home.statusCode, 200);
  assert.equal((await api(env, 'user_show', undefined, { token, query: { id: 'somying' } })).status, 403);

  // The link works once.
  const again = await visitor.get(link);
  assert.equal(again.statusCode, 410);
  assert.match(again.body, /ลิงก์ตั้งรหัสผ่านใหม่นี้หมดอายุ ถูกใช้ไปแล้ว/);
  await visitor.get('/user/reset');
  const replay = await visitor.post(link, { new_password: 'another strong phrase here', confirm: 'another strong phrase here' });
  assert.equal(replay.statusCode, 410);

  // The new password works, and the second factor is still asked.
  const next = await new PageClient(env.app).signIn('somying', 'แมวส้มนอนบนหลังคา');
  assert.equal(next.headers.location, '/user/2fa/verify');
  const old = await new PageClient(env.app).signIn('somying', 'correct horse battery');
  assert.equal(old.statusCode, 400);
});

test(`[${STORE_KIND}] an expired link fails cleanly; a new request voids the earlier link`, async () => {
  await makeUser(env, 'somsak');
  const before = inbox.length;
  await sys(env, 'user_password_reset_request', { login: 'somsak' });
  const first = linkIn(await mailFor('somsak@example.go.th', before));
  const mid = inbox.length;
  await sys(env, 'user_password_reset_request', { login: 'somsak' });
  const second = linkIn(await mailFor('somsak@example.go.th', mid));
  const c = new PageClient(env.app);
  assert.equal((await c.get(first)).statusCode, 410, 'the earlier link stopped working');
  assert.equal((await c.get(second)).statusCode, 200);
  await env.services.store.db.withTables<{ password_resets: { expires_at: Date; used_at: Date | null } }>().updateTable('password_resets').set({ expires_at: new Date(Date.now() - 1000) }).where('used_at', 'is', null).execute();
  const expired = await c.get(second);
  assert.equal(expired.statusCode, 410);
  assert.match(expired.body, /href="\/user\/reset"/);
  assert.equal((await c.get('/user/reset/not-a-token')).statusCode, 410);
  const api1 = await api(env, 'user_password_reset', { token: second.split('/').pop(), new_password: 'another strong phrase here' });
  assert.equal(api1.status, 409);
  assert.ok(api1.json.error.token);
});

test(`[${STORE_KIND}] requests are limited per address, and mails per login, with the same answer`, async () => {
  await makeUser(env, 'limited');
  const ip = '10.9.9.9';
  const ask = (login: string) => env.app.inject({ method: 'POST', url: '/api/3/action/user_password_reset_request', remoteAddress: ip, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ login }) });
  const before = inbox.length;
  const answers = [];
  for (let i = 0; i < RESET_LIMITS.account + 2; i++) answers.push(await ask('limited'));
  assert.ok(answers.every((r) => r.statusCode === 200));
  assert.equal(new Set(answers.map((r) => r.body)).size, 1, 'a dropped mail answers alike');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(inbox.slice(before).filter((m) => m.to.includes('limited@example.go.th')).length, RESET_LIMITS.account);
  for (let i = answers.length; i < RESET_LIMITS.address; i++) assert.equal((await ask(`x${i}`)).statusCode, 200);
  const blocked = await ask('limited');
  assert.equal(blocked.statusCode, 409);
  assert.match(blocked.json().error.login[0], /ลองใหม่เวลา/);
});

test(`[${STORE_KIND}] a sysadmin issues a reset link: shown once, optionally mailed, audited; others may not`, async () => {
  const { actor } = await makeUser(env, 'root9', { sysadmin: true });
  await makeUser(env, 'clerk');
  const before = inbox.length;
  const { runAction } = await import('../../src/actions/registry.ts');
  const issued = await runAction<any>(env.services, 'user_password_reset_issue', { id: 'clerk', mail: true }, { actor });
  assert.match(issued.url, /^http:\/\/127\.0\.0\.1:5000\/user\/reset\//);
  const text = await mailFor('clerk@example.go.th', before);
  assert.match(text, /ผู้ดูแลระบบได้ออกลิงก์/);
  assert.equal(linkIn(text), issued.url.replace('http://127.0.0.1:5000', ''));
  const audit = await env.services.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'user_password_reset_issue').executeTakeFirstOrThrow();
  assert.equal(audit.actor_name, 'root9');
  const { actor: clerk } = await makeUser(env, 'clerk2');
  await assert.rejects(runAction(env.services, 'user_password_reset_issue', { id: 'clerk' }, { actor: clerk }), /Authorization|not authorized|ไม่มีสิทธิ์/i);
});
