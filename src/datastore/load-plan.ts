import type { Readable } from 'node:stream';
import type { DataDictionaryField } from '../store/schema.ts';
import { columnIds } from './ident.ts';
import { convert, dictionaryType, LEADING_ZERO, TypeGuess, type ColumnType } from './types.ts';
import { delimitedBatches, LoadError, xlsxBatches, type EncodingStats, type SourceItem, type SourceKind } from './source.ts';
import { liveProgress, type DsField } from './meta.ts';

export { LoadError };

export interface Opened {
  kind: SourceKind;
  open(): Promise<{ stream: Readable; size: number }>;
  dictionary: DataDictionaryField[];
}

export interface Plan {
  fields: DsField[];
  warnings: string[];
  width: number;
  /** Per column: the type came from the data (so a later value may widen it), not from the dictionary. */
  inferred: boolean[];
  /** Per column: inferred from a sample in which it had no value (text so far; a later value may type it). */
  unseen: boolean[];
  /** The header's line: records up to it are not rows (the header, and title rows above it). */
  headerLine: number;
}

/** Records above the header with at most one value (a report's title, a merged title cell), skipped up to this many. */
const MAX_TITLE_ROWS = 10;

/** Rows read before the types are fixed and the COPY starts: enough for most files, bounded in memory. */
export const SAMPLE_ROWS = 10_000;
const SAMPLE_CHARS = 8 << 20;

/** A file's records in batches (one await per batch, not per record). */
export function rows(kind: SourceKind, stream: Readable, stats: EncodingStats, onBytes: (n: number) => void): AsyncGenerator<SourceItem[]> {
  if (kind === 'xlsx') {
    stream.on('data', (c: Buffer) => onBytes(c.length));
    return xlsxBatches(stream);
  }
  return delimitedBatches(stream, kind, stats, onBytes);
}

export function encodingOf(kind: SourceKind, stats: EncodingStats): string {
  return kind === 'xlsx' ? 'xlsx' : stats.utf16 ? `utf-16${stats.utf16}` : stats.thaiLines && stats.utf8Lines > 1 ? 'mixed' : stats.thaiLines ? 'windows-874' : stats.bom ? 'utf-8-bom' : 'utf-8';
}

export function encodingWarnings(encoding: string, stats: EncodingStats): string[] {
  return encoding === 'mixed' ? [`mixed encodings: ${stats.thaiLines} line(s) read as Windows-874 (TIS-620), the rest as UTF-8`] : [];
}

/** PostgreSQL's columns a table may have, less the two a DataStore table adds (_id, _full_text). */
export const MAX_COLUMNS = 1600 - 2;

/** Header + type fits → the table's fields, the dictionary's type winning over the data's. */
function planFrom(seen: Inspector, dictionary: DataDictionaryField[]): Plan {
  const { header, guesses } = seen;
  if (!header?.length) throw new LoadError('the file has no header row');
  if (header.length > MAX_COLUMNS) {
    throw new LoadError(`หัวตารางมี ${header.length} คอลัมน์ แต่ตารางใน DataStore มีได้ไม่เกิน ${MAX_COLUMNS} คอลัมน์ (ขีดจำกัดของ PostgreSQL): แบ่งไฟล์เป็นหลายไฟล์ / the header has ${header.length} columns, but a DataStore table can have at most ${MAX_COLUMNS} (PostgreSQL's limit): split the file`);
  }
  const byName = new Map(dictionary.map((d) => [d.name.trim(), d]));
  const dict = header.map((h, i) => byName.get(h.trim()) ?? (dictionary.length === header.length ? dictionary[i] : undefined));
  const { columns, warnings } = columnIds(header, dict.map((d) => d?.name));
  const inferred: boolean[] = [];
  const unseen: boolean[] = [];
  const fields = columns.map((c, i): DsField => {
    const d = dict[i];
    const given = dictionaryType(d?.type);
    inferred.push(!given);
    unseen.push(!given && !guesses[i]!.seenAny);
    const type: ColumnType = given ?? guesses[i]!.result();
    return { id: c.id, label: c.label, type, ...(d ? { personal_data: d.personal_data, description_th: d.description_th, description_en: d.description_en, unit: d.unit } : {}) };
  });
  if (seen.titles.length) warnings.unshift(`line(s) ${seen.titles.join(', ')} above the header skipped: a title, not a table row`);
  return { fields, warnings, width: header.length, inferred, unseen, headerLine: seen.headerLine };
}

/** The header and every value's type fit, as records go by (the sample and the whole-file pass alike). */
class Inspector {
  header: string[] | null = null;
  headerLine = 0;
  guesses: TypeGuess[] = [];
  /** Lines of the title rows skipped above the header. */
  titles: number[] = [];
  /** Records of at most one value before any wider one: titles if a wider record (the header) follows. */
  private held: { line: number; cells: string[] }[] = [];
  /** Characters of the values seen (the sample's bound). */
  chars = 0;
  add(item: SourceItem): void {
    if ('error' in item) return;
    if (!this.header) {
      const filled = item.cells.reduce((n, c) => (c.trim() ? n + 1 : n), 0);
      if (filled <= 1 && this.held.length < MAX_TITLE_ROWS) {
        this.held.push(item);
        return;
      }
      if (filled > 1) {
        this.titles = this.held.map((h) => h.line);
        this.held = [];
        this.header = item.cells;
        this.headerLine = item.line;
        this.guesses = item.cells.map(() => new TypeGuess());
        return;
      }
      this.finish();
    }
    if (item.cells.length !== this.header!.length) return; // a ragged row is reported when loaded
    for (let i = 0; i < this.guesses.length; i++) {
      this.chars += item.cells[i]!.length;
      this.guesses[i]!.add(item.cells[i]!.trim());
    }
  }
  /** No wider record came (a one-column file): the first record held is the header after all. */
  finish(): void {
    if (this.header || !this.held.length) return;
    const [h, ...rest] = this.held;
    this.held = [];
    this.header = h!.cells;
    this.headerLine = h!.line;
    this.guesses = h!.cells.map(() => new TypeGuess());
    for (const r of rest) this.add(r);
  }
}

/** The types from a leading sample; the rows read are handed back with the rest, to be loaded in one pass. */
export async function samplePlan(src: Opened, batches: AsyncGenerator<SourceItem[]>): Promise<{ plan: Plan; all: AsyncGenerator<SourceItem[]> }> {
  const head: SourceItem[][] = [];
  const seen = new Inspector();
  let n = 0;
  let done = false;
  // Until a header is found (records before it are errors, to be reported), then a bounded sample.
  while (!seen.header || (n < SAMPLE_ROWS && seen.chars < SAMPLE_CHARS)) {
    const r = await batches.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    n += r.value.length; // errors count too: a file of nothing but bad records is not held whole
    for (const item of r.value) seen.add(item);
  }
  if (done) seen.finish();
  if (!seen.header) throw new LoadError('the file has no header row');
  const plan = planFrom(seen, src.dictionary);
  async function* all(): AsyncGenerator<SourceItem[]> {
    yield* head;
    if (!done) yield* batches;
  }
  return { plan, all: all() };
}

/** The types from every value of the file (one streamed pass): used when a sample's type met a value it did not fit. */
export async function fullPlan(src: Opened, resourceId: string, total: number): Promise<Plan> {
  const stats: EncodingStats = { utf8Lines: 0, thaiLines: 0, bom: false };
  const { stream } = await src.open();
  const seen = new Inspector();
  let bytes = 0;
  try {
    for await (const batch of rows(src.kind, stream, stats, (n) => (bytes += n))) {
      for (const item of batch) seen.add(item);
      liveProgress.set(resourceId, { rows: 0, bytes: Math.round(bytes / 2), total, phase: 'inspecting' });
    }
  } finally {
    stream.destroy();
  }
  seen.finish();
  if (!seen.header) throw new LoadError('the file has no header row');
  const plan = planFrom(seen, src.dictionary);
  // Every value was seen: no type can change while loading.
  return { ...plan, inferred: plan.inferred.map(() => false), unseen: plan.unseen.map(() => false) };
}

/**
 * Whether a trimmed value keeps an inferred type: exactly what TypeGuess would still accept for it
 * (codes with a leading zero are not numbers), so a load that never widens ends with the types a
 * guess over the whole file gives.
 */
export function keepsType(type: ColumnType, v: string): boolean {
  if (v === '' || type === 'text') return true;
  if ((type === 'int' || type === 'numeric') && LEADING_ZERO.test(v)) return false;
  return convert(type, v) !== null;
}
