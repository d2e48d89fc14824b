import type { FieldErrors, Msg } from '../actions/errors.ts';
import type { Condition } from './conditions.ts';
import type { InputDef } from './types.ts';

export interface CompiledInput extends InputDef {
  requiredWhen?: Condition;
  regex?: RegExp;
}

/** The 13-digit Thai citizen id: the last digit is (11 − Σ dᵢ·(13−i) mod 11) mod 10. */
export function isThaiId(s: string): boolean {
  if (!/^\d{13}$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(s[i]) * (13 - i);
  return (11 - (sum % 11)) % 10 === Number(s[12]);
}

/** 1101700230708 → 1-xxxx-xxxxx-70-8 (the first digit, the person type, and the last three stay). */
export function maskThaiId(s: string): string {
  return `${s[0]}-xxxx-xxxxx-${s.slice(10, 12)}-${s[12]}`;
}

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function msg(def: InputDef, th: string, en: string): Msg {
  return { th: `${def.label.th}: ${th}`, en: `${def.label.en}: ${en}` };
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * Checks a step's inputs against its definition. Unknown keys are dropped, so a step records only
 * what its form asks for; values come back normalised (trimmed strings, numbers, booleans).
 */
export function validateInputs(defs: readonly CompiledInput[], raw: Record<string, unknown>, facts: Record<string, unknown>): { values: Record<string, unknown>; errors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  const add = (field: string, m: Msg) => (errors[field] ??= []).push(m);
  for (const def of defs) {
    let v = raw[def.name];
    if (typeof v === 'string') v = v.trim();
    const required = def.required || (def.requiredWhen?.({ facts, input: raw }) ?? false);
    if (isEmpty(v)) {
      if (required) add(def.name, msg(def, 'ต้องระบุ', 'is required'));
      continue;
    }
    const out = checkValue(def, v);
    if ('error' in out) add(def.name, out.error);
    else values[def.name] = out.value;
  }
  for (const def of defs) {
    const other = def.not_before ? defs.find((d) => d.name === def.not_before) : undefined;
    const a = values[def.name];
    const b = other ? values[other.name] : undefined;
    // YYYY-MM-DD strings order as the days do.
    if (other && typeof a === 'string' && typeof b === 'string' && a < b) add(def.name, msg(def, `ต้องไม่ก่อน${other.label.th}`, `must not be before ${other.label.en.toLowerCase()}`));
  }
  return { values, errors };
}

// Limits for inputs whose definition names none, so no step records an unbounded value.
const DEFAULT_MAX: Partial<Record<InputDef['type'], number>> = { string: 1000, text: 20000, email: 254, string_list: 1000 };

function checkValue(input: CompiledInput, v: unknown): { value: unknown } | { error: Msg } {
  const def = input.max === undefined && DEFAULT_MAX[input.type] !== undefined ? { ...input, max: DEFAULT_MAX[input.type] } : input;
  const lengthOk = (n: number) => (def.min === undefined || n >= def.min) && (def.max === undefined || n <= def.max);
  const lengthMsg = () =>
    msg(def, `ความยาวต้องอยู่ระหว่าง ${def.min ?? 0} ถึง ${def.max ?? '∞'} ตัวอักษร`, `must be between ${def.min ?? 0} and ${def.max ?? '∞'} characters long`);
  switch (def.type) {
    case 'string':
    case 'text':
    case 'email': {
      if (typeof v !== 'string') return { error: msg(def, 'ต้องเป็นข้อความ', 'must be text') };
      if (def.type === 'string' && /[\r\n]/.test(v)) return { error: msg(def, 'ต้องเป็นข้อความบรรทัดเดียว', 'must be a single line') };
      if (!lengthOk([...v].length)) return { error: lengthMsg() };
      if (def.type === 'email' && !EMAIL.test(v)) return { error: msg(def, 'รูปแบบอีเมลไม่ถูกต้อง', 'is not a valid e-mail address') };
      if (def.regex && !def.regex.test(v)) return { error: def.pattern_message ? msg(def, def.pattern_message.th, def.pattern_message.en) : msg(def, 'รูปแบบไม่ถูกต้อง', 'has the wrong format') };
      return { value: v };
    }
    case 'enum': {
      const s = String(v);
      const options = def.options ?? [];
      if (!options.some((o) => o.value === s)) {
        const list = options.map((o) => o.value).join(', ');
        return { error: msg(def, `ต้องเป็นค่าใดค่าหนึ่งใน ${list}`, `must be one of ${list}`) };
      }
      return { value: s };
    }
    case 'boolean': {
      if (v === true || v === 'true' || v === 'on' || v === '1') return { value: true };
      if (v === false || v === 'false' || v === '0') return { value: false };
      return { error: msg(def, 'ต้องเป็นจริงหรือเท็จ', 'must be true or false') };
    }
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n)) return { error: msg(def, 'ต้องเป็นจำนวนเต็ม', 'must be a whole number') };
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        return { error: msg(def, `ต้องอยู่ระหว่าง ${def.min ?? '-∞'} ถึง ${def.max ?? '∞'}`, `must be between ${def.min ?? '-∞'} and ${def.max ?? '∞'}`) };
      }
      return { value: n };
    }
    case 'date': {
      const s = String(v);
      const d = new Date(`${s}T00:00:00Z`);
      if (!DATE.test(s) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) {
        return { error: msg(def, 'ต้องเป็นวันที่รูปแบบ ปปปป-ดด-วว (ค.ศ.)', 'must be a date as YYYY-MM-DD') };
      }
      return { value: s };
    }
    case 'string_list': {
      const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\n,]/) : null;
      if (!list || list.some((x) => typeof x !== 'string')) return { error: msg(def, 'ต้องเป็นรายการข้อความ', 'must be a list of text') };
      const items = (list as string[]).map((x) => x.trim()).filter(Boolean);
      if ((def.min !== undefined && items.length < def.min) || (def.max !== undefined && items.length > def.max)) {
        return { error: msg(def, `ต้องมี ${def.min ?? 0} ถึง ${def.max ?? '∞'} รายการ`, `must have ${def.min ?? 0} to ${def.max ?? '∞'} items`) };
      }
      if (items.some((x) => x.length > 500)) return { error: msg(def, 'แต่ละรายการยาวได้ไม่เกิน 500 ตัวอักษร', 'each item may be at most 500 characters') };
      return { value: items };
    }
    case 'thai_id': {
      const s = String(v).replace(/[\s-]/g, '');
      if (!isThaiId(s)) return { error: msg(def, 'เลขประจำตัวประชาชน 13 หลักไม่ถูกต้อง (ตรวจหลักตรวจสอบแล้วไม่ตรง)', 'is not a valid 13-digit citizen id (check digit mismatch)') };
      // Checked in full, recorded masked: the case log proves a check was made without becoming a
      // register of citizen ids.
      return { value: maskThaiId(s) };
    }
  }
}
