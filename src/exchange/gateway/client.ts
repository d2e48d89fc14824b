import crypto from 'node:crypto';
import type { Services } from '../../actions/context.ts';
import type { Actor } from '../../access/actor.ts';
import { runAction } from '../../actions/registry.ts';
import { JWS_HEADER, TIMESTAMP_HEADER, verifyDetached, type JwkOkp } from './jws.ts';
import { verifyTimestampToken } from './tsa.ts';

/**
 * The consumer side: calls a partner's banchi gateway, verifies the detached JWS over the exact
 * bytes against the partner's published key set (and the RFC 3161 stamp, when one is attached, with
 * the TSA certificates the caller trusts), and keeps what arrived in `exchange_receipts` through an
 * action, so the agency can later show what it received and from whom.
 */
export interface PartnerCall {
  /** The partner's site, e.g. https://data.dopa.go.th */
  baseUrl: string;
  /** The API token the partner issued to us. */
  token: string;
  /** Agreement id or number (AGR-…). */
  agreement: string;
  resourceId: string;
  purpose: string;
  params?: Record<string, string>;
  trustedTsa?: crypto.X509Certificate[];
  timeoutMs?: number;
  /** The largest answer accepted (default MAX_ANSWER_BYTES). */
  maxBytes?: number;
}

export class ExchangeClientError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(message: string, status = 0, body: unknown = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

const jwksCache = new Map<string, { keys: JwkOkp[]; at: number }>();

/** The most a partner's answer may be (10,000 rows of wide records fit well within it) and its key set. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const MAX_KEYS_BYTES = 256 * 1024;

/**
 * The body of a partner's response, read up to `max` bytes: the partner is another agency's server,
 * and a body without end (or a key set of gigabytes) must not fill this process's memory.
 */
async function readCapped(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new ExchangeClientError(`${what} is larger than ${max} bytes`, res.status);
  }
  const parts: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) {
        await res.body.cancel().catch(() => undefined);
        throw new ExchangeClientError(`${what} is larger than ${max} bytes`, res.status);
      }
      parts.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(parts);
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ExchangeClientError(`${what} is not JSON`);
  }
}

async function partnerKeys(baseUrl: string, fresh: boolean, timeoutMs: number): Promise<JwkOkp[]> {
  const hit = jwksCache.get(baseUrl);
  if (hit && !fresh && Date.now() - hit.at < 300_000) return hit.keys;
  const res = await fetch(`${baseUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new ExchangeClientError(`the partner's key set answered HTTP ${res.status}`, res.status);
  const keys = (parseJson(await readCapped(res, MAX_KEYS_BYTES, "the partner's key set"), "the partner's key set") as { keys?: JwkOkp[] } | null)?.keys;
  if (!Array.isArray(keys)) throw new ExchangeClientError("the partner's key set has no keys");
  jwksCache.set(baseUrl, { keys, at: Date.now() });
  return keys;
}

export interface PartnerAnswer {
  receipt_id: string;
  records: Record<string, unknown>[];
  fields: Array<{ id: string }>;
  call_id: string;
  kid: string;
  response_sha256: string;
  timestamp: Date | null;
}

export async function callPartner(services: Services, actor: Actor, call: PartnerCall): Promise<PartnerAnswer> {
  const base = call.baseUrl.replace(/\/+$/, '');
  const timeoutMs = call.timeoutMs ?? 10_000;
  const qs = new URLSearchParams({ purpose: call.purpose, ...(call.params ?? {}) });
  const url = `${base}/exchange/v1/agreements/${encodeURIComponent(call.agreement)}/resources/${encodeURIComponent(call.resourceId)}/records?${qs}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${call.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  const body = await readCapped(res, call.maxBytes ?? MAX_ANSWER_BYTES, "the partner's answer");
  if (!res.ok) {
    let parsed: unknown = null;
    try { parsed = JSON.parse(body.toString('utf8')); } catch { /* not JSON */ }
    throw new ExchangeClientError(`the partner gateway answered HTTP ${res.status}`, res.status, parsed);
  }
  const jws = res.headers.get(JWS_HEADER);
  if (!jws) throw new ExchangeClientError('the answer is not signed (no X-JWS-Signature)', res.status);
  let verified;
  try {
    verified = verifyDetached(jws, body, await partnerKeys(base, false, timeoutMs));
  } catch {
    // A key rotated since the cached copy: fetch the set once more, then judge.
    verified = verifyDetached(jws, body, await partnerKeys(base, true, timeoutMs));
  }
  const hash = crypto.hash('sha256', body, 'hex');
  const payload = (parseJson(body, "the partner's answer") ?? {}) as { agreement?: { id?: string; number?: string }; resource_id?: string; records?: Record<string, unknown>[]; fields?: Array<{ id: string }>; call_id?: string };
  if (payload.resource_id !== call.resourceId.toLowerCase() || (payload.agreement?.id !== call.agreement && payload.agreement?.number !== call.agreement)) {
    throw new ExchangeClientError('the signed answer is for another agreement or resource');
  }
  const stampB64 = res.headers.get(TIMESTAMP_HEADER);
  let stampTime: Date | null = null;
  if (stampB64) stampTime = verifyTimestampToken(Buffer.from(stampB64, 'base64'), verified.signature, { trusted: call.trustedTsa }).time;
  const records = Array.isArray(payload.records) ? payload.records : [];
  const receipt = await runAction<{ id: string }>(services, 'exchange_receipt_record', {
    partner_url: base, agreement: call.agreement, resource_id: call.resourceId, purpose: call.purpose, request_url: url, status: res.status,
    body: body.toString('utf8'), response_sha256: hash, jws, kid: String(verified.header.kid), verified: true,
    timestamp_token: stampB64, timestamp_time: stampTime?.toISOString() ?? null, row_count: records.length,
  }, { actor });
  return { receipt_id: receipt.id, records, fields: payload.fields ?? [], call_id: String(payload.call_id), kid: String(verified.header.kid), response_sha256: hash, timestamp: stampTime };
}
