import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { as, STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, ROWS, type Provider } from './fixture.ts';
import { verifyDetached } from '../../src/exchange/gateway/jws.ts';

let p: Provider;
let ag: { id: string; number: string };
const K = `[${STORE_KIND}]`;
before(async () => {
  p = await provider();
  ag = await activeAgreement(p);
});
after(() => p.env.close());

const call = (token: string | null, qs: string, agreement = ag.number, rid = p.resource) =>
  p.env.app.inject({ method: 'GET', url: `/exchange/v1/agreements/${encodeURIComponent(agreement)}/resources/${encodeURIComponent(rid)}/records${qs}`, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'accept-language': 'en' } });
const auditOf = (action: string) => p.env.services.store.db.selectFrom('audit_log').select(['actor_name', 'object_id', 'detail']).where('action', '=', action).orderBy('seq').execute();

test(`${K} gateway: agreed fields and rows, purpose recorded, audited with the response hash, signed (detached JWS, JWKS)`, async () => {
  const r = await call(p.tokens.partner, '?purpose=' + encodeURIComponent('ตรวจสอบสิทธิผู้เช่า') + '&limit=100&include_total=true');
  assert.equal(r.statusCode, 200, r.body);
  const body = Buffer.from(r.rawPayload);
  const json = JSON.parse(body.toString('utf8'));
  const expected = [...Array(ROWS).keys()].filter((i) => i % 3 === 0 && 10 + 2 * i >= 18);
  assert.deepEqual(json.records.map((x: { name: string }) => x.name), expected.map((i) => `ผู้เช่า ${i}`));
  assert.deepEqual(json.fields.map((f: { id: string }) => f.id), ['_id', 'name', 'province', 'age']);
  assert.equal(json.total, expected.length);
  assert.equal(json.purpose, 'ตรวจสอบสิทธิผู้เช่า');
  // the signature verifies over the exact bytes with the published key, and not over anything else
  const jwks = await p.env.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  const keys = jwks.json().keys;
  assert.equal(keys[0].kty, 'OKP');
  assert.equal(keys[0].crv, 'Ed25519');
  const jws = String(r.headers['x-jws-signature']);
  const { header } = verifyDetached(jws, body, keys);
  assert.equal(header.kid, keys[0].kid);
  assert.equal(header.b64, false);
  assert.deepEqual(header.crit, ['b64']);
  assert.throws(() => verifyDetached(jws, Buffer.from(body.toString().replace('ผู้เช่า 6', 'ผู้เช่า 7')), keys), /does not match/);
  const hash = crypto.hash('sha256', body, 'hex');
  const audit = await auditOf('exchange_call');
  assert.equal(audit.length, 1);
  const d = audit[0]!.detail as Record<string, unknown>;
  assert.equal(audit[0]!.actor_name, 'partner_user');
  assert.equal(audit[0]!.object_id, ag.id);
  assert.equal(d.purpose, 'ตรวจสอบสิทธิผู้เช่า');
  assert.deepEqual(d.fields, ['name', 'province', 'age']);
  assert.equal(d.row_count, expected.length);
  assert.equal(d.response_sha256, hash);
  // The call counts as a delivery for monitoring (P10), under its agreement.
  const deliveries = await p.env.services.store.db.selectFrom('exchange_deliveries').select(['kind', 'agreement_id', 'row_count', 'ref']).where('kind', '=', 'gateway').execute();
  assert.deepEqual(deliveries.map((x) => [x.agreement_id, x.row_count, x.ref]), [[ag.id, expected.length, d.call_id]]);
  // The evidence letter of the request an agreement came from lists what the gateway served under it.
  const db = p.env.services.store.db;
  const lifecycle = await db.selectFrom('agreements').select('case_id').where('id', '=', ag.id).executeTakeFirstOrThrow();
  await db.updateTable('agreements').set({ request_case_id: lifecycle.case_id }).where('id', '=', ag.id).execute();
  const { gatewayDisclosures } = await import('../../src/actions/governance/letters.ts');
  const served = await gatewayDisclosures({ db } as never, lifecycle.case_id);
  assert.equal(served.length, 1);
  assert.deepEqual(served[0]!.fields, ['age', 'name', 'province']);
  assert.equal(served[0]!.records, expected.length);
  assert.match(served[0]!.note!, new RegExp(`${ag.number} \\(1 ครั้ง\\)`));
  assert.equal(r.headers['x-ratelimit-limit'], '1000');
  assert.equal(r.headers['x-ratelimit-remaining'], '999');
  // the caller's list of agreements names the endpoint
  const list = await p.env.app.inject({ method: 'GET', url: '/exchange/v1/agreements', headers: { authorization: `Bearer ${p.tokens.partner}` } });
  assert.equal(list.json()[0].resources[0].records, `/exchange/v1/agreements/${ag.number}/resources/${p.resource}/records`);
});

test(`${K} gateway bad input: no token, no purpose, foreign or unknown agreement, fields not agreed — clear errors, refusals audited`, async () => {
  assert.equal((await call(null, '?purpose=x')).statusCode, 401);
  assert.equal((await call('not-a-token', '?purpose=x')).statusCode, 401);
  const np = await call(p.tokens.partner, '');
  assert.equal(np.statusCode, 400);
  assert.ok(np.json().error.fields.purpose, np.body);
  // another organisation's member, the owner's own editor, an unknown number: all "no such agreement"
  for (const t of [p.tokens.outsider, p.tokens.editor]) {
    const r = await call(t, '?purpose=x');
    assert.equal(r.statusCode, 404, r.body);
    assert.equal(r.json().error.code, 'agreement_not_found');
  }
  assert.equal((await call(p.tokens.partner, '?purpose=x', 'AGR-2569-999999')).json().error.code, 'agreement_not_found');
  for (const qs of ['?purpose=x&fields=citizen_id', '?purpose=x&status=active', '?purpose=x&sort=status%20desc', `?purpose=x&filters=${encodeURIComponent('{"citizen_id":"1100000000000"}')}`]) {
    const r = await call(p.tokens.partner, qs);
    assert.equal(r.statusCode, 403, `${qs}: ${r.body}`);
    assert.equal(r.json().error.code, 'field_not_agreed');
  }
  // full text would reach the fields not agreed
  const q = await call(p.tokens.partner, '?purpose=x&q=pending');
  assert.equal(q.statusCode, 400, q.body);
  assert.ok(q.json().error.fields.q, q.body);
  const refused = await auditOf('exchange_refused');
  assert.ok(refused.some((x) => (x.detail as Record<string, unknown>).code === 'field_not_agreed'));
  // bad input from a party is refused as before, and audited too: a missing purpose, a bad limit, a malformed resource id
  const before = refused.length;
  const noPurpose = await call(p.tokens.partner, '');
  assert.equal(noPurpose.statusCode, 400, noPurpose.body);
  assert.ok(noPurpose.json().error.fields.purpose, noPurpose.body);
  assert.equal((await call(p.tokens.partner, '?purpose=x&limit=-5')).statusCode, 400);
  assert.equal((await call(p.tokens.partner, '?purpose=x', ag.number, 'not-a-resource')).statusCode, 404);
  const bad = (await auditOf('exchange_refused')).slice(before).map((x) => x.detail as Record<string, unknown>);
  assert.deepEqual(bad.map((d) => [d.code, d.fields]), [['invalid_parameter', ['purpose']], ['invalid_parameter', ['limit']], ['resource_not_found', undefined]]);
  // a resource of another dataset is not in the agreement
  const other = await call(p.tokens.partner, '?purpose=x', ag.number, crypto.randomUUID());
  assert.equal(other.statusCode, 404);
});

test(`${K} gateway: SQL injection through every parameter is a 4xx, never a 500, and nothing changes`, async () => {
  const inj = ["'; DROP TABLE users; --", '" OR 1=1 --', '1); DELETE FROM audit_log; --', '(SELECT password_hash FROM users)'];
  const before = await p.env.services.store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  for (const s of inj) {
    const e = encodeURIComponent(s);
    const attempts: Array<[string, string?, string?]> = [
      [`?purpose=${e}`], [`?purpose=x&fields=${e}`], [`?purpose=x&sort=${e}`], [`?purpose=x&limit=${e}`], [`?purpose=x&offset=${e}`], [`?purpose=x&q=${e}`],
      [`?purpose=x&province=${e}`], [`?purpose=x&${e}=1`], [`?purpose=x&filters=${e}`], [`?purpose=x&age=${e}`],
      ['?purpose=x', s], ['?purpose=x', ag.number, s],
    ];
    for (const [qs, agreement, rid] of attempts) {
      const r = await call(p.tokens.partner, qs, agreement ?? ag.number, rid ?? p.resource);
      assert.ok(r.statusCode < 500, `${qs} ${agreement ?? ''} ${rid ?? ''}: ${r.statusCode} ${r.body}`);
      if (r.statusCode === 200) {
        // only a purpose or q may carry such text; the rows stay those agreed
        assert.ok(r.json().records.every((x: Record<string, unknown>) => x.province === 'เชียงใหม่' && !('citizen_id' in x)), r.body);
      }
    }
  }
  const after = await p.env.services.store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(after.n), Number(before.n));
  const rows = await p.env.app.inject({ method: 'POST', url: '/api/3/action/datastore_search', headers: { authorization: p.tokens.editor, 'content-type': 'application/json' }, payload: JSON.stringify({ resource_id: p.resource }) });
  assert.equal(rows.json().result.total, ROWS);
});

test(`${K} gateway: quota per period (429 with Retry-After, nothing served), expired and terminated agreements refused`, async () => {
  const small = await activeAgreement(p, { title: 'โควตาน้อย', frequency_count: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await call(p.tokens.partner, '?purpose=q', small.number)).statusCode, 200);
  const over = await call(p.tokens.partner, '?purpose=q', small.number);
  assert.equal(over.statusCode, 429, over.body);
  assert.equal(over.json().error.code, 'quota_exceeded');
  const retry = Number(over.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 86400, String(over.headers['retry-after']));
  assert.ok(!('records' in over.json()));
  // The period's count is spread over slots (migration 025): together they hold exactly the 3 calls.
  const used = await p.env.services.store.db.selectFrom('exchange_usage').select('calls').where('agreement_id', '=', small.id).execute();
  assert.equal(used.reduce((n, u) => n + u.calls, 0), 3);
  // expired: the window has passed
  await p.env.services.store.db.updateTable('agreements').set({ access_from: new Date(Date.now() - 3 * 86400_000), access_to: new Date(Date.now() - 86400_000) }).where('id', '=', small.id).execute();
  const exp = await call(p.tokens.partner, '?purpose=q', small.number);
  assert.equal(exp.statusCode, 403);
  assert.equal(exp.json().error.code, 'agreement_expired');
  // terminated through the governance action
  await as(p.env, p.people.owner, 'agreement_terminate', { id: ag.id, ground: 'no_longer_needed', reason: 'จบโครงการ' });
  const term = await call(p.tokens.partner, '?purpose=q');
  assert.equal(term.statusCode, 403);
  assert.equal(term.json().error.code, 'agreement_not_active');
  const codes = (await auditOf('exchange_refused')).map((x) => (x.detail as Record<string, unknown>).code);
  for (const c of ['quota_exceeded', 'agreement_expired', 'agreement_not_active']) assert.ok(codes.includes(c), `${c} in ${codes}`);
});
