import type { ErrorBag } from '../actions/errors.ts';
import { M } from './messages.ts';

/**
 * Default-ignorable code points: zero-width space, ZWNJ, ZWJ, word joiner, BOM, soft hyphen, bidi
 * marks and overrides, variation selectors, Unicode "tag" characters and the rest of the class.
 * Thai word processors put them between words; they are invisible, so they make look-alike titles
 * and tags and carry nothing a reader could see. Every text value has them removed.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
/** C0 and C1 controls and DEL, except TAB, LF and CR (text in descriptions keeps its lines). */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** Line and paragraph breaks; a one-line value (title, tag, name) gets a space instead. */
const BREAKS = /[\t\n\r\u2028\u2029]+/g;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

export interface TextOptions {
  max?: number;
  /** A one-line value (titles, tags, names, identifiers): tabs and line breaks become a space. */
  strict?: boolean;
}

/** The text as stored: invisible formatting characters removed, then NFC. Used wherever text is compared. */
export function cleanText(s: string): string {
  return s.replace(INVISIBLE, '').normalize('NFC');
}

const controlMsg = (c: string) => {
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return { th: `มีอักขระควบคุม (${code}) ที่ไม่อนุญาต`, en: `Contains a control character (${code}), which is not allowed` };
};

/**
 * Reads a text value: must be a string (numbers are accepted and written as text), well-formed
 * Unicode, without NUL or other control characters; invisible formatting characters are removed
 * and the result is NFC. This is the one place every text input of a write passes through.
 */
export function readText(value: unknown, field: string, bag: ErrorBag, opts: TextOptions = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
  else {
    bag.add(field, M.notString());
    return undefined;
  }
  const control = CONTROL.exec(s);
  if (control) {
    bag.add(field, control[0] === '\u0000' ? M.nul() : controlMsg(control[0]));
    return undefined;
  }
  // A lone surrogate (from a JSON \ud800 escape) would be stored as U+FFFD: refused, not changed.
  if (!s.isWellFormed()) {
    bag.add(field, { th: 'ข้อความมีรหัสอักขระที่ไม่สมบูรณ์ (surrogate)', en: 'Contains an unpaired surrogate, which is not valid text' });
    return undefined;
  }
  s = cleanText(s);
  if (opts.strict) s = s.replace(BREAKS, ' ');
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

/** A logo is an absolute http(s) URL or a path on this site: never protocol-relative (//host) or with \\ or blanks a browser would rewrite. */
export function isImageUrl(s: string): boolean {
  return isHttpUrl(s) || /^\/(?![/\\])[^\s\\\x00-\x1f\x7f]*$/.test(s);
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
