import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeUser, type TestEnv } from '../helpers.ts';
import { safeLocal } from '../../src/web/redirect-target.ts';
import { PageClient } from './client.ts';

const PASSWORD = 'correct horse battery';
const SITE = 'http://127.0.0.1:5000';

/** Targets that a hand-written prefix check lets through but a browser sends to another origin. */
const HOSTILE = [
  '/\t/evil.example', '/\n/evil.example', '/\r/evil.example', '/ /evil.example', '/\x0b/evil.example', '/\x00/evil.example',
  '/\\evil.example', '/\\\\evil.example', '\\/evil.example', '//evil.example', '///evil.example', '/\t\\evil.example',
  'https://evil.example/', 'javascript:alert(1)', 'http:evil.example', '  //evil.example', '\t//evil.example', '/%0a/x',
  'http://127.0.0.1:5000@evil.example/', 'http://user:pass@127.0.0.1:5000/x',
];

/** Where a browser goes for this Location header (it strips tabs and newlines and reads \ as /, as the URL parser does). */
function browserTarget(location: string): URL {
  return new URL(location, SITE);
}

describe('redirect targets (came_from, next) stay on the site', () => {
  it('safeLocal: hostile targets fall back; local ones come back as parsed path, query and fragment', () => {
    for (const to of HOSTILE) {
      const out = safeLocal(to, '/', SITE);
      assert.equal(browserTarget(out).origin, SITE, `${JSON.stringify(to)} → ${out}`);
      assert.ok(!/[\x00-\x20\x7f-\uffff\\]/.test(out), `${JSON.stringify(to)} → ${JSON.stringify(out)} is plain ASCII`);
    }
    assert.equal(safeLocal('/\t/evil.example'), '/');
    assert.equal(safeLocal('/dataset?q=a#top'), '/dataset?q=a#top');
    assert.equal(safeLocal('/dataset/ชื่อ ไทย'), '/dataset/%E0%B8%8A%E0%B8%B7%E0%B9%88%E0%B8%AD%20%E0%B9%84%E0%B8%97%E0%B8%A2');
    assert.equal(safeLocal(`${SITE}/organization`, '/', SITE), '/organization');
    assert.equal(safeLocal('/a/../b', '/'), '/b');
    assert.equal(safeLocal(`/${'x'.repeat(5000)}`), '/');
    assert.equal(safeLocal(42 as unknown), '/');
  });

  describe('over HTTP', () => {
    let env: TestEnv;
    before(async () => {
      env = await testEnv({}, { web: true });
      await makeUser(env, 'editor1');
    });
    after(async () => env.close());

    it('the language switch never sends the browser elsewhere and never answers 500', async () => {
      const c = new PageClient(env.app);
      for (const to of [...HOSTILE, '/ชื่อ', '/\u202e/evil', `/${'ก'.repeat(3000)}`]) {
        const res = await c.get(`/lang/en?next=${encodeURIComponent(to)}`);
        assert.equal(res.statusCode, 303, JSON.stringify(to));
        const loc = String(res.headers.location);
        assert.equal(browserTarget(loc).origin, SITE, `${JSON.stringify(to)} → ${loc}`);
      }
      // The raw bytes in the query string (not percent-encoded): still no 500.
      const raw = await env.app.inject({ method: 'GET', url: '/lang/th?next=/%09/evil.example' });
      assert.equal(raw.headers.location, '/');
      assert.equal((await c.get('/lang/th?next=%2Fdataset%3Fq%3Dx')).headers.location, '/dataset?q=x');
    });

    it('came_from at sign-in: hostile targets go to the dashboard, local ones are kept', async () => {
      // A control character other than TAB/LF/CR is refused by the input guard of every form (a 4xx page, no redirect at all).
      {
        const c = new PageClient(env.app);
        await c.get('/user/login');
        const res = await c.post('/user/login', { login: 'editor1', password: PASSWORD, came_from: '/ชื่อ\x01' });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, String(res.statusCode));
        assert.equal(res.headers.location, undefined);
      }
      for (const to of ['/\t/evil.example', '/\\evil.example', '/\n/evil.example']) {
        const c = new PageClient(env.app);
        await c.get(`/user/login?came_from=${encodeURIComponent(to)}`);
        const res = await c.post('/user/login', { login: 'editor1', password: PASSWORD, came_from: to });
        assert.equal(res.statusCode, 303, JSON.stringify(to));
        const loc = String(res.headers.location);
        assert.equal(browserTarget(loc).origin, SITE, `${JSON.stringify(to)} → ${loc}`);
        assert.equal(loc, '/dashboard');
      }
      const c = new PageClient(env.app);
      await c.get('/user/login');
      const res = await c.post('/user/login', { login: 'editor1', password: PASSWORD, came_from: '/dataset?q=ข้อมูล' });
      assert.equal(res.headers.location, '/dataset?q=%E0%B8%82%E0%B9%89%E0%B8%AD%E0%B8%A1%E0%B8%B9%E0%B8%A5');
      // Already signed in: the GET answers with the same check.
      const again = await c.get(`/user/login?came_from=${encodeURIComponent('/\t/evil.example')}`);
      assert.equal(again.headers.location, '/dashboard');
    });
  });
});
