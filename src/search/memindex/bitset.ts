/** Sets of row ordinals as bit arrays: a broad match at a million rows is 125 KB, combined word by word. */
export type Bits = Uint32Array<ArrayBuffer>;

export const words = (n: number): number => (n + 31) >>> 5;
export const empty = (n: number): Bits => new Uint32Array(words(n));

export function full(n: number): Bits {
  const b = new Uint32Array(words(n)).fill(0xffffffff);
  if (n & 31) b[b.length - 1] = (1 << (n & 31)) - 1;
  return b;
}

export const has = (b: Bits, i: number): boolean => (b[i >>> 5]! & (1 << (i & 31))) !== 0;
export const set = (b: Bits, i: number): void => {
  b[i >>> 5]! |= 1 << (i & 31);
};

export function and(a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

export function andInPlace(a: Bits, b: Bits): Bits {
  for (let i = 0; i < a.length; i++) a[i]! &= b[i]!;
  return a;
}

export function orInPlace(a: Bits, b: Bits): Bits {
  for (let i = 0; i < a.length; i++) a[i]! |= b[i]!;
  return a;
}

/** Everything of the n rows not in a. */
export function not(a: Bits, n: number): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = ~a[i]!;
  if (n & 31 && out.length) out[out.length - 1]! &= (1 << (n & 31)) - 1;
  return out;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function count(a: Bits): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i]) n += popcount(a[i]!);
  return n;
}

export function isEmpty(a: Bits): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]) return false;
  return true;
}

/** The members, rising. */
export function members(a: Bits): Int32Array {
  const out = new Int32Array(count(a));
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    let w = a[i]!;
    while (w) {
      const t = w & -w;
      out[k++] = (i << 5) + (31 - Math.clz32(t));
      w ^= t;
    }
  }
  return out;
}

/** A copy sized for n rows (rows appended since `a` was made are not in it). */
export function resized(a: Bits, n: number): Bits {
  if (a.length === words(n)) return a;
  const out = new Uint32Array(words(n));
  out.set(a.subarray(0, Math.min(a.length, out.length)));
  return out;
}
