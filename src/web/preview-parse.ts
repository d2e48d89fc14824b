import { parse as parseCsv } from 'csv-parse/sync';
import { xlsxHead, XlsxBudgetError } from './xlsx-head.ts';

export const PREVIEW_ROWS = 50;
export const PREVIEW_COLS = 50;
const CELL_CHARS = 500;
/** Inflated XML one XLSX preview may read, whatever the zip's headers claim. */
export const XLSX_INFLATE_BUDGET = 16 * 1024 * 1024;

export type TablePreview =
  | { kind: 'table'; header: string[]; rows: string[][]; truncated: boolean }
  | { kind: 'none'; reason: 'too_large' | 'unreadable' };

export interface ParseJob {
  kind: 'csv' | 'tsv' | 'xlsx';
  bytes: Uint8Array;
  /** The bytes are the whole file (CSV may be a head cut at a line end). */
  complete: boolean;
}

/** Thai files are often still in TIS-620 / Windows-874: decode as UTF-8 when valid, else as Thai. */
export function decodeText(bytes: Uint8Array): string {
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

function table(records: string[][], truncated: boolean): TablePreview {
  const width = Math.min(PREVIEW_COLS, Math.max(0, ...records.map((r) => r.length)));
  const cut = records.map((r) => Array.from({ length: width }, (_, i) => (r[i] ?? '').slice(0, CELL_CHARS)));
  const [header = [], ...rows] = cut;
  return { kind: 'table', header, rows: rows.slice(0, PREVIEW_ROWS), truncated: truncated || rows.length > PREVIEW_ROWS };
}

/** The table preview of a CSV/TSV head or an XLSX file: the CPU-heavy part, run in a worker. */
export async function parseTablePreview(job: ParseJob): Promise<TablePreview> {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  if (job.kind === 'xlsx') {
    try {
      const head = await xlsxHead(bytes, PREVIEW_ROWS + 1, XLSX_INFLATE_BUDGET, PREVIEW_COLS, CELL_CHARS);
      return table(head.records, head.truncated);
    } catch (e) {
      return { kind: 'none', reason: e instanceof XlsxBudgetError ? 'too_large' : 'unreadable' };
    }
  }
  let text = decodeText(bytes);
  if (!job.complete) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const records = parseCsv(text, { delimiter: job.kind === 'tsv' ? '\t' : ',', relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: PREVIEW_ROWS + 2 }) as string[][];
  return table(records, !job.complete);
}
