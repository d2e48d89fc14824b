import { tokenize } from '../search/segment.ts';
import { convert, LEADING_ZERO, TypeGuess, type ColumnType } from './types.ts';
import { copyValue } from './copy.ts';
import { keepsType, type Plan } from './load-plan.ts';
import type { LoadErrorItem } from './meta.ts';

/** PostgreSQL's tsvector limits: a lexeme's bytes, and all of a value's lexemes' bytes together. */
const MAX_LEXEME_BYTES = 2047;
const MAX_TSVECTOR_BYTES = 1_000_000; // under the 1 MB (2^20 - 1) limit, with room to spare
/** Under this many UTF-16 units a row's words cannot reach MAX_TSVECTOR_BYTES (3 bytes a unit at most): no count needed. */
const FAST_WORD_CHARS = Math.floor(MAX_TSVECTOR_BYTES / 3);

const longWord = (w: string) => w.length > MAX_LEXEME_BYTES / 3 && Buffer.byteLength(w) > MAX_LEXEME_BYTES;

/** Words as tsvector literal text escaped for COPY (escaping is per character, so joined literals need no second pass). */
function lexemes(words: string[]): string {
  return copyValue(words.map((w) => `'${w.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`).join(' '));
}

/**
 * Segmented words per distinct cell, as lexeme text (agency tables repeat their categories, so
 * most cells are hits). A word longer than a lexeme may be (a URL, an encoded blob) is left out.
 */
export class TokenCache {
  private map = new Map<string, string>();
  get(v: string): string {
    let t = this.map.get(v);
    if (t === undefined) {
      const words = tokenize(v);
      t = lexemes(words.some(longWord) ? words.filter((w) => !longWord(w)) : words);
      if (this.map.size > 50_000) this.map.clear();
      this.map.set(v, t);
    }
    return t;
  }
}

/** A value met an inferred type it does not fit: the load is redone with the types of the whole file. */
export class Widen extends Error {}

/**
 * Turns records into COPY text lines by a plan. While the plan's types come from a sample, every
 * value of an inferred column is still checked against its type (a misfit throws Widen), and a
 * column the sample left empty keeps being guessed (`widened()` at the end), so a load that is not
 * redone has exactly the types a guess over every value would have given.
 */
export class RowEncoder {
  private readonly types: ColumnType[];
  private readonly labels: string[];
  private readonly ids: string[];
  private readonly watch: boolean[];
  private readonly unseen: boolean[];
  private readonly late: (TypeGuess | null)[];
  private readonly tokens = new TokenCache();
  private readonly width: number;
  private readonly addError: (e: LoadErrorItem) => void;
  /** Lines whose full-text value was cut to PostgreSQL's limit (the first few, and how many). */
  private capped: number[] = [];
  private cappedCount = 0;

  constructor(plan: Plan, addError: (e: LoadErrorItem) => void) {
    this.types = plan.fields.map((f) => f.type);
    this.labels = plan.fields.map((f) => f.label);
    this.ids = plan.fields.map((f) => f.id);
    this.unseen = plan.unseen;
    this.watch = plan.fields.map((f, i) => plan.inferred[i]! && (plan.unseen[i]! || f.type !== 'text'));
    this.late = plan.unseen.map((u) => (u ? new TypeGuess() : null));
    this.width = plan.width;
    this.addError = addError;
  }

  /** Whether a value of a watched column keeps the column's type (an empty column's guess is fed). */
  private keeps(i: number, cell: string): boolean {
    if (this.unseen[i]) {
      this.late[i]!.add(cell.trim());
      return true;
    }
    return keepsType(this.types[i]!, cell.trim());
  }

  /** The COPY line of a record, or null when the row is bad (reported). */
  line(lineNo: number, cells: string[]): string | null {
    if (cells.length !== this.width) {
      this.addError({ line: lineNo, message: `${cells.length} values where the header has ${this.width} columns` });
      return null;
    }
    let line = '';
    let words = '';
    let bad = false;
    for (let i = 0; i < this.width; i++) {
      const cell = cells[i]!;
      if (bad) {
        // The row is reported, but its values still count for the types, as a guess over the file counts them.
        if (this.watch[i] && !this.keeps(i, cell)) throw new Widen();
        continue;
      }
      const type = this.types[i]!;
      const raw = type === 'text' ? cell : cell.trim();
      if (raw.includes('\u0000')) {
        // PostgreSQL text cannot hold NUL: the row is reported, the load goes on.
        this.addError({ line: lineNo, field: this.ids[i]!, message: `column ${this.labels[i]}: contains a NUL (0x00) character` });
        bad = true;
        if (this.watch[i] && !this.keeps(i, cell)) throw new Widen();
        continue;
      }
      let v: string | null = null;
      if (raw !== '') {
        if (type === 'text') {
          v = raw;
          if (this.unseen[i]) this.late[i]!.add(raw.trim());
          const t = this.tokens.get(raw);
          if (t) words += words ? ` ${t}` : t;
        } else {
          v = convert(type, raw);
          if (this.watch[i] && (v === null || (type === 'numeric' && LEADING_ZERO.test(raw)))) throw new Widen();
          if (v === null) {
            this.addError({ line: lineNo, field: this.ids[i]!, value: raw.slice(0, 200), message: `column ${this.labels[i]}: ${JSON.stringify(raw.slice(0, 50))} is not ${type}` });
            bad = true;
            continue;
          }
        }
      }
      // Only text and JSON can hold a tab, newline or backslash: the other types' canonical text goes as it is.
      line += v === null ? '\\N\t' : type === 'text' || type === 'json' ? `${copyValue(v)}\t` : `${v}\t`;
    }
    if (bad) return null;
    if (words.length > FAST_WORD_CHARS) words = this.cappedWords(lineNo, cells);
    return `${line}${words}\n`;
  }

  /**
   * A row whose words may pass the tsvector limit (a cell of megabytes of text): its distinct words
   * up to the limit, so the load goes on; the cells themselves are stored whole.
   */
  private cappedWords(lineNo: number, cells: string[]): string {
    const seen = new Set<string>();
    const kept: string[] = [];
    let bytes = 0;
    let cut = false;
    for (let i = 0; i < this.width; i++) {
      if (this.types[i] !== 'text' || cells[i] === '') continue;
      for (const w of tokenize(cells[i]!)) {
        if (seen.has(w) || longWord(w)) continue;
        const n = Buffer.byteLength(w);
        if (bytes + n > MAX_TSVECTOR_BYTES) {
          cut = true;
          continue;
        }
        seen.add(w);
        kept.push(w);
        bytes += n;
      }
    }
    if (cut && this.cappedCount++ < 10) this.capped.push(lineNo);
    return lexemes(kept);
  }

  /** What the load's report says about rows whose full text was cut. */
  warnings(): string[] {
    if (!this.cappedCount) return [];
    const lines = `${this.capped.join(', ')}${this.cappedCount > this.capped.length ? ` …(${this.cappedCount})` : ''}`;
    return [
      `ค้นหาข้อความเต็มได้เพียงบางส่วนของแถวที่บรรทัด ${lines}: คำในแถวเกินขีดจำกัด 1 MB ของดัชนีค้นหา PostgreSQL ค่าในคอลัมน์เก็บไว้ครบทุกตัวอักษร / ` +
        `full-text search covers only part of the row(s) on line(s) ${lines}: their words pass PostgreSQL's 1 MB full-text limit; the values themselves are stored whole`,
    ];
  }

  /** After the last row: whether a column the sample left empty has turned out to have a type. */
  widened(): boolean {
    return this.late.some((g) => g !== null && g.result() !== 'text');
  }
}
