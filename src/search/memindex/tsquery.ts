/**
 * The tsquery literals query-sql.ts builds, read and evaluated over the posting lists with
 * PostgreSQL's meaning of `@@`: a lexeme (optionally a prefix, optionally limited to weights)
 * is in a document when one of its positions has an allowed weight; `a <-> b` when b follows a
 * at the next position; `!`, `&`, `|` as usual. Anything this reader does not know throws
 * `Unsupported`, and the search goes to PostgreSQL instead.
 */
import { WEIGHT_BITS } from './tsvector.ts';
import { weightSets, type PostingRange, type Segment } from './postings.ts';
import { and, empty, has, members, not, orInPlace, set, type Bits } from './bitset.ts';

export class Unsupported extends Error {}

export type TsNode =
  | { kind: 'lex'; word: string; prefix: boolean; weights: number }
  | { kind: 'not'; item: TsNode }
  | { kind: 'and' | 'or'; left: TsNode; right: TsNode }
  | { kind: 'phrase'; distance: number; left: TsNode; right: TsNode };

/** Parses with PostgreSQL's precedence: ! binds tightest, then <->, then &, then |. */
export function parseTsquery(text: string): TsNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && text[i] === ' ') i++;
  };
  const operand = (): TsNode => {
    ws();
    if (text[i] === '!') {
      i++;
      return { kind: 'not', item: operand() };
    }
    if (text[i] === '(') {
      i++;
      const inner = or();
      ws();
      if (text[i] !== ')') throw new Unsupported(`tsquery: expected ) at ${i}`);
      i++;
      return inner;
    }
    if (text[i] !== "'") throw new Unsupported(`tsquery: expected a quoted lexeme at ${i}`);
    i++;
    let word = '';
    for (;;) {
      if (i >= text.length) throw new Unsupported('tsquery: unterminated lexeme');
      const c = text[i]!;
      if (c === "'") {
        if (text[i + 1] === "'") {
          word += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      if (c === '\\') {
        word += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      word += c;
      i++;
    }
    let prefix = false;
    let weights = 0;
    if (text[i] === ':') {
      i++;
      for (;;) {
        const c = text[i];
        if (c === '*') prefix = true;
        else if (c !== undefined && Object.hasOwn(WEIGHT_BITS, c.toUpperCase())) weights |= 1 << WEIGHT_BITS[c.toUpperCase()]!;
        else break;
        i++;
      }
    }
    if (!word) throw new Unsupported('tsquery: empty lexeme');
    return { kind: 'lex', word, prefix, weights: weights || 0xf };
  };
  const phrase = (): TsNode => {
    let left = operand();
    for (;;) {
      ws();
      const m = /^<(-|\d+)>/.exec(text.slice(i, i + 8));
      if (!m) return left;
      i += m[0].length;
      left = { kind: 'phrase', distance: m[1] === '-' ? 1 : Number(m[1]), left, right: operand() };
    }
  };
  const andExpr = (): TsNode => {
    let left = phrase();
    for (;;) {
      ws();
      if (text[i] !== '&') return left;
      i++;
      left = { kind: 'and', left, right: phrase() };
    }
  };
  const or = (): TsNode => {
    let left = andExpr();
    for (;;) {
      ws();
      if (text[i] !== '|') return left;
      i++;
      left = { kind: 'or', left, right: andExpr() };
    }
  };
  const node = or();
  ws();
  if (i !== text.length) throw new Unsupported(`tsquery: unexpected ${text[i]} at ${i}`);
  return node;
}

/**
 * One search's view of the postings: each lexeme (or prefix) is read once per search into a set
 * per weight, whatever number of tiers and forms ask for it. Sets handed out are shared: read only.
 */
export class TsContext {
  private sets = new Map<string, [Bits, Bits, Bits, Bits]>();
  private rangeMemo = new Map<string, { ranges: PostingRange[]; postings: number }>();
  readonly segments: Segment[];
  readonly n: number;
  constructor(segments: Segment[], n: number) {
    this.segments = segments;
    this.n = n;
  }

  private ranges(word: string, prefix: boolean): { ranges: PostingRange[]; postings: number } {
    const key = `${prefix ? '*' : '='}${word}`;
    let r = this.rangeMemo.get(key);
    if (!r) {
      const ranges = this.segments.flatMap((seg) => seg.ranges(word, prefix));
      this.rangeMemo.set(key, (r = { ranges, postings: ranges.reduce((sum, x) => sum + x.hi - x.lo, 0) }));
    }
    return r;
  }

  /**
   * Adds the documents where a matching lexeme has one of `weights`. A common lexeme (its
   * postings over a thirty-second of the rows) is read once per search into a set per weight,
   * as the tiers ask for it again; a rare one is read straight into `out`.
   */
  orLexeme(out: Bits, word: string, prefix: boolean, weights: number): void {
    const { ranges, postings } = this.ranges(word, prefix);
    if (postings > this.n / 32) {
      const key = `${prefix ? '*' : '='}${word}`;
      let sets = this.sets.get(key);
      if (!sets) {
        sets = [empty(this.n), empty(this.n), empty(this.n), empty(this.n)];
        weightSets(this.segments, word, prefix, sets);
        this.sets.set(key, sets);
      }
      for (let w = 0; w < 4; w++) if (weights & (1 << w)) orInPlace(out, sets[w]!);
      return;
    }
    for (const r of ranges) {
      const { docs, wmask } = r;
      for (let s = r.lo; s < r.hi; s++) if (wmask[s]! & weights) out[docs[s]! >>> 5]! |= 1 << (docs[s]! & 31);
    }
  }

  lexeme(word: string, prefix: boolean, weights: number): Bits {
    const out = empty(this.n);
    this.orLexeme(out, word, prefix, weights);
    return out;
  }
}

/** The operands of nested ORs. */
function disjuncts(node: TsNode, out: TsNode[] = []): TsNode[] {
  if (node.kind === 'or') {
    disjuncts(node.left, out);
    disjuncts(node.right, out);
  } else out.push(node);
  return out;
}

/** The rows whose document matches `node`; phrases are checked only within `within` when given. */
export function evaluate(node: TsNode, ctx: TsContext, within?: Bits): Bits {
  switch (node.kind) {
    case 'lex':
      return ctx.lexeme(node.word, node.prefix, node.weights);
    case 'not':
      return not(evaluate(node.item, ctx), ctx.n);
    case 'and': {
      const l = evaluate(node.left, ctx, within);
      return and(l, evaluate(node.right, ctx, within ? and(within, l) : l));
    }
    case 'or': {
      // Synonyms, partial words and the words that hold a term: one set, lexemes read straight into it.
      const out = empty(ctx.n);
      for (const d of disjuncts(node)) {
        if (d.kind === 'lex') ctx.orLexeme(out, d.word, d.prefix, d.weights);
        else orInPlace(out, evaluate(d, ctx, within));
      }
      return out;
    }
    case 'phrase':
      return phrase(node, ctx, within);
  }
}

type Lex = Extract<TsNode, { kind: 'lex' }>;

/** a <-> b <-> c as its lexemes and the distance before each. */
function chain(node: TsNode, out: Array<{ lex: Lex; gap: number }>): void {
  if (node.kind === 'lex') out.push({ lex: node, gap: 0 });
  else if (node.kind === 'phrase') {
    chain(node.left, out);
    const at = out.length;
    chain(node.right, out);
    // Only a lexeme on the right keeps PostgreSQL's meaning simple: (a <-> b) <-> c is a, b, c in a row.
    if (out.length !== at + 1) throw new Unsupported('tsquery: phrase of phrases on the right');
    out[at]!.gap = node.distance;
  } else throw new Unsupported(`tsquery: ${node.kind} inside a phrase`);
}

/** A cursor over one lexeme's postings, moved forward with the candidate documents. */
interface Cursor extends PostingRange {
  at: number;
}

/** An operand with more lexemes than this (a short prefix) keeps its positions per document instead. */
const MAX_CURSORS = 16;

function phrase(node: TsNode, ctx: TsContext, within?: Bits): Bits {
  const parts: Array<{ lex: Lex; gap: number }> = [];
  chain(node, parts);
  let cand: Bits | null = within ?? null;
  for (const p of parts) {
    const b = ctx.lexeme(p.lex.word, p.lex.prefix, p.lex.weights);
    cand = cand ? and(cand, b) : b;
  }
  const out = empty(ctx.n);
  if (!cand) return out;
  const docs = members(cand);
  if (!docs.length) return out;
  // Offsets of each part from the first: a, b, c in a row are at p, p + 1, p + 2.
  const offsets: number[] = [];
  parts.reduce((sum, p, i) => (offsets[i] = i === 0 ? 0 : sum + p.gap), 0);
  const ops = parts.map((p) => {
    const ranges = ctx.segments.flatMap((seg) => seg.ranges(p.lex.word, p.lex.prefix));
    if (ranges.length <= MAX_CURSORS) return { weights: p.lex.weights, cursors: ranges.map((r): Cursor => ({ ...r, at: r.lo })), map: null };
    const map = new Map<number, number[]>();
    for (const r of ranges)
      for (let s = r.lo; s < r.hi; s++) {
        const doc = r.docs[s]!;
        if (!(r.wmask[s]! & p.lex.weights) || !has(cand!, doc)) continue;
        let list = map.get(doc);
        if (!list) map.set(doc, (list = []));
        for (let k = r.posStart[s]!; k < r.posStart[s + 1]!; k++) list.push(r.positions[k]!);
      }
    return { weights: p.lex.weights, cursors: [] as Cursor[], map };
  });
  const hasAt = (op: (typeof ops)[number], doc: number, pos: number): boolean => {
    if (op.map) {
      for (const x of op.map.get(doc) ?? []) if ((x & 0x3fff) === pos && (1 << (x >> 14)) & op.weights) return true;
      return false;
    }
    for (const c of op.cursors) {
      if (c.at >= c.hi || c.docs[c.at] !== doc) continue;
      for (let k = c.posStart[c.at]!, end = c.posStart[c.at + 1]!; k < end; k++) {
        const x = c.positions[k]!;
        if ((x & 0x3fff) === pos && (1 << (x >> 14)) & op.weights) return true;
      }
    }
    return false;
  };
  const first = ops[0]!;
  for (const d of docs) {
    for (const op of ops) for (const c of op.cursors) while (c.at < c.hi && c.docs[c.at]! < d) c.at++;
    const starts: number[] = [];
    if (first.map) for (const x of first.map.get(d) ?? []) (1 << (x >> 14)) & first.weights && starts.push(x & 0x3fff);
    else
      for (const c of first.cursors) {
        if (c.at >= c.hi || c.docs[c.at] !== d) continue;
        for (let k = c.posStart[c.at]!, end = c.posStart[c.at + 1]!; k < end; k++) (1 << (c.positions[k]! >> 14)) & first.weights && starts.push(c.positions[k]! & 0x3fff);
      }
    for (const p0 of starts) {
      let ok = true;
      for (let k = 1; k < ops.length && ok; k++) ok = hasAt(ops[k]!, d, p0 + offsets[k]!);
      if (ok) {
        set(out, d);
        break;
      }
    }
  }
  return out;
}
