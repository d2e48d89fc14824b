/**
 * Posting lists of the search documents: for each lexeme, the documents (row ordinals, rising)
 * that hold it, a mask of the weights it has there, and its packed positions (tsvector.ts).
 *
 * The base segment is built once from a full load into flat typed arrays (a million catalog
 * entries fit in a few hundred megabytes); rows written since go to a small segment that grows
 * in place (`DeltaPostings`), read the same way through `Segment`.
 */
import { readTsvector } from './tsvector.ts';

/** What a search asks a segment: every posting of the lexemes `word` names (a prefix with `prefix`). */
export interface Segment {
  /** Calls `fn(doc, wmask, from, to, positions)` for each posting of each matching lexeme. */
  postings(word: string, prefix: boolean, fn: (doc: number, wmask: number, from: number, to: number, positions: ArrayLike<number>) => void): void;
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

  postings(word: string, prefix: boolean, fn: (doc: number, wmask: number, from: number, to: number, positions: ArrayLike<number>) => void): void {
    let r = this.lowerBound(word);
    const { docs, wmask, posStart, positions } = this;
    for (; r < this.words.length; r++) {
      const w = this.words[r]!;
      if (prefix ? !w.startsWith(word) : w !== word) break;
      for (let s = this.lexStart[r]!, end = this.lexStart[r + 1]!; s < end; s++) fn(docs[s]!, wmask[s]!, posStart[s]!, posStart[s + 1]!, positions);
      if (!prefix) break;
    }
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

  postings(word: string, prefix: boolean, fn: (doc: number, wmask: number, from: number, to: number, positions: ArrayLike<number>) => void): void {
    const each = (l: DeltaList) => {
      for (let s = 0; s < l.docs.length; s++) fn(l.docs[s]!, l.wmask[s]!, l.posStart[s]!, l.posStart[s + 1]!, l.positions);
    };
    if (!prefix) {
      const l = this.lists.get(word);
      if (l) each(l);
      return;
    }
    this.sorted ??= [...this.lists.keys()].sort();
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < word) lo = mid + 1;
      else hi = mid;
    }
    for (let r = lo; r < this.sorted.length && this.sorted[r]!.startsWith(word); r++) each(this.lists.get(this.sorted[r]!)!);
  }
}
