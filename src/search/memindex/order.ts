/**
 * Orders as PostgreSQL's C / C.UTF-8 collations do: by code point. JavaScript compares UTF-16
 * units, which differs only where a character beyond U+FFFF (a surrogate pair) meets one in
 * U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return fix(x) - fix(y);
    return x - y;
  }
  return a.length - b.length;
}

// Surrogates after U+E000–U+FFFF, as the code points they make up are.
const fix = (u: number): number => (u >= 0xd800 && u <= 0xdfff ? u + 0x2000 : u >= 0xe000 ? u - 0x800 : u);

/** The first k of `rows` by `cmp`, in order: a bounded heap when k is small, a sort otherwise. */
export function topK(rows: Int32Array, k: number, cmp: (a: number, b: number) => number): number[] {
  if (k <= 0) return [];
  if (k * 8 >= rows.length) return Array.from(rows).sort(cmp).slice(0, k);
  // Max-heap of the best k seen: its root is the worst of them.
  const heap: number[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(heap[i]!, heap[p]!) <= 0) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && cmp(heap[l]!, heap[m]!) > 0) m = l;
      if (r < heap.length && cmp(heap[r]!, heap[m]!) > 0) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const r of rows) {
    if (heap.length < k) {
      heap.push(r);
      up(heap.length - 1);
    } else if (cmp(r, heap[0]!) < 0) {
      heap[0] = r;
      down(0);
    }
  }
  return heap.sort(cmp);
}
