import { ValidationError, type Msg } from '../actions/errors.ts';
import { isResourceId } from './ident.ts';

/**
 * datastore_search_sql's gate. The statement is tokenised (strings, quoted names, numbers, words,
 * symbols) and accepted only if it is ONE SELECT (or WITH … SELECT) whose every table is a
 * DataStore table named by resource id, every function is on the allow-list, and no word that
 * writes, locks, reaches another schema or the server appears. It then runs in a READ ONLY
 * transaction with a time-out, a row limit and (PostgreSQL) a role that can read only the DataStore
 * schema — each layer on its own would stop the common attacks; together they leave little.
 */

export type Token = { t: 'word' | 'qident' | 'string' | 'number' | 'sym' | 'param'; v: string; pos: number };

const ALLOWED_FUNCTIONS = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'stddev', 'variance', 'string_agg', 'array_agg', 'bool_and', 'bool_or', 'percentile_cont', 'percentile_disc', 'mode',
  'lower', 'upper', 'length', 'char_length', 'trim', 'btrim', 'ltrim', 'rtrim', 'substring', 'substr', 'replace', 'position', 'strpos', 'left', 'right', 'concat', 'concat_ws', 'split_part', 'initcap', 'lpad', 'rpad',
  'abs', 'round', 'ceil', 'ceiling', 'floor', 'trunc', 'power', 'sqrt', 'mod', 'greatest', 'least', 'coalesce', 'nullif',
  'date_trunc', 'date_part', 'extract', 'to_char', 'to_date', 'to_number', 'make_date', 'age',
  'row_number', 'rank', 'dense_rank', 'lag', 'lead', 'first_value', 'last_value', 'ntile',
  'cast', 'exists', 'in', 'any', 'all', 'filter', 'over', 'values',
]);

/** Words that never belong in a read of DataStore tables. */
const FORBIDDEN = new Set([
  'insert', 'update', 'delete', 'merge', 'truncate', 'drop', 'alter', 'create', 'grant', 'revoke', 'copy', 'into', 'lock', 'vacuum', 'analyze', 'explain',
  'set', 'reset', 'show', 'do', 'call', 'execute', 'prepare', 'deallocate', 'listen', 'notify', 'unlisten', 'load', 'discard', 'begin', 'commit', 'rollback',
  'savepoint', 'release', 'checkpoint', 'cluster', 'reindex', 'refresh', 'security', 'declare', 'fetch', 'move', 'close', 'import', 'comment', 'returning',
  'tablesample', 'table', 'pg_catalog', 'information_schema', 'public', 'current_user', 'session_user', 'current_setting', 'set_config', 'current_schema', 'current_role', 'current_catalog', 'user', 'system_user',
]);

const ERR = (en: string, th: string, where = 'sql'): ValidationError => ValidationError.field(where, { th, en } as Msg);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    // PostgreSQL's blanks only: it reads U+00A0, U+2003 … as letters of a name, and a gate that took
    // them for blanks saw `"<id>" \u00a0where, "public".users` end its FROM list where PostgreSQL
    // read an alias and a second table.
    if (/[ \t\n\r\f\v]/.test(c)) {
      i++;
      continue;
    }
    if (/\s/.test(c)) throw ERR(`Character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (a space PostgreSQL does not read as one) is not allowed`, `ไม่อนุญาตอักขระ U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (ช่องว่างที่ PostgreSQL ไม่ถือเป็นช่องว่าง)`);
    if (c === '-' && src[i + 1] === '-') throw ERR('Comments are not allowed', 'ไม่อนุญาตให้มีหมายเหตุ (comment) ในคำสั่ง');
    if (c === '/' && src[i + 1] === '*') throw ERR('Comments are not allowed', 'ไม่อนุญาตให้มีหมายเหตุ (comment) ในคำสั่ง');
    if (c === "'") {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= src.length) throw ERR('Unterminated string', 'ข้อความในเครื่องหมายคำพูดไม่ปิด');
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += src[j++];
      }
      out.push({ t: 'string', v, pos: i });
      i = j + 1;
      continue;
    }
    if (c === '"') {
      const j = src.indexOf('"', i + 1);
      if (j < 0) throw ERR('Unterminated quoted name', 'ชื่อในเครื่องหมายคำพูดคู่ไม่ปิด');
      const v = src.slice(i + 1, j);
      if (!v || v.includes('"')) throw ERR('Bad quoted name', 'ชื่อไม่ถูกต้อง');
      out.push({ t: 'qident', v, pos: i });
      i = j + 1;
      continue;
    }
    if (c === '$') throw ERR('Dollar quoting and parameters are not allowed', 'ไม่อนุญาตเครื่องหมาย $');
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'number', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_\u0080-\uFFFF]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uFFFF][A-Za-z0-9_$\u0080-\uFFFF]*/.exec(src.slice(i))!;
      // E'…', U&'…', B'…', X'…' string forms carry escapes: refused rather than interpreted.
      if (src[i + m[0].length] === "'" || src[i + m[0].length] === '&') throw ERR('Prefixed string literals are not allowed', 'ไม่อนุญาตข้อความแบบมีคำนำหน้า');
      // Folded as PostgreSQL folds unquoted names: ASCII only (JavaScript folds U+212A KELVIN SIGN to k).
      out.push({ t: 'word', v: m[0].replace(/[A-Z]+/g, (u) => u.toLowerCase()), pos: i });
      i += m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['<=', '>=', '<>', '!=', '||', '::'].includes(two)) {
      out.push({ t: 'sym', v: two, pos: i });
      i += 2;
      continue;
    }
    if ('(),.*+-/%<>=;[]'.includes(c)) {
      out.push({ t: 'sym', v: c, pos: i });
      i++;
      continue;
    }
    throw ERR(`Character ${JSON.stringify(c)} is not allowed`, `ไม่อนุญาตอักขระ ${JSON.stringify(c)}`);
  }
  return out;
}

/** Keywords that may stand before a parenthesis without being a function call. */
const PAREN_KEYWORDS = new Set(['as', 'and', 'or', 'not', 'on', 'using', 'where', 'when', 'then', 'else', 'case', 'select', 'is', 'by', 'with', 'recursive', 'distinct', 'between', 'like', 'ilike', 'having', 'union', 'intersect', 'except', 'lateral', 'join', 'from', 'array', 'partition', 'order', 'group', 'limit', 'offset', 'null', 'materialized']);
/** Words that end a FROM list at their level (ON, USING and the join words belong to it). */
const CLAUSE_END = new Set(['where', 'group', 'order', 'limit', 'offset', 'having', 'union', 'intersect', 'except', 'window', 'fetch', 'for', 'select', 'values']);
/** Schemas other than the DataStore's, quoted ("public".users is public.users). */
const SCHEMAS = new Set(['public', 'information_schema']);
/** Types whose input looks a name or an oid up in the system catalogs. */
const REG_TYPES = new Set(['regclass', 'regcollation', 'regconfig', 'regdictionary', 'regnamespace', 'regoper', 'regoperator', 'regproc', 'regprocedure', 'regrole', 'regtype']);
/** A CTE name that no relation of the datastore schema other than its tables can have (theirs hold a resource id). */
const CTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Words that open a sub-select in parentheses (`FROM (SELECT …)`), as against a parenthesised join. */
const SUBQUERY_START = new Set(['select', 'with', 'values']);
const CASTS = new Set(['text', 'int', 'integer', 'bigint', 'numeric', 'date', 'timestamp', 'boolean', 'bool', 'float', 'real', 'double', 'precision', 'varchar', 'time', 'interval', 'smallint', 'char', 'character', 'varying', 'decimal']);

export interface CheckedSql {
  sql: string;
  tables: string[];
}

/** Checks a statement and returns the resource ids it reads. */
export function checkSql(source: unknown): CheckedSql {
  if (typeof source !== 'string' || !source.trim()) throw ERR('Missing value', 'ต้องระบุคำสั่ง SQL');
  if (source.length > 20_000) throw ERR('Statement too long (20,000 characters at most)', 'คำสั่งยาวเกิน 20,000 อักขระ');
  const toks = tokenize(source);
  while (toks.length && toks[toks.length - 1]!.v === ';') toks.pop();
  if (toks.some((t) => t.t === 'sym' && t.v === ';')) throw ERR('Only one statement is allowed', 'ส่งได้ครั้งละหนึ่งคำสั่งเท่านั้น');
  const first = toks[0];
  if (!first || first.t !== 'word' || (first.v !== 'select' && first.v !== 'with')) throw ERR('Only SELECT statements are allowed', 'อนุญาตเฉพาะคำสั่ง SELECT');
  const tables = new Set<string>();
  const ctes = withNames(toks);
  // Where a table name may stand is tracked per parenthesis level (a sub-select, a column list, a
  // call has its own): a WHERE inside `FROM (SELECT … WHERE …) s, "<id>"` ends only the inner FROM
  // list, never the outer one, and ON/USING/JOIN belong to the FROM list (`a JOIN b ON x, c`).
  const frames: Array<{ fromList: boolean }> = [{ fromList: false }];
  let expectTable = false;
  for (let i = 0; i < toks.length; i++) {
    const tk = toks[i]!;
    const next = toks[i + 1];
    const frame = frames[frames.length - 1]!;
    if ((tk.t === 'word' && FORBIDDEN.has(tk.v)) || (tk.t === 'qident' && SCHEMAS.has(tk.v))) throw ERR(`"${tk.v}" is not allowed in datastore_search_sql`, `ไม่อนุญาตคำว่า "${tk.v}"`);
    // Casts to reg* types look names up in the system catalogs, however the cast is written (`::`, CAST(… AS …)).
    if (tk.t === 'word' && (REG_TYPES.has(tk.v) || (tk.v.startsWith('reg') && toks[i - 1]?.v === '::'))) throw ERR(`Cast to "${tk.v}" is not allowed`, `ไม่อนุญาตการแปลงเป็น "${tk.v}"`);
    // System catalogs and functions, quoted or not ("pg_authid" names the same relation as pg_authid).
    if ((tk.t === 'word' || tk.t === 'qident') && tk.v.toLowerCase().startsWith('pg_')) throw ERR(`"${tk.v.slice(0, 80)}" is not allowed in datastore_search_sql`, `ไม่อนุญาตคำว่า "${tk.v.slice(0, 80)}"`);
    // Any name that is a resource id is a table read, wherever it stands: the read policy judges it.
    if ((tk.t === 'word' || tk.t === 'qident') && isResourceId(tk.v.toLowerCase())) tables.add(tk.v.toLowerCase());
    if (tk.t === 'sym' && (tk.v === '(' || tk.v === '[')) {
      // FROM ( SELECT … ): a sub-select, whose own FROM is checked when reached. FROM ( a JOIN b … ):
      // a parenthesised join, a FROM list of its own whose first name is a table too (was unchecked).
      // FROM (( …: decided at the next parenthesis.
      const join: boolean = expectTable && tk.v === '(' && !(next?.t === 'word' && SUBQUERY_START.has(next.v));
      frames.push({ fromList: join });
      expectTable = join;
      continue;
    }
    if (tk.t === 'sym' && (tk.v === ')' || tk.v === ']')) {
      if (frames.length === 1) throw ERR('Unbalanced parentheses', 'วงเล็บไม่ครบคู่');
      frames.pop();
      continue;
    }
    if (tk.t === 'word' && (tk.v === 'from' || tk.v === 'join')) {
      // FROM inside extract(year FROM x) / substring(a FROM 2) is not a table list, nor in x IS [NOT] DISTINCT FROM y.
      if (tk.v === 'from' && frames.length > 1 && isInsideCall(toks, i)) continue;
      if (tk.v === 'from' && isWord(toks[i - 1], 'distinct') && (isWord(toks[i - 2], 'is') || (isWord(toks[i - 2], 'not') && isWord(toks[i - 3], 'is')))) continue;
      expectTable = true;
      frame.fromList = true;
      continue;
    }
    if (expectTable) {
      if (tk.t === 'word' && (tk.v === 'lateral' || tk.v === 'only')) continue;
      if (tk.t !== 'word' && tk.t !== 'qident') throw ERR('A table name (a resource id) is expected after FROM/JOIN', 'หลัง FROM/JOIN ต้องเป็นชื่อตาราง (resource id)');
      if (next?.v === '.' || next?.v === '(') throw ERR(`Only DataStore tables can be read: "${tk.v.slice(0, 80)}"`, `อ่านได้เฉพาะตาราง DataStore: "${tk.v.slice(0, 80)}"`);
      if (!isResourceId(tk.v.toLowerCase()) && !ctes.has(tk.v)) throw ERR(`Table "${tk.v.slice(0, 80)}" is not a DataStore resource`, `"${tk.v.slice(0, 80)}" ไม่ใช่ตาราง DataStore`);
      expectTable = false;
      continue;
    }
    if (frame.fromList && tk.t === 'sym' && tk.v === ',') {
      expectTable = true;
      continue;
    }
    if (tk.t === 'word' && CLAUSE_END.has(tk.v)) frame.fromList = false;
    if (tk.t === 'word' && next?.v === '(' && !ALLOWED_FUNCTIONS.has(tk.v) && !CASTS.has(tk.v) && !PAREN_KEYWORDS.has(tk.v)) {
      throw ERR(`Function "${tk.v}" is not allowed`, `ไม่อนุญาตฟังก์ชัน "${tk.v}"`);
    }
    if (tk.t === 'qident' && next?.v === '(') throw ERR(`Function "${tk.v}" is not allowed`, `ไม่อนุญาตฟังก์ชัน "${tk.v}"`);
    if (tk.t === 'sym' && tk.v === '.' && toks[i - 1] && next && (next.t === 'word' || next.t === 'qident') && toks[i + 2]?.v === '(') throw ERR('Qualified function names are not allowed', 'ไม่อนุญาตชื่อฟังก์ชันแบบระบุ schema');
  }
  if (frames.length !== 1) throw ERR('Unbalanced parentheses', 'วงเล็บไม่ครบคู่');
  if (expectTable) throw ERR('A table name is expected after FROM/JOIN', 'หลัง FROM/JOIN ต้องเป็นชื่อตาราง');
  if (!tables.size) throw ERR('The statement reads no DataStore table', 'คำสั่งไม่ได้อ่านตาราง DataStore ใด');
  return { sql: toks.length ? source.trim().replace(/;+\s*$/, '') : source, tables: [...tables] };
}

/**
 * The names a WITH clause defines: `WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] ( … ), …`,
 * read where WITH stands (a WINDOW list's `, w AS (…)` defines no table).
 */
function withNames(toks: Token[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < toks.length; i++) {
    if (toks[i]!.t !== 'word' || toks[i]!.v !== 'with') continue;
    let k = i + 1;
    if (toks[k]?.v === 'recursive') k++;
    for (;;) {
      const name = toks[k];
      if (!name || (name.t !== 'word' && name.t !== 'qident')) break;
      k++;
      if (toks[k]?.v === '(') k = closing(toks, k) + 1;
      if (toks[k]?.v !== 'as') break;
      k++;
      if (toks[k]?.v === 'not') k++;
      if (toks[k]?.v === 'materialized') k++;
      if (toks[k]?.v !== '(') break;
      // Names are gathered for the whole statement, not per scope, so a CTE name could be used where
      // its WITH does not reach and name a real relation instead ("<id>~new__id_seq": a private
      // table's row count). Only plain names count, which no DataStore relation but a table has.
      if (CTE_NAME.test(name.v)) names.add(name.v);
      k = closing(toks, k) + 1;
      if (toks[k]?.v !== ',') break;
      k++;
    }
  }
  return names;
}

const isWord = (t: Token | undefined, v: string): boolean => t?.t === 'word' && t.v === v;

/** Index of the parenthesis closing the one at k (the end when it never closes). */
function closing(toks: Token[], k: number): number {
  let d = 0;
  for (let j = k; j < toks.length; j++) {
    if (toks[j]!.v === '(') d++;
    else if (toks[j]!.v === ')' && --d === 0) return j;
  }
  return toks.length;
}

/** Is token i inside the parentheses of extract(…)/substring(…)/trim(…)/position(…)? */
function isInsideCall(toks: Token[], i: number): boolean {
  let d = 0;
  for (let k = i - 1; k >= 0; k--) {
    const v = toks[k]!.v;
    if (v === ')') d++;
    else if (v === '(') {
      if (d === 0) return ['extract', 'substring', 'trim', 'position', 'overlay'].includes(toks[k - 1]?.v ?? '');
      d--;
    }
  }
  return false;
}
