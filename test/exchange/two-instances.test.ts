import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { testEnv, makeUser, STORE_KIND, type TestEnv } from '../helpers.ts';
import { provider, activeAgreement, ROWS, type Provider } from './fixture.ts';
import { startTsa, type TestTsa } from './tsa-server.ts';
import { callPartner, ExchangeClientError } from '../../src/exchange/gateway/client.ts';
import { verifyDetached, type JwkOkp } from '../../src/exchange/gateway/jws.ts';
import { verifyTimestampToken } from '../../src/exchange/gateway/tsa.ts';

/** Two banchi instances on loopback: the provider (nha, with a TSA configured) and the consumer (dopa's own banchi). */
let tsa: TestTsa;
let p: Provider;
let consumer: TestEnv;
let base: string;
let ag: { id: string; number: string };
const K = `[${STORE_KIND}]`;

before(async () => {
  tsa = await startTsa();
  p = await provider({ tsaUrl: tsa.url });
  await p.env.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(p.env.app.server.address() as AddressInfo).port}`;
  consumer = await testEnv();
  await consumer.app.listen({ port: 0, host: '127.0.0.1' });
  ag = await activeAgreement(p);
});
after(async () => {
  await consumer.close();
  await p.env.close();
  await tsa.close();
});

test(`${K} two instances: the consumer calls the provider's gateway, verifies JWS and RFC 3161 stamp, keeps a receipt; the provider audits`, async () => {
  const officer = (await makeUser(consumer, 'dopa_officer')).actor;
  const got = await callPartner(consumer.services, officer, { baseUrl: base, token: p.tokens.partner, agreement: ag.number, resourceId: p.resource, purpose: 'ตรวจสอบสิทธิ', params: { limit: '1000' }, trustedTsa: [tsa.cert] });
  const expected = [...Array(ROWS).keys()].filter((i) => i % 3 === 0 && 10 + 2 * i >= 18);
  assert.deepEqual(got.records.map((r) => r.name), expected.map((i) => `ผู้เช่า ${i}`));
  assert.ok(got.timestamp instanceof Date, 'the stamp is attached and verified');
  assert.equal(tsa.requests, 1);
  // the consumer's receipt holds the signed bytes: anyone can re-verify them later
  const rec = await consumer.services.store.db.selectFrom('exchange_receipts').selectAll().where('id', '=', got.receipt_id).executeTakeFirstOrThrow();
  assert.equal(rec.row_count, expected.length);
  assert.equal(rec.response_sha256, crypto.hash('sha256', rec.body, 'hex'));
  const keys = ((await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: JwkOkp[] }).keys;
  const { signature } = verifyDetached(rec.jws, Buffer.from(rec.body), keys);
  const facts = verifyTimestampToken(Buffer.from(rec.timestamp_token!, 'base64'), signature, { trusted: [tsa.cert] });
  assert.equal(facts.time.toISOString(), new Date(rec.timestamp_time!).toISOString());
  // OpenSSL agrees the token stamps this signature
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-ts-'));
  fs.writeFileSync(path.join(dir, 'tok.der'), Buffer.from(rec.timestamp_token!, 'base64'));
  fs.writeFileSync(path.join(dir, 'ca.pem'), tsa.cert.toString());
  const out = execFileSync('openssl', ['ts', '-verify', '-token_in', '-in', path.join(dir, 'tok.der'), '-digest', crypto.hash('sha256', signature, 'hex'), '-CAfile', path.join(dir, 'ca.pem')], { encoding: 'utf8' });
  assert.match(out, /Verification: OK/);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.throws(() => verifyTimestampToken(Buffer.from(rec.timestamp_token!, 'base64'), Buffer.from('other')), /other data/);
  // a stamp from an authority the receiver does not trust is refused
  const stranger = new crypto.X509Certificate(execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=other', '-days', '1'], { stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.throws(() => verifyTimestampToken(Buffer.from(rec.timestamp_token!, 'base64'), signature, { trusted: [stranger] }), /not trusted/);
  // the provider's audit row names the call, the purpose, the fields and the same hash, with the stamp's time
  const audit = await p.env.services.store.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'exchange_call').execute();
  const d = audit.at(-1)!.detail as Record<string, any>;
  assert.equal(d.response_sha256, rec.response_sha256);
  assert.equal(d.call_id, got.call_id);
  assert.equal(d.timestamp.time, facts.time.toISOString());
  const mine = await consumer.services.store.db.selectFrom('audit_log').select('action').where('action', '=', 'exchange_receipt_record').execute();
  assert.equal(mine.length, 1);
});

test(`${K} two instances: the client refuses an answer whose bytes were changed on the way, and reports gateway refusals`, async () => {
  const officer = (await makeUser(consumer, 'dopa_officer2')).actor;
  // a forwarding proxy that alters one byte of the body
  const http = await import('node:http');
  const proxy = http.createServer(async (req, res) => {
    const upstream = await fetch(`${base}${req.url}`, { headers: { authorization: String(req.headers.authorization ?? '') } });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((v, k) => { if (k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v; });
    const text = (await upstream.text()).replace('เชียงใหม่', 'ลำพูน');
    res.writeHead(upstream.status, headers).end(text);
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    await assert.rejects(callPartner(consumer.services, officer, { baseUrl: proxied, token: p.tokens.partner, agreement: ag.number, resourceId: p.resource, purpose: 'x' }), /does not match/);
  } finally {
    proxy.close();
  }
  // a partner whose answer has no end: refused at the cap, nothing kept, this process's memory bounded
  const endless = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => { while (res.write(chunk)); };
    res.on('drain', pump);
    pump();
  });
  await new Promise<void>((ok) => endless.listen(0, '127.0.0.1', ok));
  try {
    const huge = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
    await assert.rejects(callPartner(consumer.services, officer, { baseUrl: huge, token: p.tokens.partner, agreement: ag.number, resourceId: p.resource, purpose: 'x', maxBytes: 1024 * 1024 }), /larger than 1048576 bytes/);
  } finally {
    endless.closeAllConnections();
    endless.close();
  }
  const err = await callPartner(consumer.services, officer, { baseUrl: base, token: p.tokens.outsider, agreement: ag.number, resourceId: p.resource, purpose: 'x' }).catch((e) => e);
  assert.ok(err instanceof ExchangeClientError);
  assert.equal(err.status, 404);
  assert.equal((await consumer.services.store.db.selectFrom('exchange_receipts').select('id').execute()).length, 1, 'only verified answers are kept');
});
