import { outboundFetch, OutboundError, publicOnly } from '../util/outbound.ts';

export { isPrivateAddress } from '../util/outbound.ts';

/**
 * One link check: HEAD, then GET with a byte limit when HEAD is refused; a time-out per request;
 * at most PER_HOST requests per host and `concurrency` in all at once; redirects followed (at most
 * MAX_REDIRECTS) by src/util/outbound.ts, never into a private, loopback or link-local address unless
 * the configuration allows it (a resource link must not make the server probe its own network).
 */
export const PER_HOST = 2;
export const MAX_REDIRECTS = 5;
export const GET_BYTES = 64 * 1024;

export interface CheckOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface CheckResult {
  status: 'ok' | 'broken' | 'timeout';
  http_status: number | null;
  error: string;
}

class Limiter {
  busy = 0;
  waiting: Array<() => void> = [];
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  async acquire(): Promise<() => void> {
    if (this.busy >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy++;
    return () => {
      this.busy--;
      this.waiting.shift()?.();
    };
  }
}

const hosts = new Map<string, Limiter>();

async function perHost(host: string): Promise<() => void> {
  let l = hosts.get(host);
  if (!l) hosts.set(host, (l = new Limiter(PER_HOST)));
  const limiter = l;
  const release = await limiter.acquire();
  return () => {
    release();
    if (!limiter.busy && !limiter.waiting.length) hosts.delete(host);
  };
}

let global: Limiter | null = null;
function globalLimiter(cap: number): Limiter {
  if (!global || global.limit !== cap) global = new Limiter(cap);
  return global;
}

function failure(e: unknown, status: number | null = null): CheckResult {
  const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return { status: 'timeout', http_status: status, error: 'timed out' };
  return { status: 'broken', http_status: status, error: String(err?.code ?? err?.cause?.code ?? err?.cause?.message ?? err?.message ?? e).slice(0, 500) };
}

/** HEAD or GET from `url`, redirects followed (every hop judged, the per-host limit held for each hop's request); a GET reads a few bytes only. */
async function follow(url: URL, method: 'HEAD' | 'GET', opts: CheckOptions): Promise<Response | CheckResult> {
  let res: Response;
  try {
    res = await outboundFetch(url, {
      method, headers: { 'user-agent': 'banchi-linkcheck', accept: '*/*' }, judge: opts.allowPrivate ? null : publicOnly,
      maxRedirects: MAX_REDIRECTS, hopTimeoutMs: opts.timeoutMs, slot: (u) => perHost(u.host),
    });
  } catch (e) {
    if (e instanceof OutboundError) return { status: 'broken', http_status: e.kind === 'redirects' ? e.status : null, error: e.message };
    throw e;
  }
  if (method === 'GET' && res.body) {
    // Enough bytes to know it answers; the rest is not read.
    let size = 0;
    const reader = res.body.getReader();
    try {
      while (size < GET_BYTES) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  } else await res.body?.cancel().catch(() => undefined);
  return res;
}

export async function checkUrl(raw: string, opts: CheckOptions & { concurrency: number }): Promise<CheckResult> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { status: 'broken', http_status: null, error: 'not a valid URL' };
  }
  const release = await globalLimiter(opts.concurrency).acquire();
  try {
    let res = await follow(url, 'HEAD', opts);
    if (res instanceof Response && res.status >= 400) {
      // Many servers refuse or mishandle HEAD: ask again with a GET that reads a few bytes.
      res = await follow(url, 'GET', opts);
    }
    if (!(res instanceof Response)) return res;
    return res.status >= 200 && res.status < 300 ? { status: 'ok', http_status: res.status, error: '' } : { status: 'broken', http_status: res.status, error: res.statusText || `HTTP ${res.status}` };
  } catch (e) {
    return failure(e);
  } finally {
    release();
  }
}
