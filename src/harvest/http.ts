/**
 * Outbound HTTP for harvesting: a time-out per request, a few requests per host at once,
 * redirects followed by hand (at most MAX_REDIRECTS, http/https only) and the body capped while it
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
  /** Asked before every hop (redirects too): a reason to refuse the address, or null (e.g. no private addresses for user-given URLs). */
  checkHost?: (url: URL) => Promise<string | null>;
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
  let current = new URL(url);
  const origin = opts.credentialOrigin ?? current.origin;
  const release = await acquire(current.host, opts.perHost ?? PER_HOST);
  try {
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new HarvestHttpError(`unsupported scheme ${current.protocol}`);
      const refused = opts.checkHost ? await opts.checkHost(current) : null;
      if (refused) throw new HarvestHttpError(refused);
      const res = await fetch(current, {
        method: opts.method ?? 'GET',
        body: opts.body,
        headers: { 'user-agent': 'banchi-harvester', accept: 'application/json, text/turtle, application/ld+json, application/rdf+xml;q=0.9, */*;q=0.5', ...headersFor(current, origin, opts.headers) },
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      }).catch((e: unknown) => {
        throw new HarvestHttpError(`${current.href}: ${e instanceof Error ? e.message : String(e)}`);
      });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new HarvestHttpError(`${url}: more than ${MAX_REDIRECTS} redirects`);
        current = new URL(res.headers.get('location')!, current);
        continue;
      }
      const text = await readCapped(res, opts.maxBytes ?? DEFAULT_MAX_BYTES, current.href);
      return { status: res.status, url: current.href, contentType: res.headers.get('content-type') ?? '', text };
    }
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
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new HarvestHttpError(`${url}: response larger than ${max} bytes`, res.status);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
