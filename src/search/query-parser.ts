import { SearchQueryError } from '../actions/errors.ts';
import { cleanText } from '../standard/values.ts';

/**
 * The subset of Solr's query syntax that CKAN clients send in `q` and `fq`: free words, quoted
 * phrases, field:value, field:"phrase", field:(a OR b), field:[a TO b], prefix*, *:*, AND / OR /
 * NOT (&& || !), +required and -excluded clauses, and parentheses. The default operator is AND,
 * as CKAN sets q.op. Anything else is a Search Query Error, never a guess.
 */
export type QueryNode =
  | { kind: 'all' }
  | { kind: 'and'; items: QueryNode[] }
  | { kind: 'or'; items: QueryNode[] }
  | { kind: 'not'; item: QueryNode }
  | { kind: 'term'; field: string | null; value: string; phrase: boolean; prefix: boolean }
  | { kind: 'range'; field: string; from: string | null; to: string | null; fromInclusive: boolean; toInclusive: boolean };

type Token =
  | { t: 'lp' | 'rp' | 'and' | 'or' | 'not' | 'plus' | 'minus' | 'all' }
  | { t: 'field'; name: string }
  | { t: 'word'; value: string; prefix: boolean }
  | { t: 'phrase'; value: string; sloppy: boolean }
  | { t: 'range'; from: string | null; to: string | null; fromInclusive: boolean; toInclusive: boolean };

const MAX_QUERY = 2000;
const MAX_DEPTH = 20;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const SPECIAL = new Set(['(', ')', '"', ' ', '\t', '\n', '\r']);
/**
 * Solr's suffixes on a word, phrase, range or group: ^2 (boost), ~ / ~1 (fuzzy word), "a b"~3
 * (words within 3 positions). They tune Lucene's scoring; here they never change what matches,
 * except that a phrase with a distance is its words anywhere (the phrase alone would be stricter).
 */
const MODIFIERS = /^(?:~\d*(?:\.\d+)?|\^\d+(?:\.\d+)?)+(?=$|[\s()"])/;

function fail(detail: string): never {
  throw new SearchQueryError(detail);
}

function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  // + - ! are operators only where a clause starts: covid-19 is one word, covid -19 excludes 19.
  const atClauseStart = () => i === 0 || /[\s(]/.test(input[i - 1]!) || out[out.length - 1]?.t === 'field';
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ t: 'lp' });
      i++;
      continue;
    }
    if (c === ')') {
      out.push({ t: 'rp' });
      i++;
      i += MODIFIERS.exec(input.slice(i))?.[0].length ?? 0;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < input.length && input[j] !== '"') {
        if (input[j] === '\\' && j + 1 < input.length) j++;
        value += input[j];
        j++;
      }
      if (j >= input.length) fail('unbalanced quotes');
      const mod = MODIFIERS.exec(input.slice(j + 1))?.[0] ?? '';
      out.push({ t: 'phrase', value, sloppy: mod.includes('~') });
      i = j + 1 + mod.length;
      continue;
    }
    if ((c === '[' || c === '{') && out[out.length - 1]?.t === 'field') {
      const close = input.slice(i + 1).search(/[\]}]/);
      if (close < 0) fail('unclosed range');
      const body = input.slice(i + 1, i + 1 + close).trim();
      const m = /^(\S+)\s+TO\s+(\S+)$/.exec(body);
      if (!m) fail(`malformed range [${body}]`);
      out.push({ t: 'range', from: m[1] === '*' ? null : m[1]!, to: m[2] === '*' ? null : m[2]!, fromInclusive: c === '[', toInclusive: input[i + 1 + close] === ']' });
      i = i + close + 2;
      i += MODIFIERS.exec(input.slice(i))?.[0].length ?? 0;
      continue;
    }
    if (input.startsWith('&&', i)) {
      out.push({ t: 'and' });
      i += 2;
      continue;
    }
    if (input.startsWith('||', i)) {
      out.push({ t: 'or' });
      i += 2;
      continue;
    }
    if ((c === '+' || c === '-' || c === '!') && atClauseStart() && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      out.push({ t: c === '+' ? 'plus' : c === '-' ? 'minus' : 'not' });
      i++;
      continue;
    }
    if (input.startsWith('*:*', i) && (i + 3 === input.length || SPECIAL.has(input[i + 3]!))) {
      out.push({ t: 'all' });
      i += 3;
      continue;
    }
    // Solr would read {!tag=…} as instructions to its query parser: a CKAN client gets told, not 0 results.
    if (input.startsWith('{!', i)) fail('local parameters ({!...}) are not supported');
    // A bare word, up to whitespace, a parenthesis or a quote; backslash escapes the next character.
    let j = i;
    let raw = '';
    let colonAt = -1;
    let lastEscaped = false;
    while (j < input.length && !SPECIAL.has(input[j]!)) {
      if (input[j] === '\\' && j + 1 < input.length) {
        raw += input[j + 1];
        lastEscaped = true;
        j += 2;
        continue;
      }
      lastEscaped = false;
      const mod = raw.length && (input[j] === '^' || input[j] === '~') ? MODIFIERS.exec(input.slice(j)) : null;
      if (mod) {
        j += mod[0].length;
        break;
      }
      if (input[j] === ':' && colonAt < 0 && FIELD_NAME.test(raw)) {
        colonAt = raw.length;
        j++;
        break;
      }
      raw += input[j];
      j++;
    }
    if (colonAt >= 0) {
      out.push({ t: 'field', name: raw });
      i = j;
      continue;
    }
    i = j;
    if (raw === 'AND') out.push({ t: 'and' });
    else if (raw === 'OR') out.push({ t: 'or' });
    else if (raw === 'NOT') out.push({ t: 'not' });
    else if (raw.length) {
      const prefix = raw.length > 1 && raw.endsWith('*') && !lastEscaped;
      out.push({ t: 'word', value: prefix ? raw.slice(0, -1) : raw, prefix });
    }
  }
  return out;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  parse(): QueryNode {
    if (!this.tokens.length) return { kind: 'all' };
    const node = this.expr(null);
    if (this.pos < this.tokens.length) fail(`unexpected ${describe(this.tokens[this.pos]!)}`);
    return node;
  }

  /** expr := and (OR and)* */
  private expr(field: string | null): QueryNode {
    if (++this.depth > MAX_DEPTH) fail('query nested too deeply');
    const items = [this.conjunction(field)];
    while (this.peek()?.t === 'or') {
      this.pos++;
      items.push(this.conjunction(field));
    }
    this.depth--;
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  /** and := unary ((AND)? unary)* — juxtaposition means AND (CKAN sets q.op=AND). */
  private conjunction(field: string | null): QueryNode {
    const items = [this.unary(field)];
    for (;;) {
      const t = this.peek();
      if (!t || t.t === 'or' || t.t === 'rp') break;
      if (t.t === 'and') {
        this.pos++;
        if (!this.peek() || this.peek()!.t === 'rp' || this.peek()!.t === 'or') fail('AND without a right-hand side');
      }
      items.push(this.unary(field));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private unary(field: string | null): QueryNode {
    const t = this.peek();
    if (!t) fail('query ends too early');
    if (t.t === 'not' || t.t === 'minus') {
      this.pos++;
      if (++this.depth > MAX_DEPTH) fail('query nested too deeply');
      const item = this.unary(field);
      this.depth--;
      return { kind: 'not', item };
    }
    if (t.t === 'plus') {
      this.pos++;
      return this.unary(field);
    }
    return this.primary(field);
  }

  private primary(field: string | null): QueryNode {
    const t = this.peek();
    if (!t) fail('query ends too early');
    this.pos++;
    switch (t.t) {
      case 'all':
        return { kind: 'all' };
      case 'lp': {
        const inner = this.expr(field);
        if (this.peek()?.t !== 'rp') fail('unbalanced parentheses');
        this.pos++;
        return inner;
      }
      case 'field': {
        if (field !== null) fail(`field ${t.name} inside ${field}:( )`);
        const next = this.peek();
        if (!next || next.t === 'rp' || next.t === 'and' || next.t === 'or') fail(`no value for ${t.name}`);
        if (next.t === 'range') {
          this.pos++;
          return { kind: 'range', field: t.name, from: next.from, to: next.to, fromInclusive: next.fromInclusive, toInclusive: next.toInclusive };
        }
        if (next.t === 'lp') return this.primary(t.name);
        if (next.t === 'word' || next.t === 'phrase' || next.t === 'all') return this.primary(t.name);
        fail(`no value for ${t.name}`);
        break;
      }
      case 'word':
        if (t.value === '*') return field === null ? { kind: 'all' } : { kind: 'term', field, value: '', phrase: false, prefix: true };
        return { kind: 'term', field, value: t.value, phrase: false, prefix: t.prefix };
      case 'phrase': {
        if (!t.sloppy) return { kind: 'term', field, value: t.value, phrase: true, prefix: false };
        const items: QueryNode[] = t.value
          .split(/\s+/)
          .filter(Boolean)
          .map((value) => ({ kind: 'term', field, value, phrase: false, prefix: false }));
        return items.length === 1 ? items[0]! : items.length ? { kind: 'and', items } : { kind: 'term', field, value: '', phrase: true, prefix: false };
      }
      case 'range':
        fail('a range needs a field');
        break;
      default:
        fail(`unexpected ${describe(t)}`);
    }
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case 'word':
      return `"${t.value}"`;
    case 'field':
      return `${t.name}:`;
    case 'rp':
      return '")"';
    case 'lp':
      return '"("';
    default:
      return t.t.toUpperCase();
  }
}

export function parseQuery(input: string): QueryNode {
  if (input.length > MAX_QUERY) fail(`query longer than ${MAX_QUERY} characters`);
  const text = cleanText(input).trim();
  if (text === '' || text === '*:*' || text === '*') return { kind: 'all' };
  return simplify(new Parser(lex(text)).parse());
}

/** Flattens nested ANDs/ORs and drops match-all inside AND, so SQL stays small. */
export function simplify(node: QueryNode): QueryNode {
  switch (node.kind) {
    case 'and': {
      const items = node.items.map(simplify).flatMap((n) => (n.kind === 'and' ? n.items : [n])).filter((n) => n.kind !== 'all');
      return items.length === 0 ? { kind: 'all' } : items.length === 1 ? items[0]! : { kind: 'and', items };
    }
    case 'or': {
      const items = node.items.map(simplify).flatMap((n) => (n.kind === 'or' ? n.items : [n]));
      if (items.some((n) => n.kind === 'all')) return { kind: 'all' };
      return items.length === 1 ? items[0]! : { kind: 'or', items };
    }
    case 'not':
      return { kind: 'not', item: simplify(node.item) };
    default:
      return node;
  }
}

/** Field names a query uses, to reject unknown ones before any SQL is built. */
export function fieldsOf(node: QueryNode, out = new Set<string>()): Set<string> {
  if (node.kind === 'term' || node.kind === 'range') {
    if (node.field) out.add(node.field);
  } else if (node.kind === 'and' || node.kind === 'or') node.items.forEach((n) => fieldsOf(n, out));
  else if (node.kind === 'not') fieldsOf(node.item, out);
  return out;
}
