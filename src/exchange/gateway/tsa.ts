import crypto from 'node:crypto';
import { bool, children, nul, octets, oid, read, readInt, readOid, readTime, seq, uint, DerError, type Node } from './der.ts';

/**
 * RFC 3161 time-stamping of gateway signatures. The request is built here in DER (version 1, the
 * SHA-256 imprint of the signature value, a random nonce, certReq), posted to the configured TSA,
 * and the token in its answer is checked (imprint, nonce, the TSA's CMS signature over its signed
 * attributes, the messageDigest of TSTInfo) before it is attached. `verifyTimestampToken` is what
 * a receiver runs, optionally with the TSA certificates it trusts.
 */
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_EKU_TIMESTAMPING = '1.3.6.1.5.5.7.3.8';
const DIGESTS: Record<string, string> = { '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512', '1.3.14.3.2.26': 'sha1' };
const SIG_DIGEST: Record<string, string | null> = {
  '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512', '1.3.101.112': null,
};

export class TimestampError extends Error {}

export function timestampRequest(imprint: Buffer, nonce: Buffer): Buffer {
  return seq(uint(1), seq(seq(oid(OID_SHA256), nul()), octets(imprint)), uint(nonce), bool(true));
}

/** Asks the TSA for a token over sha256(data); answers the token (DER ContentInfo) and its time. */
export async function timestamp(url: string, data: Buffer, timeoutMs = 5000): Promise<{ token: Buffer; time: Date }> {
  const imprint = crypto.hash('sha256', data, 'buffer');
  const nonce = crypto.randomBytes(8);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' }, body: timestampRequest(imprint, nonce), signal: AbortSignal.timeout(timeoutMs) });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new TimestampError(`the TSA answered HTTP ${res.status}`);
  let token: Buffer;
  try {
    const resp = children(read(body));
    const status = Number(readInt(children(resp[0]!)[0]!));
    if (status !== 0 && status !== 1) throw new TimestampError(`the TSA refused the request (PKIStatus ${status})`);
    if (!resp[1]) throw new TimestampError('the TSA answered no token');
    token = Buffer.from(resp[1].raw);
  } catch (e) {
    if (e instanceof TimestampError) throw e;
    throw new TimestampError(`unreadable TSA answer: ${(e as Error).message}`);
  }
  const checked = verifyTimestampToken(token, data, { nonce });
  return { token, time: checked.time };
}

export interface TokenFacts {
  time: Date;
  serial: bigint;
  policy: string;
  signer: crypto.X509Certificate;
}

/** Checks a token stamps sha256(data): imprint, signature, messageDigest, and (given) nonce and trusted TSA certificates. */
export function verifyTimestampToken(token: Buffer, data: Buffer, opts: { nonce?: Buffer; trusted?: crypto.X509Certificate[] } = {}): TokenFacts {
  try {
    const ci = children(read(token));
    if (readOid(ci[0]!) !== OID_SIGNED_DATA || ci[1]?.tag !== 0xa0) throw new TimestampError('not a CMS SignedData');
    const sd = children(children(ci[1])[0]!);
    const encap = children(sd[2]!);
    if (readOid(encap[0]!) !== OID_TST_INFO) throw new TimestampError('the token does not carry a TSTInfo');
    const tstDer = children(encap[1]!)[0]!.content;
    const tst = children(read(tstDer));
    const policy = readOid(tst[1]!);
    const mi = children(tst[2]!);
    const miAlg = readOid(children(mi[0]!)[0]!);
    const miDigest = DIGESTS[miAlg];
    if (!miDigest) throw new TimestampError(`unknown imprint algorithm ${miAlg}`);
    if (!mi[1]!.content.equals(crypto.hash(miDigest, data, 'buffer'))) throw new TimestampError('the token stamps other data');
    const serial = readInt(tst[3]!);
    const time = readTime(tst[4]!);
    const nonceNode = tst.slice(5).find((n) => n.tag === 0x02);
    if (opts.nonce && (!nonceNode || readInt(nonceNode) !== BigInt(`0x${opts.nonce.toString('hex')}`))) throw new TimestampError('the token answers another request (nonce)');
    const certs = sd.filter((n) => n.tag === 0xa0).flatMap((n) => children(n)).map((c) => new crypto.X509Certificate(c.raw));
    const signerInfos = children(sd[sd.length - 1]!);
    const si = children(signerInfos[0]!);
    const digestAlg = DIGESTS[readOid(children(si[2]!)[0]!)];
    const attrs = si.find((n) => n.tag === 0xa0);
    if (!digestAlg || !attrs) throw new TimestampError('the signer info lacks signed attributes');
    const md = children(attrs).map((a) => children(a)).find((a) => readOid(a[0]!) === OID_MESSAGE_DIGEST);
    if (!md || !children(md[1]!)[0]!.content.equals(crypto.hash(digestAlg, tstDer, 'buffer'))) throw new TimestampError('the signed messageDigest does not match TSTInfo');
    const idx = si.indexOf(attrs);
    const sigAlg = readOid(children(si[idx + 1]!)[0]!);
    const sig = si[idx + 2]!.content;
    const signed = Buffer.concat([Buffer.from([0x31]), attrs.raw.subarray(1)]);
    const hash = sigAlg in SIG_DIGEST ? SIG_DIGEST[sigAlg]! : digestAlg;
    const signer = certs.find((c) => {
      try {
        return crypto.verify(c.publicKey.asymmetricKeyType === 'ed25519' ? null : hash, signed, c.publicKey, sig);
      } catch {
        return false;
      }
    });
    if (!signer) throw new TimestampError('the TSA signature does not verify with the certificates in the token');
    if (!(signer.keyUsage ?? []).includes(OID_EKU_TIMESTAMPING)) throw new TimestampError('the signing certificate is not for time-stamping');
    if (opts.trusted && !opts.trusted.some((t) => t.fingerprint256 === signer.fingerprint256 || (signer.checkIssued(t) && signer.verify(t.publicKey)))) throw new TimestampError('the TSA is not trusted');
    return { time, serial, policy, signer };
  } catch (e) {
    if (e instanceof TimestampError) throw e;
    if (e instanceof DerError || e instanceof TypeError || e instanceof RangeError || e instanceof Error) throw new TimestampError(`unreadable timestamp token: ${e.message}`);
    throw e;
  }
}

export type { Node };
