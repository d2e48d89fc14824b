import fs from 'node:fs';
import readline from 'node:readline';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { AuthorizationError, ValidationError, type FieldErrors, type Lang } from '../actions/errors.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { MAX_IMPORT_BATCH, type ImportResult } from './action.ts';
import { cleanText } from '../standard/values.ts';

export interface LineFailure {
  line: number;
  name: string | null;
  errors: FieldErrors;
}

export interface ImportOptions {
  /** Organisation (id or name) for records whose organisation is missing or unknown. */
  org?: string;
  allowIncomplete?: boolean;
  lang?: Lang;
  actor?: Actor;
  /** Records per package_import call, i.e. per transaction. */
  batchSize?: number;
  /** Batches written at once (PostgreSQL only; default 3). */
  concurrency?: number;
  onProgress?(linesRead: number, imported: number, failed: number): void;
  onFailure?(failure: LineFailure): void;
  /** Stops reading when aborted; batches already sent are finished and counted. */
  signal?: AbortSignal;
}

export interface ImportSummary {
  lines: number;
  imported: number;
  drafts: number;
  failed: number;
  organizationsCreated: string[];
  groupsCreated: string[];
  seconds: number;
  /** The import was stopped (signal) before the end of the file. */
  stopped: boolean;
}

export const DEFAULT_BATCH = 1000;

/**
 * Imports a JSONL file of CKAN package dicts through the package_import action, a batch per
 * transaction. A bad line is reported with its number and never stops the rest.
 */
export async function importFile(services: Services, file: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const caller = { actor: opts.actor ?? SYSTEM, lang: opts.lang ?? 'th' };
  const summary: ImportSummary = { lines: 0, imported: 0, drafts: 0, failed: 0, organizationsCreated: [], groupsCreated: [], seconds: 0, stopped: false };
  const fail = (f: LineFailure) => {
    summary.failed++;
    opts.onFailure?.(f);
  };
  await checkJsonLines(file);
  // An unknown --org is a usage error, found before any line is read.
  if (opts.org) await runAction(services, 'package_import', { records: [], owner_org: opts.org }, caller);

  const size = Math.min(Math.max(1, opts.batchSize ?? DEFAULT_BATCH), MAX_IMPORT_BATCH);
  // PostgreSQL writes batches while this process validates the next one (a connection each; measured
  // best at three in flight on two cores). PGlite has one connection in this thread: nothing to overlap.
  const depth = services.store.kind === 'postgres' ? Math.max(1, opts.concurrency ?? 3) : 1;
  const inflight: Array<{ done: Promise<void>; keys: Set<string> }> = [];
  let fatal: unknown;
  let records: unknown[] = [];
  let lines: number[] = [];

  const write = async (batch: unknown[], batchLines: number[]) => {
    let result: ImportResult;
    try {
      result = await runAction<ImportResult>(services, 'package_import', { records: batch, owner_org: opts.org, allow_incomplete: opts.allowIncomplete ?? false }, caller);
    } catch (e) {
      if (e instanceof AuthorizationError || e instanceof ValidationError) {
        fatal ??= e;
        return;
      }
      // The batch rolled back as a whole: every line in it is reported, and the import goes on.
      const msg = e instanceof Error ? e.message : String(e);
      for (const line of batchLines) fail({ line, name: null, errors: { record: [{ th: `บันทึกชุดข้อมูลชุดนี้ไม่สำเร็จ: ${msg}`, en: `This batch could not be written: ${msg}` }] } });
      return;
    }
    // The action answers in the language it was called with (caller.lang): the same text either way.
    for (const f of result.failed) fail({ line: batchLines[f.index]!, name: f.name, errors: Object.fromEntries(Object.entries(f.errors).map(([k, list]) => [k, list.map((m) => ({ th: m, en: m }))])) });
    for (const r of result.imported) {
      summary.imported++;
      if (r.state === 'draft') summary.drafts++;
    }
    summary.organizationsCreated.push(...result.organizations_created);
    summary.groupsCreated.push(...result.groups_created);
    opts.onProgress?.(summary.lines, summary.imported, summary.failed);
  };

  const flush = async () => {
    if (!records.length) return;
    const batch = records;
    const batchLines = lines;
    records = [];
    lines = [];
    const keys = uniqueKeys(batch);
    // A batch being written is not visible to the next one's slug and title checks until it
    // commits, so a batch that shares any of them waits.
    for (const f of [...inflight]) if ([...keys].some((k) => f.keys.has(k))) await f.done;
    while (inflight.length >= depth) await inflight[0]!.done;
    if (fatal) throw fatal;
    const entry = { done: Promise.resolve(), keys };
    entry.done = write(batch, batchLines).finally(() => inflight.splice(inflight.indexOf(entry), 1));
    inflight.push(entry);
  };

  const input = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of input) {
    if (opts.signal?.aborted) {
      summary.stopped = true;
      break;
    }
    summary.lines++;
    const lineNo = summary.lines;
    if (!text.trim()) continue;
    let record: unknown;
    try {
      // Files saved by some Windows tools start with a byte-order mark.
      record = JSON.parse(lineNo === 1 ? text.replace(/^\uFEFF/, '') : text);
    } catch (e) {
      const msg = (e as Error).message;
      fail({ line: lineNo, name: null, errors: { json: [{ th: `JSON ไม่ถูกต้อง: ${msg}`, en: `Invalid JSON: ${msg}` }] } });
      continue;
    }
    records.push(record);
    lines.push(lineNo);
    if (records.length >= size) await flush();
  }
  await flush();
  while (inflight.length) await inflight[0]!.done;
  if (fatal) throw fatal;
  opts.onProgress?.(summary.lines, summary.imported, summary.failed);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** Known containers people pass by mistake, by their first bytes. */
const MAGIC: Array<[number[], string, string]> = [
  [[0x50, 0x4b, 0x03, 0x04], 'สมุดงาน Excel (.xlsx) หรือไฟล์ ZIP', 'an Excel workbook (.xlsx) or a ZIP archive'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'สมุดงาน Excel รุ่นเก่า (.xls)', 'an old Excel workbook (.xls)'],
  [[0x25, 0x50, 0x44, 0x46], 'ไฟล์ PDF', 'a PDF file'],
  [[0x1f, 0x8b], 'ไฟล์บีบอัด gzip', 'a gzip archive'],
];

/**
 * Refuses, in one message, a file that is not JSON lines (a workbook, a CSV, any binary), instead
 * of reporting every line of it as broken JSON. JSON lines start with "{" (after a BOM and blanks).
 */
async function checkJsonLines(file: string): Promise<void> {
  const fd = await fs.promises.open(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
  const name = file.split(/[\\/]/).pop() ?? file;
  const refuse = (th: string, en: string): never => {
    throw ValidationError.field('file', {
      th: `${name} เป็น${th} ไม่ใช่ JSON lines (บรรทัดละหนึ่งชุดข้อมูลแบบ JSON) — banchi import อ่านได้เฉพาะ JSON lines`,
      en: `${name} is ${en}, not JSON lines (one JSON dataset dict per line); banchi import reads JSON lines only`,
    });
  };
  for (const [magic, th, en] of MAGIC) if (magic.every((b, i) => head[i] === b)) refuse(th, en);
  // Cut at the last whole line: a multi-byte character split by the 8 KB read is not an encoding error.
  const nl = head.lastIndexOf(10);
  const sample = head.length === 8192 && nl > 0 ? head.subarray(0, nl) : head;
  if (sample.includes(0)) refuse('ไฟล์ไบนารี', 'a binary file');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(sample);
  } catch {
    return refuse('ไฟล์ที่ไม่ใช่ข้อความ UTF-8', 'not UTF-8 text');
  }
  const first = text.replace(/^\uFEFF/, '').trimStart();
  if (first === '' || first.startsWith('{')) return;
  if (first.startsWith('[')) refuse('JSON แบบอาร์เรย์', 'one JSON array');
  const line = first.split(/\r?\n/, 1)[0]!;
  if (/[,;\t]/.test(line)) refuse('ไฟล์ CSV หรือตาราง', 'a CSV or other table');
  refuse('ไฟล์ข้อความที่ไม่ใช่ JSON', 'text that is not JSON');
}

/** What must be unique across datasets (slug, title, id), as the validator will read it. */
function uniqueKeys(batch: unknown[]): Set<string> {
  const keys = new Set<string>();
  for (const r of batch) {
    if (!r || typeof r !== 'object') continue;
    const { name, title, id } = r as Record<string, unknown>;
    // Cleaned as readText stores them: titles that differ only by an invisible character clash.
    if (typeof name === 'string') keys.add(`t:${cleanText(name)}`).add(`n:${cleanText(name)}`); // a draft without a title takes its slug
    if (typeof title === 'string') keys.add(`t:${cleanText(title).replace(/[\t\n\r\u2028\u2029]+/g, ' ').trim()}`);
    if (typeof id === 'string') keys.add(`i:${id.toLowerCase()}`);
  }
  return keys;
}

/** Counts lines without parsing them, for the progress bar's total. */
export async function countLines(file: string): Promise<number> {
  let n = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
    if (chunk.length) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? n : n + 1;
}
