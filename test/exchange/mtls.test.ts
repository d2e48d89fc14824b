import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { as, STORE_KIND } from '../helpers.ts';
import { provider, activeAgreement, type Provider } from './fixture.ts';
import { PageClient } from '../web/client.ts';
import { loadConfig } from '../../src/config.ts';
import { httpsOptions, TlsSetupError } from '../../src/tls.ts';
import { ListenError, startServer } from '../../src/server.ts';

/**
 * Mutual TLS for the gateway over a real HTTPS server: certificates made with the openssl CLI at
 * test time (a CA, a server certificate for 127.0.0.1, two clients of the CA — one registered —,
 * a client of another CA, an expired one). 127.0.0.2 plays the trusted reverse proxy.
 */
const OPENSSL = '/usr/bin/openssl';
const skip = fs.existsSync(OPENSSL) ? false : `openssl CLI not found at ${OPENSSL}: mutual TLS tests skipped`;
if (skip) process.stderr.write(`${skip}\n`);
const K = `[${STORE_KIND}]`;
const PROXY = '127.0.0.2';

let dir = '';
let p: Provider;
let port = 0;
let required: { id: string; number: string };
let open: { id: string; number: string };
let soapAg: { id: string; number: string };
const pem: Record<string, string> = {};
const fp: Record<string, string> = {};

function ssl(...args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' });
}
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCertificates(): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-mtls-'));
  for (const ca of ['ca', 'otherca']) ssl('req', '-x509', ...newKey, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=Test ${ca}`);
  ssl('req', '-x509', ...newKey, '-keyout', 'server.key', '-out', 'server.pem', '-days', '2', '-subj', '/CN=localhost', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  const client = (name: string, ca: string, cn: string) => ssl('req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/O=DOPA/CN=${cn}`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`);
  client('registered', 'ca', 'dopa-gateway <b>');
  client('unregistered', 'ca', 'dopa-other');
  client('foreign', 'otherca', 'dopa-gateway');
  // An expired certificate: `openssl ca` takes explicit dates.
  ssl('req', '-new', ...newKey, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=expired');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n');
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '01\n');
  ssl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext');
  for (const n of ['ca', 'registered', 'unregistered', 'foreign', 'expired']) {
    pem[n] = fs.readFileSync(path.join(dir, `${n}.pem`), 'utf8');
    fp[n] = new crypto.X509Certificate(pem[n]!).fingerprint256;
  }
}

before(async () => {
  if (skip) return;
  makeCertificates();
  p = await provider({ tls: { certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server.key'), clientCaFile: path.join(dir, 'ca.pem') }, trustedProxies: [PROXY], clientCertHeader: 'x-client-cert-fingerprint' }, { web: true });
  const url = await p.env.app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(url).port);
  assert.match(url, /^https:/);
  required = await activeAgreement(p, { title: 'ต้องใช้ใบรับรอง' });
  open = await activeAgreement(p, { title: 'ไม่ต้องใช้ใบรับรอง' });
  soapAg = await activeAgreement(p, { title: 'SOAP ต้องใช้ใบรับรอง', technology: 'soap' });
  for (const ag of [required, soapAg]) {
    await as(p.env, p.people.owner, 'agreement_client_cert_add', { id: ag.id, certificate: pem.registered });
    await as(p.env, p.people.owner, 'agreement_mtls_set', { id: ag.id, required: true });
  }
});
after(async () => {
  if (skip) return;
  await p.env.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Call { cert?: 'registered' | 'unregistered' | 'foreign'; from?: string; headers?: Record<string, string>; method?: string; body?: string; path?: string }
/** One request on its own connection (no TLS session or socket reuse between certificates). */
function call(agreement: string, opts: Call = {}): Promise<{ status: number; body: string; json: () => any }> {
  const key = opts.cert ? fs.readFileSync(path.join(dir, `${opts.cert}.key`)) : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, method: opts.method ?? 'GET', agent: false, ca: pem.ca, localAddress: opts.from ?? '127.0.0.1',
      path: opts.path ?? `/exchange/v1/agreements/${encodeURIComponent(agreement)}/resources/${p.resource}/records?purpose=${encodeURIComponent('ตรวจสิทธิ')}`,
      ...(opts.cert ? { cert: pem[opts.cert], key } : {}),
      headers: { authorization: `Bearer ${p.tokens.partner}`, 'accept-language': 'en', ...opts.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const lastAudit = async (action: string) => (await p.env.services.store.db.selectFrom('audit_log').select('detail').where('action', '=', action).orderBy('seq', 'desc').limit(1).executeTakeFirst())?.detail as Record<string, unknown> | undefined;
const certRows = async (id: string) => p.env.services.store.db.selectFrom('agreement_client_certs').select('fingerprint').where('agreement_id', '=', id).execute();
const auditCount = async () => Number((await p.env.services.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

test(`${K} mTLS required: a registered certificate verified against the CA is served, its fingerprint in the audit row`, { skip }, async () => {
  const r = await call(required.number, { cert: 'registered' });
  assert.equal(r.status, 200, r.body);
  assert.ok(r.json().records.length > 0);
  const d = await lastAudit('exchange_call');
  assert.equal(d?.client_cert, fp.registered);
  assert.equal(d?.client_cert_via, 'tls');
});

test(`${K} mTLS required: no certificate, or one of another CA (unverified) → 403 client_certificate_required, audited`, { skip }, async () => {
  for (const cert of [undefined, 'foreign'] as const) {
    const r = await call(required.number, { cert });
    assert.equal(r.status, 403, r.body);
    assert.equal(r.json().error.code, 'client_certificate_required');
    assert.match(r.json().error.th, /ใบรับรอง/);
    assert.equal((await lastAudit('exchange_refused'))?.code, 'client_certificate_required');
  }
});

test(`${K} mTLS required: verified against the CA but not registered → 403 client_certificate_not_registered`, { skip }, async () => {
  const r = await call(required.number, { cert: 'unregistered' });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json().error.code, 'client_certificate_not_registered');
  assert.equal(r.json().error.detail.client_cert, fp.unregistered);
});

test(`${K} not required: an agreement without the flag is served without a certificate, and the portal answers browsers without one`, { skip }, async () => {
  const r = await call(open.number);
  assert.equal(r.status, 200, r.body);
  assert.equal((await lastAudit('exchange_call'))?.client_cert, undefined);
  const home = await call('', { path: '/api/3/action/status_show' });
  assert.equal(home.status, 200, home.body);
});

test(`${K} SOAP is checked the same way`, { skip }, async () => {
  const envelope = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:b="urn:banchi:exchange:v1"><soap:Body><b:GetRecords><b:agreement>${soapAg.number}</b:agreement><b:resource>${p.resource}</b:resource><b:purpose>x</b:purpose></b:GetRecords></soap:Body></soap:Envelope>`;
  const soap = (cert?: 'registered' | 'unregistered') => call('', { cert, method: 'POST', path: '/exchange/v1/soap', body: envelope, headers: { 'content-type': 'text/xml; charset=utf-8' } });
  const none = await soap();
  assert.equal(none.status, 403, none.body);
  assert.match(none.body, /client_certificate_required/);
  const other = await soap('unregistered');
  assert.equal(other.status, 403, other.body);
  assert.match(other.body, /client_certificate_not_registered/);
  const ok = await soap('registered');
  assert.equal(ok.status, 200, ok.body);
  assert.equal((await lastAudit('exchange_call'))?.client_cert, fp.registered);
});

test(`${K} behind a proxy: the fingerprint header counts only from a BANCHI_TRUSTED_PROXIES address`, { skip }, async () => {
  const header = { 'x-client-cert-fingerprint': fp.registered!.replace(/:/g, '').toLowerCase() };
  const untrusted = await call(required.number, { headers: header });
  assert.equal(untrusted.status, 403, untrusted.body);
  assert.equal(untrusted.json().error.code, 'client_certificate_required');
  // X-Forwarded-For naming the proxy changes nothing: the socket's address decides.
  const spoofed = await call(required.number, { headers: { ...header, 'x-forwarded-for': PROXY } });
  assert.equal(spoofed.json().error.code, 'client_certificate_required');
  const proxied = await call(required.number, { from: PROXY, headers: header });
  assert.equal(proxied.status, 200, proxied.body);
  const d = await lastAudit('exchange_call');
  assert.equal(d?.client_cert, fp.registered);
  assert.equal(d?.client_cert_via, 'proxy');
  const wrong = await call(required.number, { from: PROXY, headers: { 'x-client-cert-fingerprint': fp.unregistered! } });
  assert.equal(wrong.json().error.code, 'client_certificate_not_registered');
});

test(`${K} adding a non-PEM, expired or private-key "certificate" is a field error and writes nothing`, { skip }, async () => {
  const before = [await certRows(open.id), await auditCount()];
  const keyPem = fs.readFileSync(path.join(dir, 'registered.key'), 'utf8');
  for (const certificate of ['not a certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', pem.expired, keyPem, `${pem.registered}${keyPem}`]) {
    await assert.rejects(as(p.env, p.people.owner, 'agreement_client_cert_add', { id: open.id, certificate }), (e: any) => e.name === 'ValidationError' && !!e.errors.certificate, String(certificate).slice(0, 40));
  }
  // a private key pasted with (or instead of) the certificate is named as such, not just "not a certificate"
  for (const certificate of [keyPem, `${pem.registered}${keyPem}`]) {
    await assert.rejects(as(p.env, p.people.owner, 'agreement_client_cert_add', { id: open.id, certificate }), (e: any) => /private key/.test(e.errors?.certificate?.[0]?.en));
  }
  // a client-sent fingerprint is no substitute for the certificate
  await assert.rejects(as(p.env, p.people.owner, 'agreement_client_cert_add', { id: open.id, fingerprint: fp.unregistered }), (e: any) => !!e.errors?.certificate);
  assert.deepEqual([await certRows(open.id), await auditCount()], before);
});

test(`${K} who may not update the agreement may not manage its certificates: 403, nothing written`, { skip }, async () => {
  const before = [await certRows(open.id), await auditCount()];
  const post = (action: string, body: Record<string, unknown>) => p.env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: p.tokens.partner, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  for (const [action, body] of [['agreement_client_cert_add', { id: open.id, certificate: pem.unregistered }], ['agreement_mtls_set', { id: required.id, required: false }], ['agreement_client_cert_remove', { id: required.id, fingerprint: fp.registered }]] as const) {
    const r = await post(action, body);
    assert.equal(r.statusCode, 403, `${action}: ${r.body}`);
  }
  // the owner's editor without a governance duty does not even see it
  await assert.rejects(as(p.env, p.people.editor, 'agreement_client_cert_add', { id: open.id, certificate: pem.unregistered }), { name: 'NotFoundError' });
  assert.deepEqual([await certRows(open.id), await auditCount()], before);
  assert.equal((await p.env.services.store.db.selectFrom('agreements').select('mtls_required').where('id', '=', required.id).executeTakeFirstOrThrow()).mtls_required, true);
});

test(`${K} requiring mTLS needs a certificate; the last one cannot be removed while required; each change audited`, { skip }, async () => {
  await assert.rejects(as(p.env, p.people.owner, 'agreement_mtls_set', { id: open.id, required: true }), (e: any) => !!e.errors?.required);
  const a = await as(p.env, p.people.owner, 'agreement_client_cert_add', { id: open.id, certificate: pem.unregistered });
  assert.deepEqual(a.client_certs.map((c: any) => c.fingerprint), [fp.unregistered]);
  assert.equal((await lastAudit('agreement_client_cert_add'))?.fingerprint, fp.unregistered);
  await assert.rejects(as(p.env, p.people.owner, 'agreement_client_cert_add', { id: open.id, certificate: pem.unregistered }), (e: any) => /already/.test(e.errors?.certificate?.[0]?.en));
  await as(p.env, p.people.owner, 'agreement_mtls_set', { id: open.id, required: 'true' });
  assert.deepEqual(await lastAudit('agreement_mtls_set'), { number: open.number, from: false, to: true });
  await assert.rejects(as(p.env, p.people.owner, 'agreement_client_cert_remove', { id: open.id, fingerprint: fp.unregistered }), (e: any) => !!e.errors?.fingerprint);
  assert.equal((await certRows(open.id)).length, 1);
  await as(p.env, p.people.owner, 'agreement_mtls_set', { id: open.id, required: false });
  const r = await as(p.env, p.people.owner, 'agreement_client_cert_remove', { id: open.id, fingerprint: fp.unregistered!.toLowerCase() });
  assert.deepEqual(r.client_certs, []);
  assert.equal((await lastAudit('agreement_client_cert_remove'))?.fingerprint, fp.unregistered);
  // agreement_show carries them; the partner sees the certificates it calls with
  const shown = await as(p.env, p.people.partner, 'agreement_show', { id: required.id });
  assert.equal(shown.mtls_required, true);
  // the subject as Node spells it (RFC 2253 escapes: "\<b\>")
  assert.deepEqual(shown.client_certs.map((c: any) => [c.fingerprint, c.subject]), [[fp.registered, 'O=DOPA, CN=dopa-gateway \\<b\\>']]);
  assert.equal(shown.can_manage_client_certs, false);
});

test(`${K} the agreement page lists certificates (escaped) and its forms work without JavaScript`, { skip }, async () => {
  const owner = new PageClient(p.env.app);
  await owner.signIn('owner', 'correct horse battery');
  const page = await owner.get(`/governance/agreements/${open.id}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /mutual TLS/);
  const added = await owner.post(`/governance/agreements/${open.id}/client-certs`, { certificate: pem.registered! });
  assert.equal(added.statusCode, 303, added.body);
  const shown = await owner.get(`/governance/agreements/${open.id}`);
  assert.ok(shown.body.includes(fp.registered!));
  assert.ok(shown.body.includes('dopa-gateway \\&lt;b\\&gt;') && !shown.body.includes('<b\\>'), 'the subject is escaped');
  assert.equal((await owner.post(`/governance/agreements/${open.id}/mtls`, { required: 'true' })).statusCode, 303);
  await owner.get(`/governance/agreements/${open.id}`);
  assert.equal((await owner.post(`/governance/agreements/${open.id}/client-certs/remove`, { fingerprint: fp.registered! })).statusCode, 400);
  assert.equal((await certRows(open.id)).length, 1);
  const partner = new PageClient(p.env.app);
  await partner.signIn('partner_user', 'correct horse battery');
  const seen = await partner.get(`/governance/agreements/${open.id}`);
  assert.ok(seen.body.includes(fp.registered!));
  assert.ok(!seen.body.includes('/client-certs/remove'), 'no forms for who may not manage');
});

test(`${K} hostile input to the certificate actions is a 4xx, never a 5xx`, { skip }, async () => {
  const bodies: Array<[string, Record<string, unknown>]> = [
    ['agreement_client_cert_add', { id: ['x'] }], ['agreement_client_cert_add', { id: { a: 1 }, certificate: pem.registered }],
    ['agreement_client_cert_add', { id: open.id, certificate: 123 }], ['agreement_client_cert_add', { id: open.id, certificate: '-----BEGIN CERTIFICATE-----\n'.repeat(3000) }],
    ['agreement_client_cert_add', { id: 'AGR-0000-none', certificate: pem.unregistered }], ['agreement_mtls_set', { id: open.id, required: 'yes' }],
    ['agreement_mtls_set', { id: open.id }], ['agreement_client_cert_remove', { id: open.id, fingerprint: 'zz' }], ['agreement_client_cert_remove', { id: open.id, fingerprint: ['a'] }],
  ];
  for (const [action, body] of bodies) {
    const r = await p.env.app.inject({ method: 'POST', url: `/api/3/action/${action}`, headers: { authorization: p.tokens.owner, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${action} ${JSON.stringify(body).slice(0, 80)}: ${r.statusCode} ${r.body.slice(0, 200)}`);
  }
});

test('TLS files that cannot be used are a one-line error', { skip }, async () => {
  const cfg = (cert: string, key: string, ca = '') => loadConfig({ BANCHI_DATA_DIR: dir, BANCHI_TLS_CERT: cert, BANCHI_TLS_KEY: key, BANCHI_TLS_CLIENT_CA: ca } as NodeJS.ProcessEnv);
  const j = (n: string) => path.join(dir, n);
  assert.throws(() => httpsOptions(cfg(j('missing.pem'), j('server.key'))), (e: Error) => e instanceof TlsSetupError && /BANCHI_TLS_CERT: cannot read .*missing\.pem \(no such file\)/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => httpsOptions(cfg(j('server.pem'), j('registered.key'))), (e: Error) => e instanceof TlsSetupError && /BANCHI_TLS_KEY/.test(e.message));
  assert.throws(() => httpsOptions(cfg(j('server.pem'), j('server.key'), j('serial'))), (e: Error) => e instanceof TlsSetupError && /BANCHI_TLS_CLIENT_CA: .* no PEM certificate/.test(e.message));
  assert.throws(() => loadConfig({ BANCHI_TLS_CERT: j('server.pem') } as NodeJS.ProcessEnv), /BANCHI_TLS_KEY/);
  assert.throws(() => loadConfig({ BANCHI_TRUSTED_PROXIES: '10.0.0.1, proxy.local' } as NodeJS.ProcessEnv), /BANCHI_TRUSTED_PROXIES/);
  assert.deepEqual(loadConfig({ BANCHI_TRUSTED_PROXIES: '10.0.0.1, ::ffff:10.0.0.2' } as NodeJS.ProcessEnv).trustedProxies, ['10.0.0.1', '10.0.0.2']);
  assert.equal(cfg(j('server.pem'), j('server.key')).siteUrl, 'https://127.0.0.1:5000');
  // startServer says it as a ListenError (main and `banchi serve` print its message alone, exit 2)
  await assert.rejects(startServer(cfg(j('server.pem'), j('nokey.pem')), { memory: true, quiet: true }), (e: Error) => e instanceof ListenError && /^BANCHI_TLS_KEY: cannot read .*nokey\.pem \(no such file\)$/.test(e.message));
});
