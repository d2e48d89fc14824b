import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeUser, type TestEnv } from '../helpers.ts';
import { PageClient } from './client.ts';

const PASSWORD = 'correct horse battery';

function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  return Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
}

/** CSRF tokens: the pre-session token only without a session; cookie names and attributes per scheme. */
for (const site of ['http://127.0.0.1:5000', 'https://catalog.example.go.th'] as const) {
  const https = site.startsWith('https:');
  const pre = https ? '__Host-banchi_csrf' : 'banchi_csrf';
  const session = https ? '__Host-banchi_session' : 'banchi_session';

  describe(`CSRF on ${site}`, () => {
    let env: TestEnv;
    before(async () => {
      env = await testEnv({ siteUrl: site }, { web: true });
      await makeUser(env, 'editor1');
    });
    after(async () => env.close());

    it(`names the cookies ${pre} and ${session}${https ? ' (Secure, Path=/, no Domain)' : ' (no Secure on plain http)'}`, async () => {
      const c = new PageClient(env.app);
      const page = await c.get('/user/login');
      const preCookie = setCookies(page).find((s) => s.startsWith(`${pre}=`));
      assert.ok(preCookie, setCookies(page).join(' | '));
      const signedIn = await c.post('/user/login', { login: 'editor1', password: PASSWORD });
      assert.equal(signedIn.statusCode, 303);
      const sessionCookie = setCookies(signedIn).find((s) => s.startsWith(`${session}=`));
      assert.ok(sessionCookie);
      for (const cookie of [preCookie!, sessionCookie!]) {
        assert.match(cookie, /; Path=\/(;|$)/);
        assert.doesNotMatch(cookie, /Domain=/i);
        assert.match(cookie, /HttpOnly/);
        if (https) assert.match(cookie, /; Secure/);
        else assert.doesNotMatch(cookie, /Secure/);
      }
      if (https) assert.ok(!setCookies(page).some((s) => s.startsWith('banchi_csrf=')), 'no plain-named cookie over https');
      // Signing out clears the session cookie with the same attributes (a __Host- deletion needs Secure).
      await c.get('/user/logout');
      const out = await c.post('/user/logout', {});
      const cleared = setCookies(out).find((s) => s.startsWith(`${session}=`));
      assert.ok(cleared && /Expires=Thu, 01 Jan 1970|Max-Age=0/i.test(cleared));
      if (https) assert.match(cleared!, /; Secure/);
    });

    it('refuses a pre-sign-in token once the browser has a session (a planted cookie cannot forge a signed-in form)', async () => {
      // The attacker visits the sign-in page and learns the token of their own pre-session cookie…
      const attacker = new PageClient(env.app);
      await attacker.get('/user/login');
      const plantedValue = attacker.cookies.get(pre)!;
      const plantedToken = attacker.csrf();
      // …plants that cookie in the victim's browser, who then signs in.
      const victim = new PageClient(env.app);
      victim.cookies.set(pre, plantedValue);
      await victim.get('/user/login');
      assert.equal(victim.csrf(), plantedToken, 'before sign-in the planted cookie gives the attacker\'s token');
      assert.equal((await victim.post('/user/login', { login: 'editor1', password: PASSWORD })).statusCode, 303, 'accepted while there is no session');
      assert.ok(victim.cookies.has(session));
      // The forged form (sign-out here; any form alike) now fails: only the session's own token is accepted.
      const forged = await victim.post('/user/logout', {}, { csrf: plantedToken });
      assert.equal(forged.statusCode, 403);
      const forgedToken = await victim.post('/user/editor1/api-tokens', { name: 'forged' }, { csrf: plantedToken });
      assert.equal(forgedToken.statusCode, 403);
      // The session's token works.
      await victim.get('/user/logout');
      assert.notEqual(victim.csrf(), plantedToken);
      assert.equal((await victim.post('/user/logout', {})).statusCode, 303);
    });
  });
}
