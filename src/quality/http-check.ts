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

/**
 * Addresses no editor's URL may reach: private, loopback, link-local, CGNAT, multicast/reserved and
 * unspecified IPv4; IPv6 loopback, unspecified, link-local, unique-local, multicast, and every
 * IPv6 form that carries an IPv4 address (IPv4-mapped ::ffff:0:0/96 by the IPv4 rules, the old IPv4-compatible ::/96,
 * NAT64 64:ff9b::/96 and 64:ff9b:1::/48). Judged by node's BlockList on the parsed address, so
 * every spelling of one address answers alike: a URL's [::ffff:127.0.0.1] is serialised by the URL
 * parser as [::ffff:7f00:1], which a check on the text let through to loopback.
 */
const PRIVATE = new net.BlockList();
for (const [net4, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(net4, bits, 'ipv4');
// IPv4-mapped addresses (::ffff:0:0/96) are judged by the IPv4 rules above: BlockList maps them itself.
for (const [net6, bits] of [['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['fe80::', 10], ['fc00::', 7], ['ff00::', 8]] as const) PRIVATE.addSubnet(net6, bits, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const kind = net.isIP(ip);
  // Not an address at all (a resolver never answers so): refused, deny by default.
  if (!kind) return true;
  return PRIVATE.check(ip, kind === 4 ? 'ipv4' : 'ipv6');
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
