import type { ErrorBag } from '../actions/errors.ts';
import { M } from './messages.ts';

/** Zero-width and other invisible format characters that make look-alike titles and tags. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
const NUL = /\u0000/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

export interface TextOptions {
  max?: number;
  /** Identifiers (titles, tags): invisible characters are an error, not silently removed. */
  strict?: boolean;
}

/** Reads a text value: must be a string (numbers are accepted and written as text), NFC, no NUL. */
export function readText(value: unknown, field: string, bag: ErrorBag, opts: TextOptions = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
  else {
    bag.add(field, M.notString());
    return undefined;
  }
  if (NUL.test(s)) {
    bag.add(field, M.nul());
    return undefined;
  }
  s = s.normalize('NFC');
  if (INVISIBLE.test(s)) {
    INVISIBLE.lastIndex = 0;
    if (opts.strict) {
      bag.add(field, M.invisible());
      return undefined;
    }
    s = s.replace(INVISIBLE, '');
  }
  INVISIBLE.lastIndex = 0;
  const max = opts.max ?? 20000;
  if ([...s].length > max) {
    bag.add(field, M.tooLong(max));
    return undefined;
  }
  return s;
}

/** Multi-select values arrive as a list, a JSON-encoded list (CKAN scheming), or one string. */
export function readList(value: unknown, field: string, bag: ErrorBag): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let list: unknown = value;
  if (typeof value === 'string') {
    const t = value.trim();
    if (t.startsWith('[')) {
      try {
        list = JSON.parse(t);
      } catch {
        list = [value];
      }
    } else list = [value];
  }
  if (!Array.isArray(list)) {
    bag.add(field, M.notList());
    return undefined;
  }
  const out: string[] = [];
  for (const item of list) {
    const s = readText(item, field, bag, { max: 500, strict: true });
    if (s === undefined) return undefined;
    const trimmed = s.trim();
    if (trimmed && !out.includes(trimmed)) out.push(trimmed);
  }
  return out;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 'on', 'ใช่', 'ยินยอม', 'ส่วนตัว']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'off', 'ไม่ใช่', 'ไม่ยินยอม', 'สาธารณะ', '']);

export function readFlag(value: unknown, field: string, bag: ErrorBag): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value === 'string') {
    const w = value.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  bag.add(field, M.flag());
  return undefined;
}

export function isEmail(s: string): boolean {
  return s.length <= 254 && EMAIL.test(s);
}

export function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/** ISO date; a Buddhist-era year (≥ 2400) is converted, as the national Excel importer does. */
export function readDate(s: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  let year = Number(m[1]);
  if (year >= 2400) year -= 543;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  if (year < 1800 || year > 2200) return undefined;
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}`;
}

/**
 * A timestamp from a caller (resource dates, grant expiry, imported record times): UTC unless a
 * zone is given, years 1 to 9999. Anything else, years outside what PostgreSQL stores
 * included, is undefined: the caller reports the field.
 */
export function readTimestamp(raw: unknown): Date | undefined {
  if (typeof raw !== 'string' && !(raw instanceof Date)) return undefined;
  const d = raw instanceof Date ? raw : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 1 || year > 9999) return undefined;
  return d;
}

export function flagOut(v: unknown): string | undefined {
  if (v === true) return 'True';
  if (v === false) return 'False';
  return undefined;
}
