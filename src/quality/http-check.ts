import dns from 'node:dns/promises';
import net from 'node:net';

/**
 * One link check: HEAD, then GET with a byte limit when HEAD is refused; a time-out per request;
 * at most PER_HOST requests per host and `concurrency` in all at once; redirects followed by hand
 * (at most MAX_REDIRECTS), and never into a private, loopback or link-local address unless the
 * configuration allows it (a resource link must not make the server probe its own network).
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

/** Private, loopback, link-local, unique-local, CGNAT and unspecified addresses (IPv4 and IPv6, mapped IPv4 too). */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1]!);
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  const x = ip.toLowerCase();
  return x === '::' || x === '::1' || x.startsWith('fe8') || x.startsWith('fe9') || x.startsWith('fea') || x.startsWith('feb') || x.startsWith('fc') || x.startsWith('fd') || x.startsWith('ff');
}

/** Why a URL's host may not be fetched (it resolves to a private or loopback address, or not at all), or null. */
export async function refusedHost(url: URL): Promise<string | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addrs = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addrs.length) return `cannot resolve ${host}`;
  if (addrs.some(isPrivateAddress)) return `refused: ${host} is a private or loopback address`;
  return null;
}

function failure(e: unknown, status: number | null = null): CheckResult {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return { status: 'timeout', http_status: status, error: 'timed out' };
  return { status: 'broken', http_status: status, error: String(err?.cause?.code ?? err?.cause?.message ?? err?.message ?? e).slice(0, 500) };
}

async function request(url: URL, method: 'HEAD' | 'GET', timeoutMs: number): Promise<Response> {
  const res = await fetch(url, { method, redirect: 'manual', headers: { 'user-agent': 'banchi-linkcheck', accept: '*/*' }, signal: AbortSignal.timeout(timeoutMs) });
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

/** Follows redirects by hand from `start`; each hop's host is checked before it is asked. */
async function follow(start: URL, method: 'HEAD' | 'GET', opts: CheckOptions): Promise<Response | CheckResult> {
  let current = start;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') return { status: 'broken', http_status: null, error: `unsupported scheme ${current.protocol}` };
    if (!opts.allowPrivate) {
      const refused = await refusedHost(current);
      if (refused) return { status: 'broken', http_status: null, error: refused };
    }
    const release = await perHost(current.host);
    let res: Response;
    try {
      res = await request(current, method, opts.timeoutMs);
    } finally {
      release();
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      if (hop >= MAX_REDIRECTS) return { status: 'broken', http_status: res.status, error: `more than ${MAX_REDIRECTS} redirects` };
      current = new URL(location, current);
      continue;
    }
    return res;
  }
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
