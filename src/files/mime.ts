import path from 'node:path';
import { cleanText } from '../standard/values.ts';

/** Types a browser may show inline without running anything. Everything else downloads as bytes. */
const SAFE_INLINE: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};
const DOWNLOAD_ONLY: Record<string, string> = {
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.xls': 'application/vnd.ms-excel',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.doc': 'application/msword',
  '.zip': 'application/zip',
  '.xml': 'application/xml',
  '.rdf': 'application/rdf+xml',
  '.shp': 'application/octet-stream',
  '.gml': 'application/gml+xml',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.parquet': 'application/vnd.apache.parquet',
};

export function mimeFor(filename: string): string {
  const ext = path.extname(filename).toLowerCase();
  return SAFE_INLINE[ext] ?? DOWNLOAD_ONLY[ext] ?? 'application/octet-stream';
}

/** How to serve a stored file: HTML, SVG and scripts are never served as themselves. */
export function servingType(filename: string): { contentType: string; inline: boolean } {
  const ext = path.extname(filename).toLowerCase();
  if (SAFE_INLINE[ext]) {
    const t = SAFE_INLINE[ext];
    return { contentType: t.startsWith('text/') || t === 'application/json' ? `${t}; charset=utf-8` : t, inline: true };
  }
  return { contentType: DOWNLOAD_ONLY[ext] ?? 'application/octet-stream', inline: false };
}

export function formatFor(filename: string): string {
  return path.extname(filename).replace(/^\./, '').toUpperCase();
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029"\\/<>:|?*]/g;
const MAX_NAME = 200;
const graphemes = new Intl.Segmenter('th', { granularity: 'grapheme' });

/** Cuts `s` to at most `max` UTF-16 units at a grapheme boundary (never half an emoji or a vowel without its consonant). */
function cut(s: string, max: number): string {
  let out = '';
  for (const { segment } of graphemes.segment(s)) {
    if (out.length + segment.length > max) break;
    out += segment;
  }
  return out;
}

/**
 * A file name safe to keep in a URL and a Content-Disposition header: no path, no controls, no
 * invisible characters (a right-to-left override makes "x\u202Evsc.exe" read as "xexe.csv"),
 * never "." or "..", and a long name is shortened before its extension, which says its format.
 */
export function safeFilename(name: string): string {
  let base = cleanText(path.basename(name.toWellFormed())).replace(UNSAFE, '_').trim();
  if (/^\.*$/.test(base)) base = 'file';
  if (base.length <= MAX_NAME) return base;
  const ext = path.extname(base);
  if (!ext || ext.length > 20) return cut(base, MAX_NAME);
  return cut(base.slice(0, -ext.length), MAX_NAME - ext.length).trimEnd() + ext;
}

/** attr-char of RFC 5987: encodeURIComponent leaves ' ( ) * ! unencoded, which the grammar does not allow. */
function extValue(s: string): string {
  return encodeURIComponent(s).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Content-Disposition for a stored file (RFC 6266): the UTF-8 name as filename* and, for clients
 * that read only filename= (curl -J, older tools), an ASCII stand-in with no quote, backslash or control.
 */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const name = safeFilename(filename);
  const ascii = name.normalize('NFKD').replace(/\p{M}/gu, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${extValue(name)}`;
}
