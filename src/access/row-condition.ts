import type { Msg } from '../actions/errors.ts';

/**
 * The row condition of an agreement ("accessible records"): a small language over data-dictionary
 * fields, parsed into a tree and checked against the dictionary, never pasted into SQL.
 *   province = 'เชียงใหม่' AND (age >= 18 OR status in ('active', 'pending'))
 * Operators: = != < <= > >= in; values: 'text' ('' escapes a quote), numbers, true, false;
 * AND binds tighter than OR; parentheses group. Bounded: 2000 characters, 50 comparisons, depth 8.
 */
export type RowValue = string | number | boolean;
export type RowCondition =
  | { op: 'and' | 'or'; args: RowCondition[] }
  | { field: string; cmp: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in'; value: RowValue | RowValue[] };

export class RowConditionError extends Error {
  readonly msg: Msg;
  constructor(msg: Msg) {
    super(msg.en);
    this.msg = msg;
  }
}

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'comma' | 'kw'; v: string; at: number };

const MAX_LEN = 2000;
const MAX_CMP = 50;
const MAX_DEPTH = 8;

function fail(th: string, en: string): never {
  throw new RowConditionError({ th: `เงื่อนไขระเบียนไม่ถูกต้อง: ${th}`, en: `Invalid row condition: ${en}` });
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(') { out.push({ t: 'lp', v: c, at: i++ }); continue; }
    if (c === ')') { out.push({ t: 'rp', v: c, at: i++ }); continue; }
    if (c === ',') { out.push({ t: 'comma', v: c, at: i++ }); continue; }
    if (c === "'") {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) fail(`ข้อความที่ตำแหน่ง ${i + 1} ไม่มีเครื่องหมาย ' ปิด`, `the text at position ${i + 1} has no closing quote`);
        if (src[j] === "'") {
          if (src[j + 1] === "'") { s += "'"; j += 2; continue; }
          break;
        }
        s += src[j++];
      }
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(src.slice(i));
    if (op) { out.push({ t: 'op', v: op[1] === '<>' ? '!=' : op[1]!, at: i }); i += op[1]!.length; continue; }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: num[0], at: i }); i += num[0].length; continue; }
    const id = /^[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*/u.exec(src.slice(i));
    if (id) {
      const low = id[0].toLowerCase();
      out.push({ t: ['and', 'or', 'in', 'true', 'false'].includes(low) ? 'kw' : 'id', v: ['and', 'or', 'in', 'true', 'false'].includes(low) ? low : id[0], at: i });
      i += id[0].length;
      continue;
    }
    fail(`อักขระ "${c}" ที่ตำแหน่ง ${i + 1} ใช้ไม่ได้`, `unexpected character "${c}" at position ${i + 1}`);
  }
  return out;
}

/** Parses the text; `fields` (the dictionary's field names) makes an unknown field an error. */
export function parseRowCondition(src: string, fields?: readonly string[]): RowCondition {
  if (typeof src !== 'string' || !src.trim()) fail('ว่างเปล่า', 'empty');
  if (src.length > MAX_LEN) fail(`ยาวเกิน ${MAX_LEN} ตัวอักษร`, `longer than ${MAX_LEN} characters`);
  const toks = lex(src);
  let p = 0;
  let comparisons = 0;
  const peek = () => toks[p];
  const where = () => (peek() ? `ตำแหน่ง ${peek()!.at + 1}` : 'ท้ายข้อความ');
  const whereEn = () => (peek() ? `position ${peek()!.at + 1}` : 'the end');
  const value = (): RowValue => {
    const t = toks[p++];
    if (!t) fail('ขาดค่าที่ท้ายข้อความ', 'a value is missing at the end');
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'kw' && (t.v === 'true' || t.v === 'false')) return t.v === 'true';
    fail(`ต้องเป็นค่า (ข้อความในเครื่องหมาย ' ตัวเลข true หรือ false) ที่ตำแหน่ง ${t.at + 1}`, `expected a value ('text', a number, true or false) at position ${t.at + 1}`);
  };
  const comparison = (): RowCondition => {
    const f = toks[p++];
    if (!f || f.t !== 'id') fail(`ต้องเป็นชื่อฟิลด์ที่${where()}`, `expected a field name at ${whereEn()}`);
    if (fields && !fields.includes(f.v)) fail(`ไม่มีฟิลด์ "${f.v}" ในพจนานุกรมข้อมูล`, `the data dictionary has no field "${f.v}"`);
    if (++comparisons > MAX_CMP) fail(`มีการเปรียบเทียบได้ไม่เกิน ${MAX_CMP} ครั้ง`, `at most ${MAX_CMP} comparisons`);
    const o = toks[p++];
    if (o?.t === 'kw' && o.v === 'in') {
      if (toks[p++]?.t !== 'lp') fail(`ต้องมี ( หลัง in ของฟิลด์ "${f.v}"`, `expected ( after in for field "${f.v}"`);
      const list: RowValue[] = [value()];
      while (peek()?.t === 'comma') { p++; list.push(value()); }
      if (toks[p++]?.t !== 'rp') fail(`รายการค่าของฟิลด์ "${f.v}" ไม่มี ) ปิด`, `the list for field "${f.v}" has no closing )`);
      if (list.length > 100) fail('รายการค่ายาวเกิน 100 รายการ', 'a list may have at most 100 values');
      return { field: f.v, cmp: 'in', value: list };
    }
    if (!o || o.t !== 'op') fail(`ต้องเป็นตัวดำเนินการ (= != < <= > >= in) หลังฟิลด์ "${f.v}"`, `expected an operator (= != < <= > >= in) after field "${f.v}"`);
    const v = value();
    if (['<', '<=', '>', '>='].includes(o.v) && typeof v === 'boolean') fail(`เปรียบเทียบมากน้อยกับ true/false ไม่ได้ (ฟิลด์ "${f.v}")`, `cannot order-compare with true/false (field "${f.v}")`);
    return { field: f.v, cmp: o.v as '=', value: v };
  };
  const atom = (depth: number): RowCondition => {
    if (depth > MAX_DEPTH) fail(`วงเล็บซ้อนกันได้ไม่เกิน ${MAX_DEPTH} ชั้น`, `parentheses nest at most ${MAX_DEPTH} deep`);
    if (peek()?.t === 'lp') {
      p++;
      const e = or(depth + 1);
      if (toks[p++]?.t !== 'rp') fail(`วงเล็บไม่ปิดที่${where()}`, `unclosed parenthesis at ${whereEn()}`);
      return e;
    }
    return comparison();
  };
  const and = (depth: number): RowCondition => {
    const args = [atom(depth)];
    while (peek()?.t === 'kw' && peek()!.v === 'and') { p++; args.push(atom(depth)); }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  };
  const or = (depth: number): RowCondition => {
    const args = [and(depth)];
    while (peek()?.t === 'kw' && peek()!.v === 'or') { p++; args.push(and(depth)); }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  };
  const tree = or(0);
  if (p < toks.length) fail(`มีข้อความเกินที่${where()} (ใช้ AND หรือ OR เชื่อมเงื่อนไข)`, `unexpected text at ${whereEn()} (join clauses with AND or OR)`);
  return tree;
}

/** Field names a condition reads. */
export function conditionFields(c: RowCondition): string[] {
  return 'op' in c ? [...new Set(c.args.flatMap(conditionFields))] : [c.field];
}

/** Evaluates a condition on one record (the exchange applies it row by row or translates the tree). */
export function matchRow(c: RowCondition, row: Record<string, unknown>): boolean {
  if ('op' in c) return c.op === 'and' ? c.args.every((a) => matchRow(a, row)) : c.args.some((a) => matchRow(a, row));
  const v = row[c.field];
  if (v === undefined || v === null) return false;
  const cmp = (x: RowValue): number => {
    if (typeof x === 'number') { const n = Number(v); return Number.isNaN(n) ? NaN : n - x; }
    const s = String(v);
    const t = String(x);
    return s < t ? -1 : s > t ? 1 : 0;
  };
  switch (c.cmp) {
    case 'in': return (c.value as RowValue[]).some((x) => cmp(x) === 0);
    case '=': return cmp(c.value as RowValue) === 0;
    case '!=': { const d = cmp(c.value as RowValue); return !Number.isNaN(d) && d !== 0; }
    case '<': return cmp(c.value as RowValue) < 0;
    case '<=': return cmp(c.value as RowValue) <= 0;
    case '>': return cmp(c.value as RowValue) > 0;
    case '>=': return cmp(c.value as RowValue) >= 0;
  }
}

/** The condition back as text (what pages show). */
export function formatRowCondition(c: RowCondition, top = true): string {
  if ('op' in c) {
    const s = c.args.map((a) => formatRowCondition(a, false)).join(c.op === 'and' ? ' AND ' : ' OR ');
    return top ? s : `(${s})`;
  }
  const lit = (v: RowValue) => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));
  return c.cmp === 'in' ? `${c.field} in (${(c.value as RowValue[]).map(lit).join(', ')})` : `${c.field} ${c.cmp} ${lit(c.value as RowValue)}`;
}
