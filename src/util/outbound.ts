import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';

/**
 * Every request this server makes to an address an agency or a user gave (harvest sources, data
 * integration URL pulls, citizen look-up connectors, the link checker, area references) goes
 * through here: the host's name is resolved ONCE, every address it gives is judged, and the
 * connection goes to an address that was judged (a `lookup` that answers it), the Host header and
 * the TLS server name staying the name. Judging one resolution and connecting by name let a name
 * that answers a public address to the check and 127.0.0.1 to the connect (DNS rebinding) reach
 * this server's own network. Redirects are followed here, each hop judged the same way.
 */

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

/** A host name's addresses (none: it does not resolve). */
export type Resolver = (host: string) => Promise<string[]>;
const systemResolver: Resolver = async (host) => (await dns.lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
let resolver: Resolver = systemResolver;

/** Test seam: every outbound name resolves through `r` until the returned function is called. */
export function useResolver(r: Resolver): () => void {
  resolver = r;
  return () => void (resolver = systemResolver);
}

/** Why `host` (a bare name or address) with these addresses may not be reached, or null. */
export type HostJudge = (host: string, addresses: string[]) => string | null;

/** Public addresses only (links editors give; no setting lifts it per host). */
export const publicOnly: HostJudge = (host, addresses) => (addresses.some(isPrivateAddress) ? `refused: ${host} is a private or loopback address` : null);

export const bareHost = (host: string) => host.replace(/^\[(.+)\]$/, '$1').toLowerCase().replace(/\.$/, '');

/** Resolves `host` once and judges every address: the addresses to connect to, or why not. */
export async function judgedAddresses(host: string, judge: HostJudge | null): Promise<{ addresses: string[] } | { refused: string; unresolved?: true }> {
  const h = bareHost(host);
  if (!h) return { refused: 'no host' };
  const addresses = net.isIP(h) ? [h] : await resolver(h);
  if (!addresses.length) return { refused: `cannot resolve ${h}`, unresolved: true };
  const refused = judge ? judge(h, addresses) : null;
  return refused ? { refused } : { addresses };
}

export type OutboundFailure = 'refused' | 'scheme' | 'redirects' | 'bad_redirect' | 'bad_answer';

/** An address refused, a redirect chain too long or broken: `reason` is the bare English cause, `url` the hop it met. */
export class OutboundError extends Error {
  override name = 'OutboundError';
  readonly kind: OutboundFailure;
  readonly url: string;
  readonly status: number | null;
  constructor(kind: OutboundFailure, message: string, url: string, status: number | null = null) {
    super(message);
    this.kind = kind;
    this.url = url;
    this.status = status;
  }
}

export interface OutboundOptions {
  method?: string;
  /** Per hop, so a caller can drop credentials on a hop to another origin. */
  headers?: Record<string, string> | ((url: URL) => Record<string, string>);
  body?: string;
  /** null: any address (a sysadmin's own setting, or BANCHI_*_ALLOW_PRIVATE); still resolved once and pinned. */
  judge: HostJudge | null;
  /** Redirects followed (each hop judged); 0 answers a 3xx as it is. */
  maxRedirects: number;
  signal?: AbortSignal;
  /** Each hop's own time-out (its answer's body too), counted once its slot is held. */
  hopTimeoutMs?: number;
  /** Asked before each hop, released when its answer's headers are in (per-host limits). */
  slot?: (url: URL) => Promise<() => void>;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/** One hop to `url`, connected to `addresses` (judged already); the answer as a WHATWG Response. */
function send(url: URL, addresses: string[], opts: OutboundOptions, headers: Record<string, string>): Promise<Response> {
  const secure = url.protocol === 'https:';
  // Only judged addresses are ever connected to; an IPv4 one first, as the system resolver orders them.
  const pinned = [...addresses].sort((x, y) => net.isIP(x) - net.isIP(y));
  const lookup = ((_name: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (o?.all) cb(null, pinned.map((address) => ({ address, family: net.isIP(address) })));
    else cb(null, pinned[0], net.isIP(pinned[0]!));
  }) as unknown as net.LookupFunction;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({
      protocol: url.protocol, host: bareHost(url.hostname), port: url.port || (secure ? 443 : 80), path: `${url.pathname}${url.search}`,
      method: opts.method ?? 'GET', headers: { host: url.host, ...headers },
      // A connection of its own: one kept alive would carry an earlier hop's judgement (and an aborted one's state) to the next.
      agent: false, lookup,
      servername: net.isIP(bareHost(url.hostname)) ? undefined : bareHost(url.hostname), signal: opts.signal,
    }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        res.destroy();
        return reject(new OutboundError('bad_answer', `${url.href} answered HTTP ${status}`, url.href, status));
      }
      const h = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        try {
          h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        } catch {
          /* a header WHATWG rejects is dropped, as fetch does */
        }
      }
      const empty = NULL_BODY.has(status) || opts.method === 'HEAD';
      if (empty) res.resume();
      // A reason phrase WHATWG cannot hold (outside Latin-1) would throw here: the answer goes without it.
      const statusText = /^[\t\x20-\x7e\x80-\xff]*$/.test(res.statusMessage ?? '') ? (res.statusMessage ?? '') : '';
      resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText, headers: h }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * GET (or opts.method) `start`, following at most opts.maxRedirects redirects, every hop's host
 * resolved once, judged and connected to as judged. Throws OutboundError for a refusal, a network
 * error (its `code`) or the signal's reason as it comes.
 */
export async function outboundFetch(start: string | URL, opts: OutboundOptions): Promise<Response> {
  let current = typeof start === 'string' ? new URL(start) : start;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new OutboundError('scheme', `unsupported scheme ${current.protocol}`, current.href);
    const judged = await judgedAddresses(current.hostname, opts.judge);
    if ('refused' in judged) throw new OutboundError('refused', judged.refused, current.href);
    const release = opts.slot ? await opts.slot(current) : () => undefined;
    let res: Response;
    try {
      const signals = [opts.signal, opts.hopTimeoutMs ? AbortSignal.timeout(opts.hopTimeoutMs) : undefined].filter((x) => x !== undefined);
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      signal?.throwIfAborted();
      res = await send(current, judged.addresses, { ...opts, signal }, typeof opts.headers === 'function' ? opts.headers(current) : (opts.headers ?? {}));
    } finally {
      release();
    }
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (!location || opts.maxRedirects === 0) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop >= opts.maxRedirects) throw new OutboundError('redirects', `more than ${opts.maxRedirects} redirects`, current.href, res.status);
    try {
      current = new URL(location, current);
    } catch {
      throw new OutboundError('bad_redirect', `${current.href} redirects to an address that is not a URL`, current.href, res.status);
    }
  }
}

/** A body read to its end, or null once it passes `max` bytes (the rest is not read). */
export async function readAtMost(res: Response, max: number): Promise<Buffer | null> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}
