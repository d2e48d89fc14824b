import net from 'node:net';
import { isPrivateAddress, judgedAddresses, type HostJudge } from './outbound.ts';

/**
 * Which hosts on private networks the sources an agency's staff configure may reach: data-integration
 * pulls (databases, CSV/JSON URLs) and citizen look-up connectors. Their addresses are typed by
 * editors and IT officers, not by the sysadmin, so without this a pull of `http://169.254.169.254/…`
 * or `postgresql://postgres@127.0.0.1/banchi` would read the server's own network (cloud metadata,
 * this very database) into a table the editor may read. Public addresses are always reachable; a
 * private, loopback or link-local one only when BANCHI_SOURCE_HOSTS names it: a host name
 * (`db.agency.local`), a suffix (`*.agency.local`), an address (`10.1.2.3`, `::1`) or a subnet
 * (`10.20.0.0/16`). A name is judged by every address it resolves to, at each connection and each
 * redirect hop.
 */
export interface SourceHosts {
  names: Set<string>;
  suffixes: string[];
  nets: net.BlockList;
}

export class SourceHostsError extends Error {}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

/** Parses the setting; a bad entry is a start-up error naming it. */
export function parseSourceHosts(raw: string | undefined): SourceHosts {
  const out: SourceHosts = { names: new Set(), suffixes: [], nets: new net.BlockList() };
  for (const entry of (raw ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const bare = entry.replace(/^\[(.+)\]$/, '$1');
    const cidr = /^(.+)\/(\d{1,3})$/.exec(bare);
    if (cidr && net.isIP(cidr[1]!)) {
      const kind = net.isIP(cidr[1]!) === 4 ? 'ipv4' : 'ipv6';
      const bits = Number(cidr[2]);
      if (bits > (kind === 'ipv4' ? 32 : 128)) throw new SourceHostsError(`BANCHI_SOURCE_HOSTS: "${entry}" is not a subnet`);
      out.nets.addSubnet(cidr[1]!, bits, kind);
    } else if (net.isIP(bare)) out.nets.addAddress(bare, net.isIP(bare) === 4 ? 'ipv4' : 'ipv6');
    else if (entry.startsWith('*.') && HOST_NAME.test(entry.slice(2))) out.suffixes.push(entry.slice(1));
    else if (HOST_NAME.test(entry)) out.names.add(entry);
    else throw new SourceHostsError(`BANCHI_SOURCE_HOSTS: "${entry}" is not a host name, *.suffix, address or subnet`);
  }
  return out;
}

const parsed = new Map<string, SourceHosts>();

function listOf(raw: string | undefined): SourceHosts {
  const key = raw ?? '';
  let list = parsed.get(key);
  if (!list) parsed.set(key, (list = parseSourceHosts(key)));
  return list;
}

function listedName(list: SourceHosts, host: string): boolean {
  return list.names.has(host) || list.suffixes.some((s) => host.endsWith(s));
}

function listedAddress(list: SourceHosts, ip: string): boolean {
  const kind = net.isIP(ip);
  return kind !== 0 && list.nets.check(ip, kind === 4 ? 'ipv4' : 'ipv6');
}

const judges = new Map<string, HostJudge>();

/**
 * The judge of a host under BANCHI_SOURCE_HOSTS (`allowed`, its raw text) for outboundFetch: a
 * private address passes when the setting names the host or lists the address. One per setting,
 * so kept-alive connections are shared only under the same rule.
 */
export function sourceHostsJudge(allowed: string | undefined): HostJudge {
  const key = allowed ?? '';
  let judge = judges.get(key);
  if (!judge) {
    const list = listOf(key);
    judge = (h, addrs) => {
      const named = !net.isIP(h) && listedName(list, h);
      const bad = addrs.find((a) => isPrivateAddress(a) && !named && !listedAddress(list, a));
      return bad ? `${h} is a private or loopback address (${bad}) that BANCHI_SOURCE_HOSTS does not list` : null;
    };
    judges.set(key, judge);
  }
  return judge;
}

/**
 * Why `host` may not be reached (it resolves to a private address the setting does not name, or does
 * not resolve), or null: for the forms that judge an address before any request, and the database
 * pulls. `allowed` is the raw BANCHI_SOURCE_HOSTS text.
 */
export async function refusedSourceHost(host: string, allowed: string | undefined, opts: { unresolved?: 'refuse' | 'allow' } = {}): Promise<string | null> {
  const judged = await judgedAddresses(host, sourceHostsJudge(allowed));
  if (!('refused' in judged)) return null;
  // A form judged before the host exists (a source set up ahead of its server) passes; the run checks again.
  return judged.unresolved && opts.unresolved === 'allow' ? null : judged.refused;
}

/** Thai and English for a source address refused when it is set up (the run's errors are the English reason). */
export function sourceHostMessage(reason: string): { th: string; en: string } {
  return { th: `เข้าถึงที่อยู่นี้ไม่ได้: อยู่ในเครือข่ายภายใน (private / loopback) ที่ผู้ดูแลระบบไม่ได้อนุญาตไว้ใน BANCHI_SOURCE_HOSTS (${reason})`, en: `This address may not be reached: ${reason}` };
}
