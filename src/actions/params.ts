import { ValidationError } from './errors.ts';
import { M } from '../standard/messages.ts';

/** A natural number parameter (CKAN's natural_number_validator): 409 for negatives and non-integers. */
export function naturalNumber(input: Record<string, unknown>, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw ValidationError.field(key, M.mustBeInteger());
  return n;
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
