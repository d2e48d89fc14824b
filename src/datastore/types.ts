/**
 * Column types: inferred from every value in the file (so an inferred type never rejects a row) or
 * given by the resource's data dictionary (then values that break it are reported, row by row).
 * Dates follow Thai practice: day/month/year, and a year past 2400 is Buddhist era (2566 → 2023).
 */

export type ColumnType = 'int' | 'numeric' | 'date' | 'timestamp' | 'bool' | 'time' | 'json' | 'text';

export const SQL_TYPE: Record<ColumnType, string> = {
  int: 'bigint', numeric: 'numeric', date: 'date', timestamp: 'timestamp', bool: 'boolean', time: 'time', json: 'jsonb', text: 'text',
};

/** Data dictionary type (standard) → column type. */
export function dictionaryType(t: string | undefined): ColumnType | undefined {
  switch (t) {
    case 'integer': return 'int';
    case 'number': return 'numeric';
    case 'boolean': return 'bool';
    case 'date': return 'date';
    case 'datetime': return 'timestamp';
    case 'time': return 'time';
    case 'json': return 'json';
    case 'text': case 'geometry': case 'binary': return 'text';
    default: return undefined;
  }
}

/** CKAN clients name types their own way (int4, float8, timestamp …); the store keeps one name each. */
export function ckanType(t: unknown): ColumnType | undefined {
  const s = String(t ?? '').trim().toLowerCase();
  if (['int', 'int4', 'int8', 'integer', 'bigint', 'smallint', 'int2'].includes(s)) return 'int';
  if (['numeric', 'float', 'float4', 'float8', 'number', 'double precision', 'real'].includes(s)) return 'numeric';
  if (['date'].includes(s)) return 'date';
  if (['timestamp', 'timestamptz', 'datetime'].includes(s)) return 'timestamp';
  if (['bool', 'boolean'].includes(s)) return 'bool';
  if (['time'].includes(s)) return 'time';
  if (['json', 'jsonb'].includes(s)) return 'json';
  if (['text', 'varchar', 'string', ''].includes(s)) return 'text';
  return undefined;
}

const INT = /^[+-]?(?:0|[1-9]\d{0,17}|[1-9]\d{0,2}(?:,\d{3}){1,5})$/;
const NUM = /^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?(?:[eE][+-]?\d{1,3})?$/;
const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const DMY = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
const ISO_TS = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DMY_TS = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$/;
const TRUE = new Set(['true', 't', 'yes', 'y', 'ใช่', 'จริง']);
const FALSE = new Set(['false', 'f', 'no', 'n', 'ไม่ใช่', 'เท็จ']);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function ymd(y: number, m: number, d: number): string | null {
  if (y > 2400) y -= 543; // Buddhist era, as Thai agencies write years
  if (m < 1 || m > 12 || d < 1 || y < 1) return null;
  // Month lengths by rule, not a Date per value (loads convert millions); proleptic Gregorian, as Date was.
  const days = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : DAYS[m - 1]!;
  if (d > days) return null;
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

function hms(h: number, mi: number, s: number): string | null {
  if (h > 23 || mi > 59 || s > 59) return null;
  return `${pad(h)}:${pad(mi)}:${pad(s)}`;
}

const noCommas = (v: string) => (v.includes(',') ? v.replace(/,/g, '') : v);

const THAI_DIGITS = /[\u0E50-\u0E59]/g;
/** Thai digits (๐–๙, as Thai documents write numbers and dates) as ASCII ones. */
const asciiDigits = (v: string) => (/[\u0E50-\u0E59]/.test(v) ? v.replace(THAI_DIGITS, (d) => String(d.charCodeAt(0) - 0x0e50)) : v);

/** A code with a leading zero (postal codes, IDs: 0123 ≠ 123), in either digits: text, not a number. */
export const LEADING_ZERO = /^[+-]?[0\u0E50][0-9\u0E50-\u0E59]/;

/** The value in the column type's canonical text (what COPY and parameters get), or null if it does not fit. */
export function convert(type: ColumnType, v: string): string | null {
  if (type !== 'text' && type !== 'json') v = asciiDigits(v);
  switch (type) {
    case 'text':
      return v;
    case 'int':
      return INT.test(v) ? noCommas(v) : null;
    case 'numeric':
      return NUM.test(v) && /\d/.test(v) ? noCommas(v) : null;
    case 'date': {
      let m = ISO_DATE.exec(v);
      if (m) return ymd(+m[1]!, +m[2]!, +m[3]!);
      m = DMY.exec(v);
      return m ? ymd(+m[3]!, +m[2]!, +m[1]!) : null;
    }
    case 'timestamp': {
      let m = ISO_TS.exec(v);
      if (m) {
        const d = ymd(+m[1]!, +m[2]!, +m[3]!);
        const t = hms(+m[4]!, +m[5]!, +(m[6] ?? 0));
        return d && t ? `${d} ${t}${m[7] ?? ''}` : null;
      }
      m = DMY_TS.exec(v);
      if (m) {
        const d = ymd(+m[3]!, +m[2]!, +m[1]!);
        const t = hms(+m[4]!, +m[5]!, +(m[6] ?? 0));
        return d && t ? `${d} ${t}` : null;
      }
      return null;
    }
    case 'bool': {
      const l = v.toLowerCase();
      return TRUE.has(l) ? 'true' : FALSE.has(l) ? 'false' : null;
    }
    case 'time': {
      const m = TIME.exec(v);
      return m ? hms(+m[1]!, +m[2]!, +(m[3] ?? 0)) : null;
    }
    case 'json':
      try {
        return JSON.stringify(JSON.parse(v));
      } catch {
        return null;
      }
  }
}

const CANDIDATES: ColumnType[] = ['int', 'numeric', 'date', 'timestamp', 'bool', 'time'];

/** Tracks which types every non-empty value of a column fits; text when none does (or no value). */
export class TypeGuess {
  private alive = new Set<ColumnType>(CANDIDATES);
  private seen = false;

  add(v: string): void {
    if (v === '' || !this.alive.size) return;
    this.seen = true;
    // Codes with a leading zero (postal codes, IDs) are text, not numbers: 0123 ≠ 123.
    if (LEADING_ZERO.test(v)) {
      this.alive.delete('int');
      this.alive.delete('numeric');
    }
    for (const t of this.alive) if (convert(t, v) === null) this.alive.delete(t);
  }

  /** Whether any non-empty value was added. */
  get seenAny(): boolean {
    return this.seen;
  }

  result(): ColumnType {
    if (!this.seen) return 'text';
    for (const t of CANDIDATES) if (this.alive.has(t)) return t;
    return 'text';
  }
}

export function typeMessage(type: ColumnType): { th: string; en: string } {
  const names: Record<ColumnType, [string, string]> = {
    int: ['จำนวนเต็ม', 'an integer'], numeric: ['ตัวเลข', 'a number'], date: ['วันที่ (เช่น 31/12/2566 หรือ 2023-12-31)', 'a date (e.g. 31/12/2566 or 2023-12-31)'],
    timestamp: ['วันเวลา', 'a date and time'], bool: ['ค่าจริง/เท็จ', 'true or false'], time: ['เวลา', 'a time'], json: ['JSON', 'JSON'], text: ['ข้อความ', 'text'],
  };
  const [th, en] = names[type];
  return { th: `ต้องเป็น${th}`, en: `Must be ${en}` };
}
