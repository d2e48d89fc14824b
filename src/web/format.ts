import type { Lang } from '../actions/errors.ts';
import { html, safeHref, type Html } from './html.ts';

/** Thai pages show Buddhist-era dates (พ.ศ.) in Bangkok time; English pages the Gregorian calendar. */
const LOCALE: Record<Lang, string> = { th: 'th-TH-u-ca-buddhist', en: 'en-GB' };
const TZ = 'Asia/Bangkok';

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function fmt(lang: Lang, kind: 'date' | 'datetime' | 'plain'): Intl.DateTimeFormat {
  const key = `${lang}:${kind}`;
  let f = dateFormats.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      kind === 'datetime'
        ? { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TZ }
        : { day: 'numeric', month: 'long', year: 'numeric', timeZone: kind === 'plain' ? 'UTC' : TZ };
    f = new Intl.DateTimeFormat(LOCALE[lang], opts);
    dateFormats.set(key, f);
  }
  return f;
}

/** CKAN timestamps are UTC without a zone letter. */
function parseTimestamp(v: unknown): Date | null {
  if (v instanceof Date) return v;
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDate(lang: Lang, v: unknown): string {
  const d = parseTimestamp(v);
  return d ? fmt(lang, 'date').format(d) : '';
}

export function formatDateTime(lang: Lang, v: unknown): string {
  const d = parseTimestamp(v);
  return d ? fmt(lang, 'datetime').format(d) : '';
}

/** A calendar date of the standard (YYYY-MM-DD), shown without moving it across time zones. */
export function formatPlainDate(lang: Lang, v: unknown): string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return String(v ?? '');
  const d = new Date(`${v}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? v : fmt(lang, 'plain').format(d);
}

/** A <time> element: machine-readable ISO, human Buddhist-era text. */
export function timeEl(lang: Lang, v: unknown, withTime = false): Html {
  const d = parseTimestamp(v);
  if (!d) return html``;
  return html`<time datetime="${d.toISOString()}">${withTime ? formatDateTime(lang, d) : formatDate(lang, d)}</time>`;
}

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(lang === 'th' ? 'th-TH' : 'en-GB').format(n);
}

export function formatSize(lang: Lang, bytes: unknown): string {
  const n = Number(bytes);
  if (bytes === null || bytes === undefined || bytes === '' || !Number.isFinite(n) || n < 0) return '';
  const units = lang === 'th' ? ['ไบต์', 'KB', 'MB', 'GB', 'TB'] : ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(lang === 'th' ? 'th-TH' : 'en-GB', { maximumFractionDigits: i ? 1 : 0 }).format(v)} ${units[i]}`;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"')\]]+/g;

/** Plain text with links and paragraphs: enough for descriptions without a markdown engine (and its XSS surface). */
export function richText(text: unknown): Html {
  const s = typeof text === 'string' ? text.trim() : '';
  if (!s) return html``;
  const paragraphs = s.split(/\n\s*\n/);
  return html`${paragraphs.map((p) => html`<p>${p.split('\n').map((line, i) => html`${i ? html`<br>` : ''}${linkify(line)}`)}</p>`)}`;
}

function linkify(line: string): Html {
  const parts: Array<string | Html> = [];
  let last = 0;
  for (const m of line.matchAll(URL_RE)) {
    parts.push(line.slice(last, m.index));
    parts.push(html`<a href="${safeHref(m[0])}" rel="nofollow noopener">${m[0]}</a>`);
    last = m.index! + m[0].length;
  }
  parts.push(line.slice(last));
  return html`${parts}`;
}

/** Markdown markers (#, *, _) read as noise in plain text; drop them from short summaries. */
export function summary(text: unknown, max = 220): string {
  const s = typeof text === 'string' ? text.replace(/[#*_`>]+/g, '').replace(/\s+/g, ' ').trim() : '';
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : s;
}

const THAI_MONTHS = ['มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน', 'กรกฎาคม', 'สิงหาคม', 'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม'];

/** An ISO date as Thai users write it: วว/ดด/ปปปป in the Buddhist era (2024-12-31 → 31/12/2567). */
export function isoToBuddhist(v: unknown): string {
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
  return m ? `${m[3]}/${m[2]}/${Number(m[1]) + 543}` : typeof v === 'string' ? v : '';
}

export type FormDate = { iso: string } | { error: { th: string; en: string } };

/**
 * A date typed in a form: ISO (the English date picker) or วัน/เดือน/ปี, whose year counts as
 * Buddhist era from 2400 (as Thai users and the national Excel template write it) and as
 * Gregorian below. Returns the ISO date or a message that says what is wrong.
 */
export function parseFormDate(raw: string): FormDate | null {
  const t = raw.trim();
  // 31.12.2567, 31-12-2567 and 31 12 2567 are read as 31/12/2567; 2024-12-31 stays ISO.
  const s = /^\d{4}-/.test(t) ? t : t.replace(/\s*[./\-\s]\s*/g, '/');
  if (!s) return null;
  let day: number, month: number, year: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (iso) [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dmy) [day, month, year] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
  else return { error: { th: 'กรอกวันที่เป็น วัน/เดือน/ปี พ.ศ. เช่น 31/12/2567', en: 'Enter the date as day/month/year, e.g. 31/12/2024' } };
  const be = year >= 2400;
  const gregorian = be ? year - 543 : year;
  if (month < 1 || month > 12) return { error: { th: `ไม่มีเดือนที่ ${month} (เดือนต้องอยู่ระหว่าง 1 ถึง 12)`, en: `There is no month ${month} (months are 1 to 12)` } };
  const last = new Date(Date.UTC(gregorian, month, 0)).getUTCDate();
  if (day < 1 || day > last) {
    return { error: { th: `${THAI_MONTHS[month - 1]} ${be ? year : year + 543} มี ${last} วัน ไม่มีวันที่ ${day}`, en: `${new Intl.DateTimeFormat('en-GB', { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2000, month - 1, 1)))} ${gregorian} has ${last} days, not ${day}` } };
  }
  if (gregorian < 1800 || gregorian > 2200) return { error: { th: `ปี ${year} อยู่นอกช่วงที่รับได้ (พ.ศ. 2343–2743)`, en: `The year ${year} is out of range (1800–2200)` } };
  return { iso: `${String(gregorian).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}

const NUMERIC = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$/;

/** Columns of a preview table whose every filled cell is a number: shown right-aligned, as numbers are read. */
export function numericColumns(rows: ReadonlyArray<ReadonlyArray<unknown>>): Set<number> {
  const out = new Set<number>();
  const width = Math.max(0, ...rows.map((r) => r.length));
  for (let i = 0; i < width; i++) {
    let filled = 0;
    let ok = true;
    for (const r of rows) {
      const c = r[i] === undefined || r[i] === null ? '' : String(r[i]).trim();
      if (!c) continue;
      filled++;
      if (!NUMERIC.test(c)) {
        ok = false;
        break;
      }
    }
    if (ok && filled) out.add(i);
  }
  return out;
}
