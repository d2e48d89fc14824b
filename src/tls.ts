import fs from 'node:fs';
import crypto from 'node:crypto';
import tls from 'node:tls';
import type { Config } from './config.ts';

/** A TLS file that cannot be used: said in one line at startup (server.ts turns it into a ListenError). */
export class TlsSetupError extends Error {}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(setting: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    throw new TlsSetupError(`${setting}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code})`);
  }
}

function certificates(setting: string, file: string, pem: Buffer): void {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (!blocks.length) throw new TlsSetupError(`${setting}: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const b of blocks) {
    try { new crypto.X509Certificate(b); } catch { throw new TlsSetupError(`${setting}: ${file} holds a certificate that cannot be read`); }
  }
}

/**
 * Fastify's `https` options from BANCHI_TLS_*: null without TLS. With a client CA the server asks
 * every connection for a certificate but lets it in without one (browsers, the API); the gateway
 * decides per agreement from the socket's `authorized` and the certificate's fingerprint.
 */
export function httpsOptions(config: Config): tls.TlsOptions | null {
  if (!config.tls) return null;
  const cert = readPem('BANCHI_TLS_CERT', config.tls.certFile);
  const key = readPem('BANCHI_TLS_KEY', config.tls.keyFile);
  certificates('BANCHI_TLS_CERT', config.tls.certFile, cert);
  const ca = config.tls.clientCaFile ? readPem('BANCHI_TLS_CLIENT_CA', config.tls.clientCaFile) : null;
  if (ca) certificates('BANCHI_TLS_CLIENT_CA', config.tls.clientCaFile, ca);
  const opts: tls.TlsOptions = { cert, key, ...(ca ? { ca, requestCert: true, rejectUnauthorized: false } : {}) };
  try {
    // Checked here so a wrong key is one line at startup, not a failure on the first connection.
    tls.createSecureContext(opts);
  } catch (e) {
    throw new TlsSetupError(`BANCHI_TLS_KEY: ${config.tls.keyFile} is not the private key of ${config.tls.certFile}, or cannot be read (${(e as Error).message.split('\n')[0]})`);
  }
  return opts;
}
