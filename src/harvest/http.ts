import { outboundFetch, OutboundError, readAtMost, type HostJudge } from '../util/outbound.ts';

/**
 * Outbound HTTP for harvesting: a time-out per request, a few requests per host at once,
 * redirects followed (at most MAX_REDIRECTS, http/https only, every hop's host judged and the
 * connection pinned to the judged address: src/util/outbound.ts) and the body capped while it
 * streams, so a hostile or broken source cannot hang a run or fill memory.
 */
export const MAX_REDIRECTS = 3;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
export const PER_HOST = 4;

export class HarvestHttpError extends Error {
  override name = 'HarvestHttpError';
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message);
    this.status = status;
  }
}

const slots = new Map<string, { busy: number; waiting: Array<() => void> }>();

async function acquire(host: string, limit: number): Promise<() => void> {
  let s = slots.get(host);
  if (!s) slots.set(host, (s = { busy: 0, waiting: [] }));
  const slot = s;
  if (slot.busy >= limit) await new Promise<void>((resolve) => slot.waiting.push(resolve));
  slot.busy++;
  return () => {
    slot.busy--;
    const next = slot.waiting.shift();
    if (next) next();
    else if (!slot.busy) slots.delete(host);
  };
}

export interface FetchOptions {
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
  perHost?: number;
  /** Judges every hop's addresses (redirects too), e.g. no private addresses for user-given URLs; none: any address (a sysadmin's own setting). */
  judge?: HostJudge;
  /**
   * The origin the credential headers (authorization, cookie) belong to; the first URL's by default.
   * A hop to any other origin (a redirect, or a page link the source gave) goes without them, as
   * WHATWG fetch does on redirects: a source must not be able to send its token to another host.
   */
  credentialOrigin?: string;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

function headersFor(target: URL, origin: string, headers: Record<string, string> = {}): Record<string, string> {
  if (target.origin === origin) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())));
}

export interface FetchResult {
  status: number;
  url: string;
  contentType: string;
  text: string;
}

export async function harvestFetch(url: string, opts: FetchOptions = {}): Promise<FetchResult> {
  const first = new URL(url);
  const origin = opts.credentialOrigin ?? first.origin;
  let last = first;
  const release = await acquire(first.host, opts.perHost ?? PER_HOST);
  try {
    const res = await outboundFetch(first, {
      method: opts.method ?? 'GET',
      body: opts.body,
      headers: (hop) => ((last = hop), { 'user-agent': 'banchi-harvester', accept: 'application/json, text/turtle, application/ld+json, application/rdf+xml;q=0.9, */*;q=0.5', ...headersFor(hop, origin, opts.headers) }),
      judge: opts.judge ?? null,
      maxRedirects: MAX_REDIRECTS,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    }).catch((e: unknown) => {
      if (e instanceof OutboundError) throw new HarvestHttpError(e.kind === 'redirects' ? `${url}: ${e.message}` : e.message);
      throw new HarvestHttpError(`${last.href}: ${e instanceof Error ? e.message : String(e)}`);
    });
    const text = await readCapped(res, opts.maxBytes ?? DEFAULT_MAX_BYTES, last.href).catch((e: unknown) => {
      if (e instanceof HarvestHttpError) throw e;
      throw new HarvestHttpError(`${last.href}: ${e instanceof Error ? e.message : String(e)}`);
    });
    return { status: res.status, url: last.href, contentType: res.headers.get('content-type') ?? '', text };
  } finally {
    release();
  }
}

async function readCapped(res: Response, max: number, url: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw new HarvestHttpError(`${url}: response larger than ${max} bytes`, res.status);
  }
  const body = await readAtMost(res, max);
  if (!body) throw new HarvestHttpError(`${url}: response larger than ${max} bytes`, res.status);
  return body.toString('utf8');
}
