import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, type Provider } from './fixture.ts';

/**
 * The gateway checks its caller's token inside its first statement, from what it remembers of the
 * token (src/access/tokens.ts rememberedToken): every change to the token's row, the user or the
 * user's organisations must take effect on the very next call, as if the token were looked up first.
 */
let p: Provider;
let ag: { id: string; number: string };
const K = `[${STORE_KIND}]`;
before(async () => {
  p = await provider();
  ag = await activeAgreement(p);
});
after(() => p.env.close());

const call = (agreement = ag.number) =>
  p.env.app.inject({ method: 'GET', url: `/exchange/v1/agreements/${encodeURIComponent(agreement)}/resources/${p.resource}/records?purpose=x`, headers: { authorization: `Bearer ${p.tokens.partner}`, 'accept-language': 'en' } });
const db = () => p.env.services.store.db;
const partnerId = async () => (await db().selectFrom('users').select('id').where('name', '=', 'partner_user').executeTakeFirstOrThrow()).id;

test(`${K} gateway: a remembered caller is checked again on every call (membership, token, account)`, async () => {
  // Twice: the second call runs on the remembered caller.
  for (let i = 0; i < 2; i++) assert.equal((await call()).statusCode, 200);
  assert.equal((await call('AGR-2569-999999')).json().error.code, 'agreement_not_found');

  // Out of the partner organisation: the agreement is not the caller's any more.
  const uid = await partnerId();
  const dopa = (await db().selectFrom('groups').select('id').where('name', '=', 'dopa').executeTakeFirstOrThrow()).id;
  const m = await db().deleteFrom('memberships').where('user_id', '=', uid).where('group_id', '=', dopa).returningAll().execute();
  assert.equal(m.length, 1);
  const out = await call();
  assert.equal(out.statusCode, 404, out.body);
  assert.equal(out.json().error.code, 'agreement_not_found');
  await db().insertInto('memberships').values(m).execute();
  assert.equal((await call()).statusCode, 200);

  // The partner organisation archived: its memberships no longer count.
  await db().updateTable('groups').set({ state: 'deleted' }).where('id', '=', dopa).execute();
  assert.equal((await call()).statusCode, 404);
  await db().updateTable('groups').set({ state: 'active' }).where('id', '=', dopa).execute();
  assert.equal((await call()).statusCode, 200);

  // The account deactivated, the token expired, the token revoked: unauthenticated at once.
  await db().updateTable('users').set({ state: 'deleted' }).where('id', '=', uid).execute();
  assert.equal((await call()).statusCode, 401);
  await db().updateTable('users').set({ state: 'active' }).where('id', '=', uid).execute();
  assert.equal((await call()).statusCode, 200);
  await db().updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', uid).execute();
  assert.equal((await call()).statusCode, 401);
  await db().updateTable('api_tokens').set({ expires_at: null }).where('user_id', '=', uid).execute();
  assert.equal((await call()).statusCode, 200);
  await db().updateTable('api_tokens').set({ revoked_at: new Date() }).where('user_id', '=', uid).execute();
  assert.equal((await call()).statusCode, 401);
  await db().updateTable('api_tokens').set({ revoked_at: null }).where('user_id', '=', uid).execute();

  // A role change is a different caller: an admin of the partner (whose rights extend to the
  // organisations below) is served, and then a plain member again.
  await db().updateTable('memberships').set({ role: 'admin' }).where('user_id', '=', uid).execute();
  assert.equal((await call()).statusCode, 200);
  await db().updateTable('memberships').set({ role: 'member' }).where('user_id', '=', uid).execute();
  assert.equal((await call()).statusCode, 200);

  // Every served call is audited under the user, refusals too.
  const served = await db().selectFrom('audit_log').select('actor_name').where('action', '=', 'exchange_call').execute();
  assert.equal(served.length, 8);
  assert.ok(served.every((r) => r.actor_name === 'partner_user'));
});
