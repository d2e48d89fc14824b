import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, type TestEnv } from '../helpers.ts';
import { authorizeAs, startProvider, type TestProvider } from '../auth/oidc-fixture.ts';
import { forgetOidcDiscovery } from '../../src/actions/auth/oidc.ts';
import { PageClient } from './client.ts';

/** The portal's OpenID Connect round trip without a browser: the pending cookie and where came_from leads. */
describe('OpenID Connect through the portal (cookie, came_from)', () => {
  let env: TestEnv;
  let op: TestProvider;
  before(async () => {
    forgetOidcDiscovery();
    op = await startProvider({ 'dga-somsri': { email: 'somsri@example.go.th', email_verified: true, name: 'สมศรี มีสุข' } });
    env = await testEnv({ oidc: { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret } }, { web: true });
  });
  after(async () => {
    await env.close();
    await op.close();
  });

  async function roundTrip(cameFrom: string): Promise<{ start: string[]; location: string }> {
    const c = new PageClient(env.app);
    const start = await c.get(`/user/login/oidc?came_from=${encodeURIComponent(cameFrom)}`);
    assert.equal(start.statusCode, 303);
    const cookies = ([] as string[]).concat((start.headers['set-cookie'] as string[] | string | undefined) ?? []);
    const query = await authorizeAs(String(start.headers.location), 'dga-somsri', op.redirectUri);
    const done = await c.get(`/user/login/oidc/callback?${query}`);
    assert.equal(done.statusCode, 303, done.body.slice(0, 300));
    return { start: cookies, location: String(done.headers.location) };
  }

  it('keeps the pending request in a Path=/ HttpOnly cookie and signs in', async () => {
    const { start, location } = await roundTrip('/dataset?q=x');
    const cookie = start.find((s) => s.startsWith('banchi_oidc='));
    assert.ok(cookie);
    assert.match(cookie!, /Path=\/;/);
    assert.match(cookie!, /HttpOnly/);
    assert.equal(location, '/dataset?q=x');
  });

  it('a hostile came_from ends on the dashboard, not on another site', async () => {
    for (const to of ['/\t/evil.example', '/\\evil.example']) {
      const { location } = await roundTrip(to);
      assert.equal(location, '/dashboard', JSON.stringify(to));
    }
  });
});
