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

// Formatters are costly to build (a third of a millisecond each): one per language and precision.
const NUMBER_FORMATS = new Map<string, Intl.NumberFormat>();
function numberFormat(lang: Lang, fractionDigits?: number): Intl.NumberFormat {
  const key = `${lang}:${fractionDigits ?? ''}`;
  let f = NUMBER_FORMATS.get(key);
  if (!f) NUMBER_FORMATS.set(key, (f = new Intl.NumberFormat(lang === 'th' ? 'th-TH' : 'en-GB', fractionDigits === undefined ? {} : { maximumFractionDigits: fractionDigits })));
  return f;
}

export function formatNumber(lang: Lang, n: number): string {
  return numberFormat(lang).format(n);
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
  return `${numberFormat(lang, i ? 1 : 0).format(v)} ${units[i]}`;
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

// Buddhist-era dates are shared with the Excel template import, so they live in util/.
export { isoToBuddhist, parseFormDate, type FormDate } from '../util/thai-date.ts';

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
