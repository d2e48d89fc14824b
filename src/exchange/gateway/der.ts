/**
 * A small DER writer and reader: enough ASN.1 for RFC 3161 requests, responses and the CMS
 * SignedData inside a timestamp token. Lengths and tags are checked; nothing is read past its element.
 */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
export const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
export const octets = (b: Buffer) => tlv(0x04, b);
export const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
export const nul = () => Buffer.from([0x05, 0x00]);

/** A non-negative INTEGER from big-endian bytes (a 0x00 is prefixed when the top bit is set). */
export function uint(bytes: Buffer | number): Buffer {
  let b = typeof bytes === 'number' ? Buffer.from([bytes]) : bytes;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && !(b[i + 1]! & 0x80)) i++;
  b = b.subarray(i);
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

export interface Node {
  tag: number;
  /** The whole element (tag, length, content). */
  raw: Buffer;
  content: Buffer;
}

export class DerError extends Error {}

export function read(buf: Buffer, at = 0): Node {
  if (at + 2 > buf.length) throw new DerError('truncated element');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here');
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new DerError('element longer than its container');
  return { tag, raw: buf.subarray(at, p + len), content: buf.subarray(p, p + len) };
}

/** The elements inside a constructed element. */
export function children(n: Node): Node[] {
  const out: Node[] = [];
  for (let at = 0; at < n.content.length; ) {
    const c = read(n.content, at);
    out.push(c);
    at += c.raw.length;
  }
  return out;
}

export function readOid(n: Node): string {
  if (n.tag !== 0x06) throw new DerError('expected an OBJECT IDENTIFIER');
  const b = n.content;
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) { parts.push(v); v = 0; }
  }
  return parts.join('.');
}

export function readInt(n: Node): bigint {
  if (n.tag !== 0x02) throw new DerError('expected an INTEGER');
  return BigInt(`0x${n.content.toString('hex') || '0'}`);
}

/** GeneralizedTime (YYYYMMDDHHMMSS[.fff]Z) as a Date. */
export function readTime(n: Node): Date {
  if (n.tag !== 0x18) throw new DerError('expected a GeneralizedTime');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(n.content.toString('latin1'));
  if (!m) throw new DerError('bad GeneralizedTime');
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`);
}
