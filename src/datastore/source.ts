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
  /** A UTF-16 file (by its BOM, as Excel's "Unicode text" saves). */
  utf16?: 'le' | 'be';
}

/** A load that cannot succeed whatever the retry (not a table, no file): recorded, not retried. */
export class LoadError extends Error {}

/** A line (bytes) with no line end past this is not a record of a table: the load stops there instead of holding it. */
export const MAX_LINE_BYTES = 32 << 20;

/**
 * What the first bytes of an upload say it is, whatever its name or format: a zip (XLSX saved or
 * renamed .csv) is read as XLSX; an old .xls, a PDF or another binary file cannot be loaded as text.
 */
export function sniffKind(head: Buffer, kind: SourceKind): SourceKind {
  const starts = (...b: number[]) => b.every((x, i) => head[i] === x);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'xlsx';
  if (kind === 'xlsx') {
    if (!head.length) throw new LoadError('the XLSX file is empty');
    throw new LoadError('the file is not an XLSX workbook (an XLSX file is a zip archive)');
  }
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) throw new LoadError('an old Excel .xls file cannot be loaded: save it as XLSX or CSV');
  if (starts(0x25, 0x50, 0x44, 0x46)) throw new LoadError('a PDF file is not a table: upload the data as CSV or XLSX');
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return kind; // UTF-16 text, read by decodeLines
  let nul = 0;
  for (const b of head.subarray(0, 4096)) if (b === 0) nul++;
  // Text has no NUL; a row with one is reported as bad, but a head full of them is a binary file (or UTF-16 without a BOM).
  if (nul > 8) throw new LoadError('a binary file is not CSV/TSV text (or it is UTF-16 without a byte order mark: save it as UTF-8 CSV)');
  return kind;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const crToLf = (b: Buffer): Buffer => Buffer.from(b).map((x) => (x === 13 ? 10 : x)) as Buffer;
const thai = new TextDecoder('windows-874');

/**
 * Decodes a byte stream line by line: each line is UTF-8 when it is valid UTF-8, else Windows-874
 * (TIS-620), so a file exported in one encoding and appended to in another still reads whole; the
 * counts tell the loader which encoding it met. A newline byte is never inside a character in either.
 * A UTF-16 BOM switches to UTF-16 for the whole file. Lines end at LF or CRLF, or at a lone CR
 * when that is how the file's first line ends (old Mac exports).
 */
export function decodeLines(stats: EncodingStats, onBytes?: (n: number) => void): Transform {
  // The bytes after the last line end, as chunks (joined only when a line end comes: no copy per chunk of a long line).
  let rest: Buffer[] = [];
  let restLen = 0;
  let first = true;
  let crOnly: boolean | null = null;
  let wide: { decode(b?: Uint8Array, o?: { stream?: boolean }): string } | null = null;
  let heldCR = '';
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
  /** Whether the text's first line ends with a lone CR (then every CR is a line end); null while undecided. */
  const lineEnd = (at: (i: number) => number, n: number): boolean | null => {
    for (let i = 0; i < n; i++) {
      const c = at(i);
      if (c === 10) return false;
      if (c === 13) return i + 1 < n ? at(i + 1) !== 10 : null;
    }
    return null;
  };
  const tooLong = () => new LoadError(`a line is longer than ${MAX_LINE_BYTES >> 20} MB without a line end: not a CSV/TSV table`);
  return new Transform({
    readableObjectMode: true,
    decodeStrings: true,
    transform(chunk: Buffer, _enc, done) {
      onBytes?.(chunk.length);
      if (first) {
        const head = restLen ? Buffer.concat([...rest, chunk]) : chunk;
        if (head.length < 3 && !(head.length === 2 && (head[0] === 0xff || head[0] === 0xfe))) {
          rest = [head];
          restLen = head.length;
          return done();
        }
        first = false;
        rest = [];
        restLen = 0;
        if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
          stats.utf16 = head[0] === 0xff ? 'le' : 'be';
          wide = new TextDecoder(stats.utf16 === 'le' ? 'utf-16le' : 'utf-16be');
          chunk = head.subarray(2);
        } else if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
          stats.bom = true;
          chunk = head.subarray(3);
        } else chunk = head;
      }
      if (wide) {
        let s = heldCR + wide.decode(chunk, { stream: true });
        heldCR = '';
        if (crOnly === null) crOnly = lineEnd((i) => s.charCodeAt(i), s.length);
        // A CR ending the text before the first line end is decided: held until the next chunk says which it is.
        if (crOnly === null && s.endsWith('\r')) [s, heldCR] = [s.slice(0, -1), '\r'];
        if (crOnly) s = s.replace(/\r/g, '\n');
        return done(null, s);
      }
      if (crOnly === null) {
        // Held bytes are all before the first line end; at most their last is a CR that this chunk decides.
        const held = restLen ? rest[rest.length - 1]![rest[rest.length - 1]!.length - 1] : undefined;
        crOnly = held === 13 ? (chunk.length ? chunk[0] !== 10 : null) : lineEnd((i) => chunk[i]!, chunk.length);
        if (crOnly && restLen) rest = rest.map(crToLf);
      }
      // CR is never inside a character in UTF-8 or Windows-874: as a line end it becomes LF.
      if (crOnly) chunk = crToLf(chunk);
      const cut = chunk.lastIndexOf(10);
      if (cut < 0) {
        rest.push(chunk);
        restLen += chunk.length;
        return restLen > MAX_LINE_BYTES ? done(tooLong()) : done();
      }
      const buf = restLen ? Buffer.concat([...rest, chunk.subarray(0, cut + 1)]) : chunk.subarray(0, cut + 1);
      rest = [Buffer.from(chunk.subarray(cut + 1))];
      restLen = rest[0]!.length;
      done(null, decode(buf));
    },
    flush(done) {
      let buf: Buffer = Buffer.concat(rest);
      if (wide) return done(null, heldCR + wide.decode());
      if (first && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        stats.bom = true;
        buf = buf.subarray(3);
      }
      if (crOnly === null) crOnly = lineEnd((i) => buf[i]!, buf.length);
      if (crOnly) buf = crToLf(buf);
      done(null, decode(buf));
    },
  });
}

/** Records of a CSV/TSV stream; a record that cannot be read is reported with its line, and reading goes on. */
export async function* delimitedRows(stream: Readable, kind: 'csv' | 'tsv', stats: EncodingStats, onBytes?: (n: number) => void): AsyncGenerator<SourceItem> {
  for await (const batch of delimitedBatches(stream, kind, stats, onBytes)) yield* batch;
}

/** The same records, a decoded chunk's worth at a time: a loader's per-record cost is not an await per record. */
export async function* delimitedBatches(stream: Readable, kind: 'csv' | 'tsv', stats: EncodingStats, onBytes?: (n: number) => void): AsyncGenerator<SourceItem[]> {
  // A ".csv" is split by what its header line uses (comma, tab, semicolon or bar); a ".tsv" by tabs.
  const reader = new CsvReader(kind === 'tsv' ? '\t' : null);
  const decoded = stream.pipe(decodeLines(stats, onBytes));
  stream.on('error', (e) => decoded.destroy(e));
  for await (const chunk of decoded) {
    const out: CsvItem[] = [];
    reader.push(String(chunk), out);
    // UTF-16 text comes in chunks whatever its lines: the same bound as on bytes.
    if (reader.partialChars > MAX_LINE_BYTES / 2) throw new LoadError(`a line is longer than ${MAX_LINE_BYTES >> 21} M characters without a line end: not a CSV/TSV table`);
    if (out.length) yield out;
  }
  const out: CsvItem[] = [];
  reader.end(out);
  if (out.length) yield out;
}

/** XLSX rows in groups, as delimitedBatches gives CSV records. */
export async function* xlsxBatches(stream: Readable): AsyncGenerator<SourceItem[]> {
  let out: SourceItem[] = [];
  try {
    for await (const item of xlsxRows(stream)) {
      out.push(item);
      if (out.length >= 256) {
        yield out;
        out = [];
      }
    }
  } catch (e) {
    if (e instanceof LoadError) throw e;
    // The file itself is broken (not a zip, cut short, not a workbook): no retry reads it better.
    throw new LoadError(`the XLSX file cannot be read (${(e instanceof Error ? e.message : String(e)).slice(0, 200)}): save it again from Excel, or as CSV`);
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
