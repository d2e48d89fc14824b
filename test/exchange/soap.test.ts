import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, soapEnvelope, ROWS, type Provider } from './fixture.ts';
import { verifyDetached } from '../../src/exchange/gateway/jws.ts';

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
const post = (xml: string, token = p.tokens.partner) => p.env.app.inject({ method: 'POST', url: '/exchange/v1/soap', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/xml; charset=utf-8', 'accept-language': 'en' }, payload: xml });

test(`${K} SOAP binding: GetRecords where the agreement says soap, signed like REST; faults for everything else`, async () => {
  const ok = await post(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>ตรวจสอบ &amp; ยืนยัน</b:purpose><b:limit>100</b:limit><b:filter field="age">30</b:filter>`));
  assert.equal(ok.statusCode, 200, ok.body);
  assert.match(String(ok.headers['content-type']), /text\/xml/);
  const keys = (await p.env.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys;
  verifyDetached(String(ok.headers['x-jws-signature']), Buffer.from(ok.rawPayload), keys);
  // age 30 ⇒ i = 10, not เชียงใหม่ (10 % 3 ≠ 0): nothing; without the filter the agreed rows
  assert.match(ok.body, /<b:records count="0"/);
  const all = await post(envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:limit>100</b:limit>`));
  const expected = [...Array(ROWS).keys()].filter((i) => i % 3 === 0 && 10 + 2 * i >= 18);
  assert.match(all.body, new RegExp(`<b:records count="${expected.length}"`));
  assert.ok(!all.body.includes('citizen_id'));
  assert.match(all.body, /<b:purpose>x<\/b:purpose>/);
  const audit = await p.env.services.store.db.selectFrom('audit_log').select('detail').where('action', '=', 'exchange_call').execute();
  assert.equal((audit[0]!.detail as Record<string, unknown>).purpose, 'ตรวจสอบ & ยืนยัน');

  const faults: Array<[string, number, string]> = [
    [envelope(`<b:agreement>${restAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose>`), 403, 'soap_not_agreed'],
    [envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource>`), 400, 'invalid_parameter'],
    [envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:fields>citizen_id</b:fields>`), 403, 'field_not_agreed'],
    [envelope(`<b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose><b:filter field="x&quot; OR 1=1 --">1</b:filter>`), 400, 'invalid_parameter'],
    [envelope(`<b:agreement>' OR '1'='1</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose>`), 404, 'agreement_not_found'],
    ['<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&b;</soap:Body></soap:Envelope>', 400, 'invalid_envelope'],
    ['<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 400, 'invalid_envelope'],
    ['<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><b:GetRecords xmlns:b="urn:banchi:exchange:v1"><b:agreement>', 400, 'invalid_envelope'],
    [envelope('<b:drop>1</b:drop>'), 400, 'invalid_envelope'],
    ['not xml at all', 400, 'invalid_envelope'],
  ];
  for (const [xml, status, code] of faults) {
    const r = await post(xml);
    assert.equal(r.statusCode, status, `${xml.slice(0, 120)} → ${r.body}`);
    assert.match(r.body, /<soap:Fault>/);
    assert.match(r.body, new RegExp(`code="${code}"`), r.body);
    assert.ok(!r.body.includes('root:'), 'no file content');
  }
  const anon = await p.env.app.inject({ method: 'POST', url: '/exchange/v1/soap', headers: { 'content-type': 'text/xml' }, payload: envelope('') });
  assert.equal(anon.statusCode, 401);
  assert.match(anon.body, /<soap:Fault>/);
});
