import { BadRequestError, ValidationError, fieldMap, type FieldErrors, type Msg } from './errors.ts';

/**
 * One check on every action's input, whoever calls (API, pages, CLI): text the database cannot
 * store (NUL) or that no form sends (other C0 control characters) is a field error before any SQL
 * sees it, and nesting is bounded so no action walks a hostile tree. TAB, LF and CR are text.
 */
export const MAX_INPUT_DEPTH = 32;

const NUL = /\u0000/;
const CONTROL = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// Lone surrogates come from broken encodings; PostgreSQL refuses them as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const nulMsg = (): Msg => ({ th: 'มีอักขระควบคุม (NUL) ที่ไม่อนุญาต', en: 'Contains a NUL character, which is not allowed' });
const controlMsg = (): Msg => ({ th: 'มีอักขระควบคุมที่ไม่อนุญาต', en: 'Contains a control character, which is not allowed' });
const encodingMsg = (): Msg => ({ th: 'มีอักขระที่เข้ารหัสไม่ถูกต้อง', en: 'Contains an invalid character encoding' });

function problem(s: string): Msg | null {
  if (NUL.test(s)) return nulMsg();
  if (CONTROL.test(s)) return controlMsg();
  if (LONE_SURROGATE.test(s)) return encodingMsg();
  return null;
}

/** A key as a field name that is safe to print: control characters shown escaped. */
function printable(key: string): string {
  return problem(key) ? JSON.stringify(key).slice(1, -1).replace(/[\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : key;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Every bad field of one input (as `a[0].b`), and whether it nests too deeply; `skip` names keys whose values the action checks itself. */
export function inputProblems(input: Record<string, unknown>, skip: readonly string[] = []): { errors: FieldErrors; tooDeep: boolean } {
  const errors = fieldMap<Msg[]>();
  const stack: Array<[unknown, string, number]> = [];
  for (const [k, v] of Object.entries(input)) {
    const m = problem(k);
    if (m) (errors[printable(k)] ??= []).push(m);
    if (!skip.includes(k)) stack.push([v, printable(k), 0]);
  }
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (depth > MAX_INPUT_DEPTH) return { errors, tooDeep: true };
    if (typeof v === 'string') {
      const m = problem(v);
      if (m) (errors[path] ??= []).push(m);
    } else if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${path}[${i}]`, depth + 1]));
    else if (v && typeof v === 'object' && isPlain(v)) {
      for (const [k, x] of Object.entries(v)) {
        const m = problem(k);
        if (m) (errors[`${path}.${printable(k)}`] ??= []).push(m);
        stack.push([x, `${path}.${printable(k)}`, depth + 1]);
      }
    }
  }
  return { errors, tooDeep: false };
}

/** Throws a ValidationError naming every bad field, or a BadRequestError for absurd nesting. */
export function checkActionInput(input: Record<string, unknown>, skip: readonly string[] = []): void {
  const { errors, tooDeep } = inputProblems(input, skip);
  if (tooDeep) throw new BadRequestError(`Bad request - input nested deeper than ${MAX_INPUT_DEPTH} levels`);
  if (Object.keys(errors).length) throw new ValidationError(errors);
}
