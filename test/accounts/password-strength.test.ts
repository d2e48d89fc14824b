import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { passwordProblem } from '../../src/access/passwords.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import { testEnv, sys, as, makeUser, actorFor, type TestEnv } from '../helpers.ts';

let env: TestEnv;
before(async () => {
  env = await testEnv();
});
after(async () => env.close());

test('weak passwords are refused by strength, not only length; Thai passwords work', () => {
  const who = { name: 'somchai', email: 'somchai.j@nso.go.th', fullname: 'สมชาย ใจดี' };
  for (const weak of ['aaaaaaaaaa', '1234567890', '0987654321', 'abcdefghij', 'qwertyuiop', 'abcabcabcabc', 'password2024!', 'P@ssw0rd1234', 'thailand2024', 'สวัสดีครับ123', 'ฟหกดเ้่าสวง', 'กขฃคฅฆงจฉช', 'somchai2567!', 'somchai.j@nso.go.th', 'สมชายสมชาย12']) {
    assert.ok(passwordProblem(weak, who), `${weak} should be refused`);
  }
  for (const ok of ['correct horse battery', 'รหัสผ่านของฉันยาวมาก', 'ช้างเผือกบินข้ามทุ่ง', 'Tr0ub4dor&3x!', 'somchai likes mango sticky rice']) {
    assert.equal(passwordProblem(ok, who), null, `${ok} should pass`);
  }
});

test('user_create, password change and the CLI path give field-level Thai and English messages', async () => {
  await assert.rejects(sys(env, 'user_create', { name: 'weak1', email: 'weak1@example.go.th', password: 'aaaaaaaaaa' }), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    const errors = { ...e.errors };
    assert.deepEqual(Object.keys(errors), ['password']);
    assert.match(errors.password[0].th, /เดาง่าย/);
    assert.match(errors.password[0].en, /too easy to guess/);
    return true;
  });
  await assert.rejects(sys(env, 'user_create', { name: 'weak2', email: 'weak2@example.go.th', password: 'weak2weak2weak2' }), ValidationError);
  await makeUser(env, 'strong1');
  const actor = await actorFor(env, 'strong1');
  await assert.rejects(as(env, { ...actor, twoFactor: false } as never, 'user_password_change', { old_password: 'correct horse battery', new_password: '1111111111' }), (e: unknown) => e instanceof ValidationError && 'new_password' in { ...e.errors });
  await assert.rejects(as(env, actor, 'user_password_change', { old_password: 'correct horse battery', new_password: 'strong1strong1!' }), (e: unknown) => e instanceof ValidationError && 'new_password' in { ...e.errors });
  const ok = await as(env, actor, 'user_password_change', { old_password: 'correct horse battery', new_password: 'แมวส้มนอนบนหลังคา' });
  assert.equal(ok.next, 'done');
});

test('banchi user create refuses a weak password in one line, in Thai', { timeout: 60_000 }, async () => {
  const { cliEnv } = await import('../cli/cli-env.ts');
  const cli = await cliEnv();
  try {
    const r = await cli.run(['user', 'create', 'weakcli', '--email', 'weakcli@example.go.th', '--password-stdin'], { input: 'aaaaaaaaaa\n' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^banchi: password: รหัสผ่านเดาง่ายเกินไป/m);
    const good = await cli.run(['user', 'create', 'goodcli', '--email', 'goodcli@example.go.th', '--password-stdin'], { input: 'ช้างเผือกบินข้ามทุ่ง\n' });
    assert.equal(good.code, 0, good.stderr);
    const link = await cli.run(['user', 'reset-link', 'goodcli'], { lang: 'en_US.UTF-8' });
    assert.equal(link.code, 0, link.stderr);
    assert.match(link.stdout, /^password reset link for goodcli \(single use, expires .+\): http:\/\/.+\/user\/reset\/[A-Za-z0-9_-]{40,}$/m);
  } finally {
    await cli.close();
  }
});
