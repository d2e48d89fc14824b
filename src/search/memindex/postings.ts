/**
 * Posting lists of the search documents: for each lexeme, the documents (row ordinals, rising)
 * that hold it, a mask of the weights it has there, and its packed positions (tsvector.ts).
 *
 * The base segment is built once from a full load into flat typed arrays (a million catalog
 * entries fit in a few hundred megabytes); rows written since go to a small segment that grows
 * in place (`DeltaPostings`), read the same way through `Segment`.
 */
import { readTsvector } from './tsvector.ts';

/** One lexeme's postings: docs[lo..hi) rising, positions of posting s at positions[posStart[s] .. posStart[s + 1]). */
export interface PostingRange {
  docs: ArrayLike<number>;
  wmask: ArrayLike<number>;
  posStart: ArrayLike<number>;
  positions: ArrayLike<number>;
  lo: number;
  hi: number;
}

/** What a search asks a segment: the postings of the lexemes `word` names (a prefix with `prefix`). */
export interface Segment {
  ranges(word: string, prefix: boolean): PostingRange[];
}

/** Sets, for each weight w (D=0 … A=3), the documents where a position of a matching lexeme has it. */
export function weightSets(segments: Segment[], word: string, prefix: boolean, out: [Uint32Array, Uint32Array, Uint32Array, Uint32Array]): void {
  const [d, c, b, a] = out;
  for (const seg of segments)
    for (const r of seg.ranges(word, prefix)) {
      const { docs, wmask } = r;
      for (let s = r.lo; s < r.hi; s++) {
        const m = wmask[s]!;
        const doc = docs[s]!;
        const bit = 1 << (doc & 31);
        const at = doc >>> 5;
        if (m & 1) d[at]! |= bit;
        if (m & 2) c[at]! |= bit;
        if (m & 4) b[at]! |= bit;
        if (m & 8) a[at]! |= bit;
      }
    }
}

class GrowI32 {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

class GrowU16 {
  a = new Uint16Array(4096);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint16Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

const weightMask = (positions: ArrayLike<number>, from: number, to: number): number => {
  let m = 0;
  for (let i = from; i < to; i++) m |= 1 << (positions[i]! >> 14);
  return m;
};

/** Collects documents in ordinal order, then inverts them into a `BasePostings`. */
export class PostingsBuilder {
  private ids = new Map<string, number>();
  private words: string[] = [];
  private docStart = new GrowI32();
  private fwdLex = new GrowI32();
  private fwdPosEnd = new GrowI32();
  private fwdPos = new GrowU16();
  docs = 0;

  /** Adds the next document (ordinal = the number added before it). */
  addText(tsvector: string): void {
    this.docStart.push(this.fwdLex.n);
    readTsvector(tsvector, (word, positions) => {
      let id = this.ids.get(word);
      if (id === undefined) {
        id = this.words.length;
        this.ids.set(word, id);
        this.words.push(word);
      }
      this.fwdLex.push(id);
      for (const p of positions) this.fwdPos.push(p);
      this.fwdPosEnd.push(this.fwdPos.n);
    });
    this.docs++;
  }

  build(): BasePostings {
    this.docStart.push(this.fwdLex.n);
    const L = this.words.length;
    // Lexemes in sorted order, so a prefix is one contiguous range.
    const order = Array.from({ length: L }, (_, i) => i).sort((a, b) => (this.words[a]! < this.words[b]! ? -1 : this.words[a]! > this.words[b]! ? 1 : 0));
    const rank = new Int32Array(L);
    order.forEach((id, r) => (rank[id] = r));
    const words = order.map((id) => this.words[id]!);
    const P = this.fwdLex.n;
    const lexCount = new Int32Array(L + 1);
    const lexPosCount = new Float64Array(L + 1);
    for (let p = 0, prevEnd = 0; p < P; p++) {
      const r = rank[this.fwdLex.a[p]!]!;
      lexCount[r + 1]!++;
      const end = this.fwdPosEnd.a[p]!;
      lexPosCount[r + 1]! += end - prevEnd;
      prevEnd = end;
    }
    const lexStart = new Int32Array(L + 1);
    const lexPosStart = new Float64Array(L + 1);
    for (let r = 0; r < L; r++) {
      lexStart[r + 1] = lexStart[r]! + lexCount[r + 1]!;
      lexPosStart[r + 1] = lexPosStart[r]! + lexPosCount[r + 1]!;
    }
    const docs = new Int32Array(P);
    const wmask = new Uint8Array(P);
    const posStart = new Int32Array(P + 1);
    const positions = new Uint16Array(this.fwdPos.n);
    const slot = lexStart.slice(0, L);
    const posAt = lexPosStart.slice(0, L);
    for (let d = 0; d < this.docs; d++) {
      for (let p = this.docStart.a[d]!, end = this.docStart.a[d + 1]!; p < end; p++) {
        const r = rank[this.fwdLex.a[p]!]!;
        const s = slot[r]!++;
        const from = p === 0 ? 0 : this.fwdPosEnd.a[p - 1]!;
        const to = this.fwdPosEnd.a[p]!;
        const at = posAt[r]!;
        docs[s] = d;
        posStart[s] = at;
        positions.set(this.fwdPos.a.subarray(from, to), at);
        wmask[s] = weightMask(this.fwdPos.a, from, to);
        posAt[r] = at + (to - from);
      }
    }
    posStart[P] = positions.length;
    return new BasePostings(words, lexStart, docs, wmask, posStart, positions);
  }
}

export class BasePostings implements Segment {
  readonly words: string[];
  readonly lexStart: Int32Array;
  readonly docs: Int32Array;
  readonly wmask: Uint8Array;
  readonly posStart: Int32Array;
  readonly positions: Uint16Array;
  constructor(words: string[], lexStart: Int32Array, docs: Int32Array, wmask: Uint8Array, posStart: Int32Array, positions: Uint16Array) {
    this.words = words;
    this.lexStart = lexStart;
    this.docs = docs;
    this.wmask = wmask;
    this.posStart = posStart;
    this.positions = positions;
  }

  /** First lexeme index ≥ word. */
  private lowerBound(word: string): number {
    let lo = 0;
    let hi = this.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.words[mid]! < word) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  ranges(word: string, prefix: boolean): PostingRange[] {
    const out: PostingRange[] = [];
    for (let r = this.lowerBound(word); r < this.words.length; r++) {
      const w = this.words[r]!;
      if (prefix ? !w.startsWith(word) : w !== word) break;
      out.push({ docs: this.docs, wmask: this.wmask, posStart: this.posStart, positions: this.positions, lo: this.lexStart[r]!, hi: this.lexStart[r + 1]! });
      if (!prefix) break;
    }
    return out;
  }

  /** Bytes held, for the statistics. */
  bytes(): number {
    return this.lexStart.byteLength + this.docs.byteLength + this.wmask.byteLength + this.posStart.byteLength + this.positions.byteLength + this.words.reduce((n, w) => n + 2 * w.length + 16, 0);
  }
}

interface DeltaList {
  docs: number[];
  wmask: number[];
  posStart: number[];
  positions: number[];
}

/** Rows written after the base was loaded, appended in ordinal order. */
export class DeltaPostings implements Segment {
  private lists = new Map<string, DeltaList>();
  private sorted: string[] | null = null;

  add(doc: number, tsvector: string): void {
    readTsvector(tsvector, (word, positions) => {
      let l = this.lists.get(word);
      if (!l) {
        this.lists.set(word, (l = { docs: [], wmask: [], posStart: [0], positions: [] }));
        this.sorted = null;
      }
      l.docs.push(doc);
      l.wmask.push(weightMask(positions, 0, positions.length));
      for (const p of positions) l.positions.push(p);
      l.posStart.push(l.positions.length);
    });
  }

  ranges(word: string, prefix: boolean): PostingRange[] {
    const range = (l: DeltaList): PostingRange => ({ docs: l.docs, wmask: l.wmask, posStart: l.posStart, positions: l.positions, lo: 0, hi: l.docs.length });
    if (!prefix) {
      const l = this.lists.get(word);
      return l ? [range(l)] : [];
    }
    this.sorted ??= [...this.lists.keys()].sort();
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < word) lo = mid + 1;
      else hi = mid;
    }
    const out: PostingRange[] = [];
    for (let r = lo; r < this.sorted.length && this.sorted[r]!.startsWith(word); r++) out.push(range(this.lists.get(this.sorted[r]!)!));
    return out;
  }
}
