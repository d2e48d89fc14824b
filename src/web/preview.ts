import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FileStore } from '../files/file-store.ts';

/** What the resource page can show of a file without the visitor downloading it. */
export type Preview =
  | { kind: 'table'; header: string[]; rows: string[][]; truncated: boolean }
  | { kind: 'json'; text: string; truncated: boolean }
  | { kind: 'image' }
  | { kind: 'pdf' }
  | { kind: 'none'; reason: 'format' | 'too_large' | 'unreadable' };

export const PREVIEW_ROWS = 50;
const JSON_BYTES = 200 * 1024;
const CSV_BYTES = 1024 * 1024;
const XLSX_MAX_BYTES = 15 * 1024 * 1024;

const IMAGE = new Set(['PNG', 'JPG', 'JPEG', 'GIF', 'WEBP']);

export function previewKind(format: string, filename: string): 'csv' | 'tsv' | 'xlsx' | 'json' | 'image' | 'pdf' | null {
  const ext = (filename.split('.').pop() ?? '').toUpperCase();
  const f = (format || ext).toUpperCase();
  if (f === 'CSV' || ext === 'CSV') return 'csv';
  if (f === 'TSV' || ext === 'TSV') return 'tsv';
  if (f === 'XLSX' || ext === 'XLSX') return 'xlsx';
  if (f === 'JSON' || f === 'GEOJSON' || ext === 'JSON' || ext === 'GEOJSON') return 'json';
  if (IMAGE.has(f) || IMAGE.has(ext)) return 'image';
  if (f === 'PDF' || ext === 'PDF') return 'pdf';
  return null;
}

/** Reads at most `limit` bytes of a stream, then stops it. */
async function head(stream: Readable, limit: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= limit) {
        stream.destroy();
        return { bytes: Buffer.concat(chunks).subarray(0, limit), complete: false };
      }
    }
  } finally {
    stream.destroy();
  }
  return { bytes: Buffer.concat(chunks), complete: true };
}

/** Thai files are often still in TIS-620 / Windows-874: decode as UTF-8 when valid, else as Thai. */
export function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    // A cut in the middle of a UTF-8 sequence is not a reason to switch encodings.
    for (let cut = 1; cut <= 3 && cut < bytes.length; cut++) {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - cut)).replace(/^\uFEFF/, '');
      } catch {
        /* try the next cut */
      }
    }
    return new TextDecoder('windows-874').decode(bytes);
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('result' in o) return cellText(o.result);
    if ('text' in o) return cellText(o.text);
    if (Array.isArray(o.richText)) return (o.richText as Array<{ text: string }>).map((r) => r.text).join('');
    if ('error' in o) return String(o.error);
    return '';
  }
  return String(v);
}

function table(records: string[][], truncated: boolean): Preview {
  const [header = [], ...rows] = records;
  return { kind: 'table', header, rows: rows.slice(0, PREVIEW_ROWS), truncated: truncated || rows.length > PREVIEW_ROWS };
}

async function csvPreview(stream: Readable, delimiter: string): Promise<Preview> {
  const { bytes, complete } = await head(stream, CSV_BYTES);
  let text = decodeText(bytes);
  if (!complete) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const records = parseCsv(text, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: PREVIEW_ROWS + 2 }) as string[][];
  return table(records.map((r) => r.map((c) => c.slice(0, 500))), !complete);
}

async function xlsxPreview(stream: Readable, size: number | null): Promise<Preview> {
  if (size !== null && size > XLSX_MAX_BYTES) {
    stream.destroy();
    return { kind: 'none', reason: 'too_large' };
  }
  const { bytes, complete } = await head(stream, XLSX_MAX_BYTES + 1);
  if (!complete) return { kind: 'none', reason: 'too_large' };
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheet = wb.worksheets[0];
  if (!sheet) return { kind: 'none', reason: 'unreadable' };
  const records: string[][] = [];
  const width = Math.min(sheet.columnCount, 50);
  sheet.eachRow({ includeEmpty: false }, (row) => {
    if (records.length > PREVIEW_ROWS + 1) return;
    const cells: string[] = [];
    for (let c = 1; c <= width; c++) cells.push(cellText(row.getCell(c).value).slice(0, 500));
    records.push(cells);
  });
  return table(records, sheet.actualRowCount > PREVIEW_ROWS + 1);
}

async function jsonPreview(stream: Readable): Promise<Preview> {
  const { bytes, complete } = await head(stream, JSON_BYTES);
  const text = decodeText(bytes);
  if (complete) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2), truncated: false };
    } catch {
      /* not valid JSON: show it as it is */
    }
  }
  return { kind: 'json', text, truncated: !complete };
}

/** Builds the preview of an uploaded file the caller may download (the action has said so). */
export async function buildPreview(files: FileStore, file: { key: string; filename: string; size: number | null }, format: string): Promise<Preview> {
  const kind = previewKind(format, file.filename);
  if (kind === 'image') return { kind: 'image' };
  if (kind === 'pdf') return { kind: 'pdf' };
  if (!kind) return { kind: 'none', reason: 'format' };
  if (!(await files.exists(file.key))) return { kind: 'none', reason: 'unreadable' };
  const stream = files.open(file.key);
  try {
    if (kind === 'csv' || kind === 'tsv') return await csvPreview(stream, kind === 'tsv' ? '\t' : ',');
    if (kind === 'xlsx') return await xlsxPreview(stream, file.size);
    return await jsonPreview(stream);
  } catch {
    stream.destroy();
    return { kind: 'none', reason: 'unreadable' };
  }
}
