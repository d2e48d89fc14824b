import { tokenize } from '../search/segment.ts';
import { convert, LEADING_ZERO, TypeGuess, type ColumnType } from './types.ts';
import { copyValue } from './copy.ts';
import { keepsType, type Plan } from './load-plan.ts';
import type { LoadErrorItem } from './meta.ts';

/**
 * Segmented words per distinct cell, as tsvector literal text already escaped for COPY (escaping
 * is per character, so a row's words joined by spaces need no second pass): agency tables repeat
 * their categories, so most cells are hits.
 */
export class TokenCache {
  private map = new Map<string, string>();
  get(v: string): string {
    let t = this.map.get(v);
    if (t === undefined) {
      t = copyValue(
        tokenize(v)
          .map((w) => `'${w.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`)
          .join(' '),
      );
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
    return bad ? null : `${line}${words}\n`;
  }

  /** After the last row: whether a column the sample left empty has turned out to have a type. */
  widened(): boolean {
    return this.late.some((g) => g !== null && g.result() !== 'text');
  }
}
