import { execFileSync, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * A real RFC 3161 timestamp authority on loopback for tests: OpenSSL's `ts -reply` signing with a
 * test key and a self-signed certificate (extendedKeyUsage critical timeStamping) made here.
 */
export interface TestTsa {
  url: string;
  cert: crypto.X509Certificate;
  requests: number;
  close(): Promise<void>;
}

export async function startTsa(): Promise<TestTsa> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-tsa-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'tsa.key'), '-out', path.join(dir, 'tsa.crt'),
    '-days', '2', '-subj', '/CN=banchi test TSA', '-addext', 'extendedKeyUsage=critical,timeStamping', '-addext', 'keyUsage=critical,digitalSignature'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'serial'), '01\n');
  fs.writeFileSync(path.join(dir, 'tsa.cnf'), [
    '[ tsa ]', 'default_tsa = tsa1', '[ tsa1 ]', `dir = ${dir}`, 'serial = $dir/serial', 'crypto_device = builtin', 'signer_cert = $dir/tsa.crt', 'signer_key = $dir/tsa.key',
    'signer_digest = sha256', 'default_policy = 1.3.6.1.4.1.99999.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1', 'ordering = yes', 'tsa_name = no',
    'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', 'certs = $dir/tsa.crt', '',
  ].join('\n'));
  let n = 0;
  const tsa: TestTsa = { url: '', cert: new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'tsa.crt'))), requests: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') { res.writeHead(400).end(); return; }
      const id = ++n;
      const q = path.join(dir, `q${id}.tsq`);
      const r = path.join(dir, `r${id}.tsr`);
      fs.writeFileSync(q, Buffer.concat(chunks));
      execFile('openssl', ['ts', '-reply', '-config', path.join(dir, 'tsa.cnf'), '-queryfile', q, '-out', r], (err) => {
        if (err) { res.writeHead(500).end(); return; }
        tsa.requests++;
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(fs.readFileSync(r));
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  tsa.close = () => new Promise<void>((ok) => server.close(() => { fs.rmSync(dir, { recursive: true, force: true }); ok(); }));
  return tsa;
}
