/**
 * A streaming CSV/TSV reader for loads: a line without quotes is split directly (the common case,
 * several times faster than a general parser), a quoted record is read by a small state machine
 * and may span lines. Quotes are read leniently (a stray quote inside a field is kept), and a quote
 * that never closes is reported at the line it opened, after which reading resumes on the next line,
 * so one bad quote costs one record, not the rest of the file.
 */

export type CsvItem = { line: number; cells: string[] } | { line: number; error: string };

/** A quoted record may span this many lines (or characters) before it is taken for an unclosed quote. */
const MAX_RECORD_LINES = 10_000;
const MAX_RECORD_CHARS = 1 << 20;

/**
 * Parses one record's text; null when it ends inside a quoted field. Strict (for records that span
 * lines): text between a closing quote and the delimiter means the quote was never meant to close
 * there, answered 'bad'.
 */
export function parseQuoted(text: string, delim: string, strict = false): string[] | null | 'bad' {
  const cells: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text[i] === '"') {
      let v = '';
      let j = i + 1;
      for (;;) {
        const k = text.indexOf('"', j);
        if (k < 0) return null;
        v += text.slice(j, k);
        if (text[k + 1] === '"') {
          v += '"';
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      // Text after the closing quote up to the delimiter is kept as it is (lenient, as relax_quotes).
      let end = text.indexOf(delim, j);
      if (end < 0) end = n;
      if (strict && end > j) return 'bad';
      v += text.slice(j, end);
      cells.push(v);
      i = end;
    } else {
      let end = text.indexOf(delim, i);
      if (end < 0) end = n;
      cells.push(text.slice(i, end));
      i = end;
    }
    if (i >= n) return cells;
    i += delim.length; // past the delimiter
    if (i >= n) {
      cells.push('');
      return cells;
    }
  }
}

/** Separators a ".csv" may really use (Excel in locales with a decimal comma saves ";", "Unicode text" saves tabs). */
const DELIMITERS = [',', '\t', ';', '|'];

/** The separator of a header line: the candidate it has most of outside quotes (a comma when none or a tie). */
export function sniffDelimiter(header: string): string {
  const bare = header.replace(/"[^"]*"/g, '');
  let best = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = bare.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

export class CsvReader {
  private rest: string[] = [];
  private restChars = 0;
  private line = 0;
  private pending: string[] = [];
  private pendingStart = 0;
  private pendingChars = 0;
  /** null: decided by the first line (sniffDelimiter). */
  private delim: string | null;

  constructor(delim: string | null) {
    this.delim = delim;
  }

  /** The separator in use (once the first line is read). */
  get delimiter(): string | null {
    return this.delim;
  }

  /** Characters of a line not yet ended (the caller bounds it). */
  get partialChars(): number {
    return this.restChars;
  }

  /** Records completed by this chunk of text. */
  push(chunk: string, out: CsvItem[]): void {
    // A chunk without a line end is kept as a piece, not joined: a long line costs no copy per chunk.
    if (!chunk.includes('\n')) {
      this.rest.push(chunk);
      this.restChars += chunk.length;
      return;
    }
    const text = this.rest.join('') + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.onLine(text.slice(start, text[nl - 1] === '\r' ? nl - 1 : nl), out);
      start = nl + 1;
    }
    const rest = text.slice(start);
    this.rest = rest ? [rest] : [];
    this.restChars = rest.length;
  }

  end(out: CsvItem[]): void {
    const rest = this.rest.join('');
    if (rest) this.onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, out);
    this.rest = [];
    this.restChars = 0;
    while (this.pending.length) this.abandonPending(out);
  }

  private onLine(l: string, out: CsvItem[]): void {
    this.line++;
    if (this.pending.length) {
      this.pending.push(l);
      this.pendingChars += l.length + 1;
      const cells = parseQuoted(this.pending.join('\n'), this.delim!, true);
      // A record across lines must close its quote cleanly and have the header's width; else the quote was stray.
      if (cells === 'bad' || (cells && this.width && cells.length !== this.width)) return this.abandonPending(out);
      if (cells) {
        this.emit(out, this.pendingStart, cells);
        this.pending = [];
        return;
      }
      if (this.pending.length > MAX_RECORD_LINES || this.pendingChars > MAX_RECORD_CHARS) this.abandonPending(out);
      return;
    }
    this.fresh(l, this.line, out);
  }

  private width = 0;

  private emit(out: CsvItem[], line: number, cells: string[]): void {
    if (!this.width) this.width = cells.length;
    out.push({ line, cells });
  }

  private fresh(l: string, lineNo: number, out: CsvItem[]): void {
    if (l === '') return;
    this.delim ??= sniffDelimiter(l);
    if (!l.includes('"')) {
      this.emit(out, lineNo, l.split(this.delim));
      return;
    }
    const cells = parseQuoted(l, this.delim);
    if (cells && cells !== 'bad') {
      this.emit(out, lineNo, cells);
      return;
    }
    this.pending = [l];
    this.pendingStart = lineNo;
    this.pendingChars = l.length;
  }

  /** The open quote never closed: report its line, then read the lines after it afresh. */
  private abandonPending(out: CsvItem[]): void {
    const lines = this.pending;
    const startLine = this.pendingStart;
    this.pending = [];
    out.push({ line: startLine, error: 'a quoted field is not closed (unmatched ")' });
    // The lines after it are read again as if new (a later stray quote is handled the same way).
    const saved = this.line;
    this.line = startLine;
    for (let k = 1; k < lines.length; k++) this.onLine(lines[k]!, out);
    this.line = saved;
  }
}
