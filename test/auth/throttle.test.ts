import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ANONYMOUS } from '../../src/access/actor.ts';
import { runAction } from '../../src/actions/registry.ts';
import { ValidationError } from '../../src/actions/errors.ts';
import { THROTTLE } from '../../src/actions/auth/throttle.ts';
import { makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';

const PASSWORD = 'correct horse battery';

/** Sign-in limits per address, per (login, address) and per account, over the API and as actions. */
describe('sign-in throttling', () => {
  let env: TestEnv;
  const login = (ip: string, input: Record<string, unknown>) => runAction<any>(env.services, 'user_login', input, { actor: ANONYMOUS, ip }).catch((e) => e);
  /** user_login over HTTP from one address: status and the exact body. */
  const apiLogin = async (ip: string, name: string, password: string) => {
    const res = await env.app.inject({ method: 'POST', url: '/api/3/action/user_login', remoteAddress: ip, headers: { 'content-type': 'application/json', 'accept-language': 'en' }, payload: JSON.stringify({ login: name, password }) });
    return { status: res.statusCode, body: res.body };
  };

  before(async () => {
    env = await testEnv();
    await makeUser(env, 'alice');
    await makeUser(env, 'plain');
    await makeUser(env, 'root', { sysadmin: true });
    await sys(env, 'user_create', { name: 'spray-target', email: 'spray@example.go.th', password: PASSWORD });
    // The sysadmin has 2FA on (set directly: the factor itself is tested elsewhere).
    await env.services.store.db.updateTable('users').set({ totp_enabled: true, totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }).where('name', '=', 'root').execute();
  });
  after(() => env.close());

  it('caps password spraying per address on the API: many accounts, one address, then even a right password waits', async () => {
    const ip = '198.51.100.10';
    for (let i = 0; i < THROTTLE.address.max; i++) {
      const r = await apiLogin(ip, `guess-${i}`, 'Password123!');
      assert.equal(r.status, 409);
    }
    const right = await apiLogin(ip, 'spray-target', PASSWORD);
    assert.equal(right.status, 409, 'the address is locked for every account');
    assert.match(right.body, /Try again at \d\d:\d\d/);
    // Another address is not affected.
    assert.equal((await apiLogin('198.51.100.11', 'spray-target', PASSWORD)).status, 200);
    // Kept in the database, where every process of the catalog reads it.
    const rows = (await sql<{ key: string }>`SELECT key FROM auth_throttle WHERE locked_until > now()`.execute(env.services.store.db)).rows;
    assert.ok(rows.some((r) => r.key === `addr:${ip}`));
  });

  it('answers an unknown account exactly as an existing one: wrong password and lock alike', async () => {
    const ip = '198.51.100.20';
    const seen: Array<[{ status: number; body: string }, { status: number; body: string }]> = [];
    for (let i = 0; i < THROTTLE.pair.max + 1; i++) {
      // Interleaved, so both locks start within the same minute and say the same time.
      const known = await apiLogin(ip, 'alice', `wrong-password-${i}`);
      const unknown = await apiLogin(ip, 'no-such-user', `wrong-password-${i}`);
      seen.push([known, unknown]);
    }
    for (const [k, u] of seen) assert.deepEqual(k, u);
    assert.match(seen[0]![0].body, /Wrong user name/);
    assert.match(seen[THROTTLE.pair.max - 1]![0].body, /locked.*Try again at/);
    assert.match(seen[THROTTLE.pair.max]![1].body, /locked.*Try again at/, 'an unknown login is locked too');
    // The lock holds even for the right password from that address…
    assert.match((await apiLogin(ip, 'alice', PASSWORD)).body, /locked/);
    // …but not for the owner elsewhere: failures from one address never lock the account everywhere.
    assert.equal((await apiLogin('198.51.100.21', 'alice', PASSWORD)).status, 200);
  });

  it('cannot keep a sysadmin with 2FA out: failures from many addresses leave the owner\'s address open', async () => {
    const per = THROTTLE.pair.max;
    const addresses = Math.ceil(THROTTLE.account.max / per) + 1;
    for (let a = 0; a < addresses; a++) {
      for (let i = 0; i < per; i++) await login(`192.0.2.${a + 1}`, { login: 'root', password: `attack-${a}-${i}` });
    }
    const locked = await login('192.0.2.1', { login: 'root', password: PASSWORD });
    assert.ok(locked instanceof ValidationError && /locked/.test(locked.errors.login![0]!.en), 'the attacking address is locked');
    const owner = await login('203.0.113.99', { login: 'root', password: PASSWORD });
    assert.equal(owner.next, 'totp', 'the owner goes on to the second factor');
  });

  it('without 2FA, many failures from all addresses lock the account briefly (the slower, global limit)', async () => {
    const per = THROTTLE.pair.max - 1; // stay below the pair lock
    const addresses = Math.ceil(THROTTLE.account.max / per);
    for (let a = 0; a < addresses; a++) {
      for (let i = 0; i < per; i++) await login(`10.9.${a}.1`, { login: 'plain', password: `attack-${a}-${i}` });
    }
    const e = await login('203.0.113.98', { login: 'plain', password: PASSWORD });
    assert.ok(e instanceof ValidationError, 'locked from a fresh address too');
    const row = (await sql<{ locked_until: Date }>`SELECT locked_until FROM auth_throttle WHERE key LIKE 'acct:%' AND locked_until > now()`.execute(env.services.store.db)).rows[0];
    const minutes = (new Date(row!.locked_until).getTime() - Date.now()) / 60000;
    assert.ok(minutes > 0 && minutes <= THROTTLE.account.lockMs / 60000, `a short lock (${minutes} min)`);
  });

  it('a hostile login (NUL, control characters, very long) gets a 409, never a 500; a long one is an unknown account and counted', async () => {
    const ip = '198.51.100.40';
    const reference = await apiLogin('198.51.100.41', 'no-such-user', 'some password');
    // Control characters are refused by the input guard of every action, before any account is looked up.
    for (const name of ['a\u0000b', 'root\u0000', 'x@y\u0000.th', '\u0001\u007f']) {
      const r = await apiLogin(ip, name, 'some password');
      assert.equal(r.status, 409, JSON.stringify(name));
      assert.match(JSON.parse(r.body).error.login[0], /NUL|control/i);
    }
    const long = await apiLogin(ip, 'ก'.repeat(5000), 'some password');
    assert.equal(long.status, 409);
    assert.equal(long.body, reference.body, 'the same answer as any unknown account');
    const rows = (await sql<{ failures: number }>`SELECT failures FROM auth_throttle WHERE key = ${`addr:${ip}`}`.execute(env.services.store.db)).rows;
    assert.equal(rows[0]?.failures, 1);
  });

  it('counts wrong 2FA codes against the address', async () => {
    const ip = '198.51.100.30';
    await sys(env, 'user_create', { name: 'twofa', email: 'twofa@example.go.th', password: PASSWORD });
    await env.services.store.db.updateTable('users').set({ totp_enabled: true, totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }).where('name', '=', 'twofa').execute();
    // Use up most of the address's allowance with wrong passwords, then wrong codes finish it.
    for (let i = 0; i < THROTTLE.address.max - 2; i++) await login(ip, { login: `nobody-${i}`, password: 'x-x-x-x-x-x' });
    const first = await login(ip, { login: 'twofa', password: PASSWORD });
    assert.equal(first.next, 'totp');
    const verify = (code: string) => runAction<any>(env.services, 'user_totp_verify', { ticket: first.ticket, code }, { actor: ANONYMOUS, ip }).catch((e) => e);
    await verify('000000');
    const second = await verify('000001');
    assert.ok(second instanceof ValidationError && /locked/.test(second.errors.code![0]!.en), 'the address is locked by wrong codes');
  });
  it('counts an IPv6 /64 as one address (one host holds all of it), and an IPv4-mapped address as its IPv4', async () => {
    await makeUser(env, 'v6user');
    await makeUser(env, 'v4user');
    // Five guesses at one account, each from another address of the same /64: the pair is locked.
    for (let i = 1; i <= THROTTLE.pair.max; i++) await login(`2001:db8:aa:bb::${i.toString(16)}`, { login: 'v6user', password: `wrong-${i}` });
    const right = await login('2001:db8:aa:bb:ffff:1:2:3', { login: 'v6user', password: PASSWORD });
    assert.ok(right instanceof ValidationError && /locked/.test(right.errors.login![0]!.en), 'another address of the /64 is locked too');
    assert.equal((await login('2001:db8:aa:bc::1', { login: 'v6user', password: PASSWORD })).next, 'done', 'the next /64 is not');
    for (let i = 1; i <= THROTTLE.pair.max; i++) await login('::ffff:203.0.113.7', { login: 'v4user', password: `wrong-${i}` });
    const v4 = await login('203.0.113.7', { login: 'v4user', password: PASSWORD });
    assert.ok(v4 instanceof ValidationError && /locked/.test(v4.errors.login![0]!.en), 'the mapped address is the IPv4 one');
  });
});
