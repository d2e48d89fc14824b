import crypto from 'node:crypto';

/**
 * Detached JWS over the exact response bytes: RFC 7515 appendix F (the payload is left out of the
 * serialisation: `header..signature`) with RFC 7797's unencoded payload (`b64: false`, listed in
 * `crit`), so the signing input is `BASE64URL(header) . body` and a receiver verifies the body as it
 * arrived, without re-encoding it. EdDSA with Ed25519 (RFC 8037).
 */
export const JWS_HEADER = 'x-jws-signature';
export const TIMESTAMP_HEADER = 'x-jws-timestamp';

export interface JwsHeader {
  alg: 'EdDSA';
  kid: string;
  b64: false;
  crit: ['b64'];
  [k: string]: unknown;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export function signDetached(body: Buffer, key: crypto.KeyObject, header: Omit<JwsHeader, 'alg' | 'b64' | 'crit'>): { jws: string; signature: Buffer } {
  const h = b64u(JSON.stringify({ alg: 'EdDSA', b64: false, crit: ['b64'], ...header }));
  const signature = crypto.sign(null, Buffer.concat([Buffer.from(`${h}.`), body]), key);
  return { jws: `${h}..${b64u(signature)}`, signature };
}

export interface JwkOkp { kty: string; crv?: string; x?: string; kid?: string }

export class JwsError extends Error {}

/** Checks a detached JWS over `body` against a key set; answers the protected header and the signature. */
export function verifyDetached(jws: string, body: Buffer, keys: JwkOkp[]): { header: JwsHeader; signature: Buffer } {
  const m = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(jws.trim());
  if (!m) throw new JwsError('not a detached compact JWS (header..signature)');
  let header: JwsHeader;
  try {
    header = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError('the protected header is not JSON');
  }
  if (header.alg !== 'EdDSA') throw new JwsError(`unexpected alg ${String(header.alg)}`);
  const crit: unknown[] = Array.isArray(header.crit) ? header.crit : [];
  if (crit.some((c) => c !== 'b64')) throw new JwsError('unknown critical header');
  const unencoded = header.b64 === false && crit.includes('b64');
  const jwk = keys.find((k) => k.kid === header.kid && k.kty === 'OKP' && k.crv === 'Ed25519');
  if (!jwk?.x) throw new JwsError(`no key ${String(header.kid)} in the key set`);
  const pub = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  const signature = Buffer.from(m[2]!, 'base64url');
  const input = Buffer.concat([Buffer.from(`${m[1]}.`), unencoded ? body : Buffer.from(body.toString('base64url'))]);
  if (!crypto.verify(null, input, pub, signature)) throw new JwsError('the signature does not match the body');
  return { header, signature };
}
