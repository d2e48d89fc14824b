import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KIND, as } from '../helpers.ts';
import { provider, activeAgreement, soapEnvelope, ROWS, type Provider } from './fixture.ts';
import { verifyDetached } from '../../src/exchange/gateway/jws.ts';

/**
 * Requests the gateway's reader refuses before any action runs (a body too large, of no or the
 * wrong type, JSON that does not parse) and SOAP envelopes that say a thing twice or name a filter
 * the reader cannot keep: each answered in the binding's own shape (a JSON error, a SOAP Fault),
 * with the limit that applies, never silently half-read.
 */
let p: Provider;
let soapAg: { id: string; number: string };
let restAg: { id: string; number: string };
const K = `[${STORE_KIND}]`;
before(async () => {
  p = await provider();
  soapAg = await activeAgreement(p, { technology: 'soap', title: 'ข้อตกลง SOAP' });
  restAg = await activeAgreement(p, { title: 'ข้อตกลง REST' });
});
after(() => p.env.close());

const envelope = soapEnvelope;
const soap = (payload: string, contentType: string | null = 'text/xml; charset=utf-8') => p.env.app.inject({ method: 'POST', url: '/exchange/v1/soap', headers: { authorization: `Bearer ${p.tokens.partner}`, 'accept-language': 'en', ...(contentType ? { 'content-type': contentType } : {}) }, payload });
const rest = (payload: string, contentType: string | null = 'application/json') => p.env.app.inject({ method: 'POST', url: `/exchange/v1/agreements/${restAg.number}/resources/${p.resource}/records`, headers: { authorization: `Bearer ${p.tokens.partner}`, 'accept-language': 'en', ...(contentType ? { 'content-type': contentType } : {}) }, payload });
const faultCode = (body: string) => /<b:error code="([^"]+)" status="(\d+)"/.exec(body)?.slice(1);

test(`${K} SOAP requests refused by the reader are SOAP Faults with the SOAP limit, not the API's JSON`, async () => {
  const big = await soap(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:purpose>${'x'.repeat(300 * 1024)}</b:purpose>`));
  assert.equal(big.statusCode, 413, big.body.slice(0, 300));
  assert.match(String(big.headers['content-type']), /text\/xml/);
  assert.deepEqual(faultCode(big.body), ['request_too_large', '413']);
  assert.match(big.body, /256 KB/);
  const none = await soap(envelope(''), null);
  assert.equal(none.statusCode, 400, none.body);
  assert.match(none.body, /<soap:Fault>/);
  assert.equal(faultCode(none.body)?.[0], 'invalid_envelope');
  const form = await soap('a=1', 'application/x-www-form-urlencoded');
  assert.equal(form.statusCode, 400, form.body);
  assert.equal(faultCode(form.body)?.[0], 'invalid_envelope');
});

test(`${K} REST bodies refused by the reader are the gateway's JSON errors`, async () => {
  for (const [payload, type, status, code] of [
    ['{"purpose": "x",', 'application/json', 400, 'invalid_json'],
    ['{"purpose": "x", "purpose": "y"}', 'application/json', 400, 'invalid_json'],
    ['<x/>', 'application/octet-stream', 415, 'unsupported_media_type'],
    [JSON.stringify({ purpose: 'x'.repeat(2 * 1024 * 1024) }), 'application/json', 413, 'request_too_large'],
  ] as const) {
    const r = await rest(payload, type);
    assert.equal(r.statusCode, status, `${payload.slice(0, 40)}: ${r.body.slice(0, 300)}`);
    const e = r.json().error;
    assert.equal(e?.code, code, r.body.slice(0, 300));
    assert.ok(e.th && e.en, r.body.slice(0, 300));
  }
});

test(`${K} a SOAP element given twice, or a filter on a name the reader cannot keep, is refused, not half-read`, async () => {
  const dup = await soap(envelope(`<b:agreement>nope</b:agreement><b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose>`));
  assert.equal(dup.statusCode, 400, dup.body);
  assert.equal(faultCode(dup.body)?.[0], 'invalid_envelope');
  const twice = await soap(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:filter field="age">30</b:filter><b:filter field="age">40</b:filter>`));
  assert.equal(twice.statusCode, 400, twice.body);
  assert.equal(faultCode(twice.body)?.[0], 'invalid_envelope');
  // A filter named __proto__ was dropped by the reader, so the call answered every agreed row as if unfiltered.
  const proto = await soap(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:limit>100</b:limit><b:filter field="__proto__">1</b:filter>`));
  assert.equal(proto.statusCode, 400, proto.body.slice(0, 400));
  assert.equal(faultCode(proto.body)?.[0], 'invalid_parameter');
  // The well-formed call is unchanged.
  const ok = await soap(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:limit>100</b:limit>`));
  assert.equal(ok.statusCode, 200, ok.body);
  const expected = [...Array(ROWS).keys()].filter((i) => i % 3 === 0 && 10 + 2 * i >= 18);
  assert.match(ok.body, new RegExp(`<b:records count="${expected.length}"`));
});

test(`${K} the look-up API answers unreadable bodies in the same shape, never cached`, async () => {
  const r = await p.env.app.inject({ method: 'POST', url: '/exchange/v1/lookup', headers: { authorization: `Bearer ${p.tokens.partner}`, 'content-type': 'application/json', 'accept-language': 'en' }, payload: 'x1101700230708' });
  assert.equal(r.statusCode, 400, r.body);
  assert.equal(r.json().error?.code, 'invalid_json', r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
  // The ID typed is not echoed back in the error.
  assert.doesNotMatch(r.body, /1101700230708/);
});

test(`${K} every answer to an authenticated partner is signed, refusals and SOAP Faults included (the JWS verifies with the JWKS and names the status); answers before the caller is known are not`, async () => {
  const keys = (await p.env.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys;
  const get = (token: string | null, path: string) => p.env.app.inject({ method: 'GET', url: path, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'accept-language': 'en' } });
  const records = (ag: string, qs: string) => `/exchange/v1/agreements/${ag}/resources/${p.resource}/records${qs}`;
  type Answer = { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer };
  const signed: Array<[string, Answer]> = [
    ['REST 200', await get(p.tokens.partner, records(restAg.number, '?purpose=x&limit=1'))],
    ['REST 404 foreign agreement', await get(p.tokens.outsider, records(restAg.number, '?purpose=x'))],
    ['REST 400 no purpose', await get(p.tokens.partner, records(restAg.number, ''))],
    ['REST 403 field not agreed', await get(p.tokens.partner, records(restAg.number, '?purpose=x&fields=citizen_id'))],
    ['REST 403 SOAP not agreed', await soap(envelope(`<b:agreement>${restAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose>`))],
    ['SOAP 200', await soap(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:limit>1</b:limit>`))],
    ['agreements list', await get(p.tokens.partner, '/exchange/v1/agreements')],
  ];
  for (const [what, r] of signed) {
    const jws = r.headers['x-jws-signature'];
    assert.ok(typeof jws === 'string', `${what} (${r.statusCode}) is not signed`);
    const { header } = verifyDetached(jws, Buffer.from(r.rawPayload), keys);
    assert.equal(header['banchi.status'], r.statusCode, what);
  }
  // The agency's key never signs text an anonymous caller chose (a parser's message quotes the input).
  const unsigned: Array<[string, Answer]> = [
    ['REST 401', await get(null, records(restAg.number, '?purpose=x'))],
    ['REST 401 bad token', await get('banchi_not-a-token', records(restAg.number, '?purpose=<signed-by-you>'))],
    ['REST 400 bad JSON', await rest('{"purpose": ')],
    ['SOAP 400 envelope', await soap('not xml')],
    ['SOAP 413', await soap(envelope(`<b:purpose>${'x'.repeat(300 * 1024)}</b:purpose>`))],
  ];
  for (const [what, r] of unsigned) {
    assert.ok(r.statusCode >= 400, what);
    assert.equal(r.headers['x-jws-signature'], undefined, `${what} (${r.statusCode}) is signed`);
  }
});

test(`${K} a HEAD of the records endpoint is not a call: no quota, no audit row, no delivery`, async () => {
  const db = p.env.services.store.db;
  const calls = async () => Number((await db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'exchange_call').executeTakeFirstOrThrow()).n);
  const before = await calls();
  const url = `/exchange/v1/agreements/${restAg.number}/resources/${p.resource}/records?purpose=x&limit=1`;
  const head = await p.env.app.inject({ method: 'HEAD', url, headers: { authorization: `Bearer ${p.tokens.partner}` } });
  assert.notEqual(head.statusCode, 200, 'HEAD ran the call');
  assert.equal(await calls(), before);
  const get = await p.env.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${p.tokens.partner}` } });
  assert.equal(get.statusCode, 200, get.body.slice(0, 300));
  assert.equal(await calls(), before + 1);
});

test(`${K} datastore_search parameters the gateway does not take are named as such, not read as filters`, async () => {
  for (const qs of ['distinct=true', 'records_format=csv', 'plain=false', 'resource_id=x']) {
    const r = await p.env.app.inject({ method: 'GET', url: `/exchange/v1/agreements/${restAg.number}/resources/${p.resource}/records?purpose=x&${qs}`, headers: { authorization: `Bearer ${p.tokens.partner}`, 'accept-language': 'en' } });
    assert.equal(r.statusCode, 400, `${qs}: ${r.body.slice(0, 200)}`);
    assert.equal(r.json().error.code, 'parameter_not_supported', r.body.slice(0, 200));
  }
});

// Last in this file: it deletes the provider's dataset.
test(`${K} the agreements list names no resource of a deleted dataset`, async () => {
  const list = async () => (await p.env.app.inject({ method: 'GET', url: '/exchange/v1/agreements', headers: { authorization: `Bearer ${p.tokens.partner}` } })).json();
  const before = await list();
  assert.ok(before.some((a: { resources: unknown[] }) => a.resources.length > 0), JSON.stringify(before).slice(0, 300));
  await as(p.env, p.people.editor, 'package_delete', { id: p.dataset });
  const after = await list();
  assert.deepEqual(after.map((a: { resources: unknown[] }) => a.resources.length), after.map(() => 0), JSON.stringify(after).slice(0, 300));
});
