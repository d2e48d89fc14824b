import { ValidationError } from './errors.ts';
import { M } from '../standard/messages.ts';

/** PostgreSQL's integer: a larger number in a LIMIT, OFFSET or comparison would fail in SQL, not in validation. */
export const MAX_INT = 2147483647;

/** A natural number parameter (CKAN's natural_number_validator): 409 for negatives, non-integers and numbers above 2³¹−1. */
export function naturalNumber(input: Record<string, unknown>, key: string, max = MAX_INT): number | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,16}\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw ValidationError.field(key, M.mustBeInteger());
  if (n > max) throw ValidationError.field(key, M.range(0, max));
  return n;
}

/** `limit` (default, capped at max) and `offset` of a list action, as CKAN reads them. */
export function readPaging(input: Record<string, unknown>, fallback: number, max: number): { limit: number; offset: number } {
  return { limit: Math.min(naturalNumber(input, 'limit') ?? fallback, max), offset: naturalNumber(input, 'offset') ?? 0 };
}

export function boolParam(input: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = input[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw ValidationError.field(key, M.flag());
}

export function stringParam(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw ValidationError.field(key, M.notString());
  return v;
}

/**
 * A list filter: one text value, or none (absent, null, ''). Anything else (an array from
 * ?state=a&state=b or JSON, an object, a number) is a field error: ignoring it would silently
 * answer the unfiltered list, which a caller takes for the filtered one. Every list action reads
 * its text filters here so they all behave the same.
 */
export function filterParam(input: Record<string, unknown>, key: string, max = 200): string | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw ValidationError.field(key, { th: 'ต้องเป็นค่าเดียว (ข้อความ) ไม่ใช่รายการ', en: 'Must be a single text value, not a list' });
  if (v.length > max) throw ValidationError.field(key, M.tooLong(max));
  return v;
}
