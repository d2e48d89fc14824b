/** Sets of row ordinals as bit arrays: a broad match at a million rows is 125 KB, combined word by word. */
export type Bits = Uint32Array<ArrayBuffer>;

export const words = (n: number): number => (n + 31) >>> 5;

/**
 * Buffers of one search, handed back when it ends (`withArena`): a search at a million rows
 * makes dozens of 125 KB sets, and fresh ArrayBuffers each time would make V8 run a full garbage
 * collection every few searches (external memory grows), which is what set the tail.
 */
let arena: Array<Uint32Array<ArrayBuffer> | Int32Array<ArrayBuffer>> | null = null;
const freeU32 = new Map<number, Array<Uint32Array<ArrayBuffer>>>();
const freeI32 = new Map<number, Array<Int32Array<ArrayBuffer>>>();
const MAX_FREE = 128;

export function u32(len: number, zero = true): Uint32Array<ArrayBuffer> {
  if (!arena) return new Uint32Array(len);
  const b = freeU32.get(len)?.pop();
  const out = b ? (zero ? b.fill(0) : b) : new Uint32Array(len);
  arena.push(out);
  return out;
}

export function i32(len: number, zero = true): Int32Array<ArrayBuffer> {
  if (!arena) return new Int32Array(len);
  const b = freeI32.get(len)?.pop();
  const out = b ? (zero ? b.fill(0) : b) : new Int32Array(len);
  arena.push(out);
  return out;
}

/** Runs fn (synchronous: nothing it made may be used after it returns, but what `keep` took). */
export function withArena<T>(fn: () => T): T {
  const prev = arena;
  const mine: NonNullable<typeof arena> = [];
  arena = mine;
  try {
    return fn();
  } finally {
    arena = prev;
    for (const b of mine) {
      const free = b instanceof Uint32Array ? freeU32 : freeI32;
      let list = free.get(b.length) as Array<typeof b> | undefined;
      if (!list) free.set(b.length, (list = []));
      if (list.length < MAX_FREE) list.push(b);
    }
  }
}

/** Takes a buffer out of the search's arena, for a cache that outlives it. */
export function keep<T extends Uint32Array<ArrayBuffer> | Int32Array<ArrayBuffer>>(b: T): T {
  const at = arena ? arena.lastIndexOf(b) : -1;
  if (at >= 0) arena!.splice(at, 1);
  return b;
}

export const empty = (n: number): Bits => u32(words(n));

export function copy(a: Bits): Bits {
  const out = u32(a.length, false);
  out.set(a);
  return out;
}

export function full(n: number): Bits {
  const b = u32(words(n), false).fill(0xffffffff);
  if (n & 31) b[b.length - 1] = (1 << (n & 31)) - 1;
  return b;
}

export const has = (b: Bits, i: number): boolean => (b[i >>> 5]! & (1 << (i & 31))) !== 0;
export const set = (b: Bits, i: number): void => {
  b[i >>> 5]! |= 1 << (i & 31);
};

export function and(a: Bits, b: Bits): Bits {
  const out = u32(a.length, false);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

export function or(a: Bits, b: Bits): Bits {
  const out = u32(a.length, false);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! | b[i]!;
  return out;
}

/** a without b. */
export function andNot(a: Bits, b: Bits): Bits {
  const out = u32(a.length, false);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & ~b[i]!;
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
  const out = u32(a.length, false);
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
export function members(a: Bits): Int32Array<ArrayBuffer> {
  // A view of a pooled buffer as large as the set could be.
  const out = i32(a.length * 32, false).subarray(0, count(a));
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
