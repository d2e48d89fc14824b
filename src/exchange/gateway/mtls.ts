import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../../config.ts';
import { plainAddress } from '../../config.ts';
import type { Tx } from '../../store/db.ts';
import { ValidationError } from '../../actions/errors.ts';

/** Mutual TLS for the gateway: fingerprints, reading a registered certificate, and which certificate a call came with. */

/** Upper-case hex with colons (Node's fingerprint256); also accepts lower case and no colons; null when not a SHA-256. */
export function normaliseFingerprint(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const hex = v.trim().replace(/:/g, '').toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex.match(/../g)!.join(':') : null;
}

export interface CertInfo {
  fingerprint: string;
  subject: string;
  issuer: string;
  serial: string;
  not_before: Date;
  not_after: Date;
}

const MAX_PEM = 20_000;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/** One PEM certificate as the server reads it: the fingerprint is computed here, never taken from the caller. */
export function readCertificate(pem: unknown, now: Date): CertInfo {
  const field = (th: string, en: string) => ValidationError.field('certificate', { th, en });
  if (typeof pem !== 'string' || !pem.trim()) throw field('กรุณาวางใบรับรองของเครื่องลูกข่าย (PEM: -----BEGIN CERTIFICATE-----)', 'Paste the client certificate (PEM: -----BEGIN CERTIFICATE-----)');
  if (pem.length > MAX_PEM) throw field(`ใบรับรองยาวเกิน ${MAX_PEM} ตัวอักษร`, `The certificate is longer than ${MAX_PEM} characters`);
  const kinds = [...pem.matchAll(PEM_BLOCK)].map((m) => m[1]);
  // A private key pasted by mistake is refused (and never stored or echoed).
  if (kinds.some((k) => k!.includes('PRIVATE KEY'))) throw field('ห้ามส่งกุญแจส่วนตัว (private key) ส่งเฉพาะใบรับรอง', 'Never send the private key; send the certificate only');
  if (kinds.length !== 1 || kinds[0] !== 'CERTIFICATE') throw field('ต้องเป็นใบรับรอง X.509 หนึ่งใบในรูปแบบ PEM', 'Must be one X.509 certificate in PEM form');
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(pem.trim());
  } catch {
    throw field('อ่านใบรับรองไม่ได้ (ไม่ใช่ใบรับรอง X.509 ในรูปแบบ PEM)', 'Cannot read the certificate (not an X.509 certificate in PEM form)');
  }
  const notAfter = new Date(cert.validTo);
  if (!(notAfter > now)) throw field(`ใบรับรองหมดอายุแล้ว (${notAfter.toISOString()})`, `The certificate has expired (${notAfter.toISOString()})`);
  return { fingerprint: cert.fingerprint256, subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '), serial: cert.serialNumber, not_before: new Date(cert.validFrom), not_after: notAfter };
}

export async function listClientCerts(db: Tx, agreementId: string): Promise<Array<{ fingerprint: string; subject: string; issuer: string; not_before: string; not_after: string; added: string }>> {
  const rows = await db.selectFrom('agreement_client_certs').select(['fingerprint', 'subject', 'issuer', 'not_before', 'not_after', 'added']).where('agreement_id', '=', agreementId).orderBy('added').orderBy('fingerprint').execute();
  return rows.map((r) => ({ ...r, not_before: new Date(r.not_before).toISOString(), not_after: new Date(r.not_after).toISOString(), added: new Date(r.added).toISOString() }));
}

/**
 * The verified client certificate a call came with: the TLS socket's own, when it verified against
 * BANCHI_TLS_CLIENT_CA; else, from a proxy that terminated TLS, its header, believed only when the
 * socket's address is one of BANCHI_TRUSTED_PROXIES (the socket's, never X-Forwarded-For).
 */
export function verifiedClientCert(req: IncomingMessage, config: Config): { fingerprint: string; via: 'tls' | 'proxy' } | null {
  const sock = req.socket as Partial<TLSSocket>;
  if (typeof sock.getPeerCertificate === 'function' && sock.authorized === true) {
    const fp = normaliseFingerprint(sock.getPeerCertificate()?.fingerprint256);
    if (fp) return { fingerprint: fp, via: 'tls' };
  }
  const proxies = config.trustedProxies ?? [];
  const from = req.socket.remoteAddress;
  if (!proxies.length || !from || !proxies.includes(plainAddress(from))) return null;
  const header = req.headers[config.clientCertHeader ?? 'x-client-cert-fingerprint'];
  const fp = normaliseFingerprint(Array.isArray(header) ? undefined : header);
  return fp ? { fingerprint: fp, via: 'proxy' } : null;
}
