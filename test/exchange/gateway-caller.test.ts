import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, type Provider } from './fixture.ts';

/**
 * The gateway checks its caller's token inside its first statement, from what it remembers of the
 * token (src/access/tokens.ts rememberedToken): every change to the token's row, the user or the
 * user's organisations must take effect on the very next call, as if the token were looked up first.
 */
// Every statement a server connection is given, and how many that connection had in flight then
// (wrapped before the provider's pool connects, as the prepared-statement hook binds at connect).
const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
const query = proto.query;
let sent: Array<{ text: string; inFlight: number }> | null = null;
const inFlight = new WeakMap<object, number>();
proto.query = function (this: object, ...a: unknown[]) {
  const q = a[0] as string | { text?: string };
  const n = inFlight.get(this) ?? 0;
  sent?.push({ text: typeof q === 'string' ? q : q?.text ?? '(custom)', inFlight: n });
  inFlight.set(this, n + 1);
  const out = query.apply(this, a) as Promise<unknown> | undefined;
  const done = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
  if (out && typeof out.then === 'function') out.then(done, done);
  else done();
  return out;
};

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

const callWith = (qs: string) =>
  p.env.app.inject({ method: 'GET', url: `/exchange/v1/agreements/${ag.number}/resources/${p.resource}/records?purpose=x${qs}`, headers: { authorization: `Bearer ${p.tokens.partner}`, 'accept-language': 'en' } });

test(`${K} gateway: rows asked for ahead with the agreement are used only when this call's own reading asks the same`, async () => {
  const grant = () => db().updateTable('dataset_grants').where('agreement_id', '=', ag.id);
  const ids = (r: { json(): { records: Array<Record<string, unknown>> } }) => r.json().records.map((x) => x._id);
  for (let i = 0; i < 2; i++) {
    const r = await callWith('');
    assert.equal(r.statusCode, 200);
    assert.deepEqual(Object.keys(r.json().records[0]), ['_id', 'name', 'province', 'age']);
  }
  // Other parameters each call: the rows follow them.
  const all = ids(await callWith('&limit=100'));
  assert.ok(all.length > 2);
  assert.deepEqual(ids(await callWith('&limit=1')), all.slice(0, 1));
  assert.deepEqual(ids(await callWith('&limit=1&offset=1')), all.slice(1, 2));
  assert.deepEqual(ids(await callWith('&sort=age%20desc&limit=100')), [...all].reverse());
  // The grant narrowed: the field is gone from the very next answer; widened again, it is back.
  await grant().set({ fields: JSON.stringify(['name', 'province']) }).execute();
  const narrow = await callWith('');
  assert.equal(narrow.statusCode, 200);
  assert.deepEqual(Object.keys(narrow.json().records[0]), ['_id', 'name', 'province']);
  await grant().set({ fields: JSON.stringify(['name', 'province', 'age']) }).execute();
  assert.deepEqual(Object.keys((await callWith('')).json().records[0]), ['_id', 'name', 'province', 'age']);
  // The grant revoked: nothing is served.
  await grant().set({ revoked_at: new Date() }).execute();
  const revoked = await callWith('');
  assert.equal(revoked.statusCode, 404, revoked.body);
  assert.equal(revoked.json().records, undefined);
  await grant().set({ revoked_at: null }).execute();
  assert.equal((await callWith('')).statusCode, 200);
  // The grant's row condition changed: the next answer has the rows of the new condition only.
  const ages = async () => (await callWith('&limit=100')).json().records.map((x: { age: number }) => x.age);
  assert.ok((await ages()).some((a: number) => a < 40));
  const cond = (await db().selectFrom('dataset_grants').select('row_condition').where('agreement_id', '=', ag.id).executeTakeFirstOrThrow()).row_condition;
  await grant().set({ row_condition: JSON.stringify({ op: 'and', args: [cond, { field: 'age', cmp: '>=', value: 40 }] }) }).execute();
  const older = await ages();
  assert.ok(older.length > 0 && older.every((a: number) => a >= 40), String(older));
  await grant().set({ row_condition: JSON.stringify(cond) }).execute();
  assert.deepEqual(ids(await callWith('&limit=100')), all);
  // A row that stops matching in the table itself is not served.
  const first = all[0];
  await sql`UPDATE ${sql.raw(`datastore."${p.resource}"`)} SET province = 'น่าน' WHERE _id = ${first}`.execute(db());
  assert.ok(!ids(await callWith('&limit=100')).includes(first));

  if (STORE_KIND !== 'postgres') return;
  // On a server: three statements, the rows' sent with the agreement's before its answer came back.
  sent = [];
  assert.equal((await callWith('')).statusCode, 200);
  const got = sent;
  sent = null;
  assert.equal(got.length, 3, got.map((x) => x.text.slice(0, 60)).join('\n'));
  assert.match(got[0]!.text, /FROM agreements a/);
  assert.match(got[1]!.text, /^SELECT\s+"_id"/);
  assert.equal(got[1]!.inFlight, 1);
});
