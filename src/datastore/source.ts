import { Transform, type Readable } from 'node:stream';
import { CsvReader, type CsvItem } from './csv.ts';
import ExcelJS from 'exceljs';
import { cellText } from '../util/xlsx-cell.ts';

/** One record of a tabular file: its (last) line number and its cells as text. */
export type SourceItem = { line: number; cells: string[] } | { line: number; error: string };

export type SourceKind = 'csv' | 'tsv' | 'xlsx';

export function sourceKind(format: string, filename: string): SourceKind | null {
  const ext = (filename.split('.').pop() ?? '').toUpperCase();
  const f = (format || ext).toUpperCase();
  if (f === 'CSV' || ext === 'CSV') return 'csv';
  if (f === 'TSV' || ext === 'TSV' || ext === 'TAB') return 'tsv';
  if (f === 'XLSX' || ext === 'XLSX') return 'xlsx';
  return null;
}

export interface EncodingStats {
  utf8Lines: number;
  thaiLines: number;
  bom: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const thai = new TextDecoder('windows-874');

/**
 * Decodes a byte stream line by line: each line is UTF-8 when it is valid UTF-8, else Windows-874
 * (TIS-620), so a file exported in one encoding and appended to in another still reads whole; the
 * counts tell the loader which encoding it met. A newline byte is never inside a character in either.
 */
export function decodeLines(stats: EncodingStats, onBytes?: (n: number) => void): Transform {
  let rest: Buffer = Buffer.alloc(0);
  let first = true;
  const decode = (buf: Buffer): string => {
    if (!buf.length) return '';
    try {
      const s = utf8.decode(buf);
      // Count lines only where it matters for the report: a chunk is one unit on the fast path.
      stats.utf8Lines++;
      return s;
    } catch {
      let out = '';
      let start = 0;
      while (start < buf.length) {
        let end = buf.indexOf(10, start);
        end = end < 0 ? buf.length : end + 1;
        const line = buf.subarray(start, end);
        try {
          out += utf8.decode(line);
          stats.utf8Lines++;
        } catch {
          out += thai.decode(line);
          stats.thaiLines++;
        }
        start = end;
      }
      return out;
    }
  };
  return new Transform({
    readableObjectMode: true,
    decodeStrings: true,
    transform(chunk: Buffer, _enc, done) {
      onBytes?.(chunk.length);
      let buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      if (first && buf.length >= 3) {
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
          stats.bom = true;
          buf = buf.subarray(3);
        }
      }
      const cut = buf.lastIndexOf(10);
      if (cut < 0) {
        rest = buf;
        return done();
      }
      rest = Buffer.from(buf.subarray(cut + 1));
      done(null, decode(buf.subarray(0, cut + 1)));
    },
    flush(done) {
      if (first && rest.length >= 3 && rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf) {
        stats.bom = true;
        rest = rest.subarray(3);
      }
      done(null, decode(rest));
    },
  });
}

/** Records of a CSV/TSV stream; a record that cannot be read is reported with its line, and reading goes on. */
export async function* delimitedRows(stream: Readable, kind: 'csv' | 'tsv', stats: EncodingStats, onBytes?: (n: number) => void): AsyncGenerator<SourceItem> {
  for await (const batch of delimitedBatches(stream, kind, stats, onBytes)) yield* batch;
}

/** The same records, a decoded chunk's worth at a time: a loader's per-record cost is not an await per record. */
export async function* delimitedBatches(stream: Readable, kind: 'csv' | 'tsv', stats: EncodingStats, onBytes?: (n: number) => void): AsyncGenerator<SourceItem[]> {
  const reader = new CsvReader(kind === 'tsv' ? '\t' : ',');
  const decoded = stream.pipe(decodeLines(stats, onBytes));
  stream.on('error', (e) => decoded.destroy(e));
  for await (const chunk of decoded) {
    const out: CsvItem[] = [];
    reader.push(String(chunk), out);
    if (out.length) yield out;
  }
  const out: CsvItem[] = [];
  reader.end(out);
  if (out.length) yield out;
}

/** XLSX rows in groups, as delimitedBatches gives CSV records. */
export async function* xlsxBatches(stream: Readable): AsyncGenerator<SourceItem[]> {
  let out: SourceItem[] = [];
  for await (const item of xlsxRows(stream)) {
    out.push(item);
    if (out.length >= 256) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}

/** Rows of an XLSX file's first sheet, streamed (exceljs' reader: row by row, not the workbook). */
export async function* xlsxRows(stream: Readable): AsyncGenerator<SourceItem> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'emit' } as never);
  for await (const sheet of reader as AsyncIterable<AsyncIterable<{ number: number; values: unknown[] }>>) {
    for await (const row of sheet) {
      const values = Array.isArray(row.values) ? row.values.slice(1) : [];
      const cells = Array.from({ length: values.length }, (_, i) => cellText(values[i]).trim());
      if (cells.every((c) => c === '')) continue;
      yield { line: row.number, cells };
    }
    break; // the first sheet only
  }
}
