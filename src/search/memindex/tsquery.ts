/**
 * The tsquery literals query-sql.ts builds, read and evaluated over the posting lists with
 * PostgreSQL's meaning of `@@`: a lexeme (optionally a prefix, optionally limited to weights)
 * is in a document when one of its positions has an allowed weight; `a <-> b` when b follows a
 * at the next position; `!`, `&`, `|` as usual. Anything this reader does not know throws
 * `Unsupported`, and the search goes to PostgreSQL instead.
 */
import { WEIGHT_BITS } from './tsvector.ts';
import type { Segment } from './postings.ts';
import { and, andInPlace, empty, has, members, not, orInPlace, set, type Bits } from './bitset.ts';

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

/** The rows whose document matches `node`; phrases are checked only within `within` when given. */
export function evaluate(node: TsNode, segments: Segment[], n: number, within?: Bits): Bits {
  switch (node.kind) {
    case 'lex': {
      const out = empty(n);
      for (const seg of segments)
        seg.postings(node.word, node.prefix, (doc, wmask) => {
          if (wmask & node.weights) set(out, doc);
        });
      return out;
    }
    case 'not':
      return not(evaluate(node.item, segments, n), n);
    case 'and': {
      const l = evaluate(node.left, segments, n, within);
      return andInPlace(l, evaluate(node.right, segments, n, within ? and(within, l) : l));
    }
    case 'or':
      return orInPlace(evaluate(node.left, segments, n, within), evaluate(node.right, segments, n, within));
    case 'phrase':
      return phrase(node, segments, n, within);
  }
}

/** a <-> b <-> c as its lexemes and the distance before each. */
function chain(node: TsNode, out: Array<{ lex: Extract<TsNode, { kind: 'lex' }>; gap: number }>): void {
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

function phrase(node: TsNode, segments: Segment[], n: number, within?: Bits): Bits {
  const parts: Array<{ lex: Extract<TsNode, { kind: 'lex' }>; gap: number }> = [];
  chain(node, parts);
  let cand = within ? within.slice() : null;
  for (const p of parts) {
    const b = evaluate(p.lex, segments, n);
    cand = cand ? andInPlace(cand, b) : b;
  }
  const out = empty(n);
  if (!cand) return out;
  const docs = members(cand);
  if (!docs.length) return out;
  // Positions of each part in each candidate, with the weights it allows.
  const at = parts.map((p) => {
    const m = new Map<number, number[]>();
    for (const seg of segments)
      seg.postings(p.lex.word, p.lex.prefix, (doc, wmask, from, to, positions) => {
        if (!(wmask & p.lex.weights) || !has(cand!, doc)) return;
        let list = m.get(doc);
        if (!list) m.set(doc, (list = []));
        for (let k = from; k < to; k++) if ((1 << (positions[k]! >> 14)) & p.lex.weights) list.push(positions[k]! & 0x3fff);
      });
    return m;
  });
  for (const d of docs) {
    let cur = new Set(at[0]!.get(d) ?? []);
    for (let k = 1; k < parts.length && cur.size; k++) {
      const next = new Set<number>();
      for (const p of at[k]!.get(d) ?? []) if (cur.has(p - parts[k]!.gap)) next.add(p);
      cur = next;
    }
    if (cur.size) set(out, d);
  }
  return out;
}
