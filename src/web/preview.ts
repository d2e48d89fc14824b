import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { FileStore } from '../files/file-store.ts';
import { refKey, type FileRef } from '../files/upload.ts';
import { decodeText, PREVIEW_ROWS, type ParseJob, type TablePreview } from './preview-parse.ts';

export { decodeText, PREVIEW_ROWS };

/** What the resource page can show of a file without the visitor downloading it. */
export type Preview =
  | { kind: 'table'; header: string[]; rows: string[][]; truncated: boolean }
  | { kind: 'json'; text: string; truncated: boolean }
  | { kind: 'image' }
  | { kind: 'pdf' }
  | { kind: 'none'; reason: 'format' | 'too_large' | 'unreadable' };

const JSON_BYTES = 200 * 1024;
const JSON_DEPTH = 64;
const CSV_BYTES = 1024 * 1024;
const XLSX_MAX_BYTES = 15 * 1024 * 1024;
/** A parse that takes longer is stopped: a preview is a courtesy, not worth a blocked server. */
export const PARSE_TIME_LIMIT_MS = 3000;
const WORKERS = 2;
const QUEUE = 16;

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
      if (size >= limit) return { bytes: Buffer.concat(chunks).subarray(0, limit), complete: false };
    }
  } finally {
    stream.destroy();
  }
  return { bytes: Buffer.concat(chunks), complete: true };
}

/** Previews by file (storage key + hash: stored files never change), bounded by their size in memory. */
class PreviewCache {
  private readonly map = new Map<string, { preview: Preview; bytes: number }>();
  private bytes = 0;
  private readonly maxBytes: number;
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }
  get(key: string): Preview | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    this.map.set(key, hit); // most recently used last
    return hit.preview;
  }
  set(key: string, preview: Preview): void {
    const bytes = 2 * JSON.stringify(preview).length + 200;
    if (bytes > this.maxBytes / 4) return;
    this.delete(key);
    this.map.set(key, { preview, bytes });
    this.bytes += bytes;
    for (const [k] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(k);
    }
  }
  private delete(key: string): void {
    const old = this.map.get(key);
    if (!old) return;
    this.bytes -= old.bytes;
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}

export const previewCache = new PreviewCache(16 * 1024 * 1024);

let running = 0;
const waiting: Array<() => void> = [];

/** Parses in a worker thread with a heap cap and a time limit; at most WORKERS at once. */
export async function parseOffThread(job: ParseJob, timeLimitMs = PARSE_TIME_LIMIT_MS): Promise<TablePreview | null> {
  if (running >= WORKERS) {
    if (waiting.length >= QUEUE) return null; // busy: no preview this time (and nothing cached)
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running++;
  try {
    return await new Promise<TablePreview>((resolve) => {
      const copy = new Uint8Array(job.bytes); // a fresh buffer, so it can be handed over without copying again
      const worker = new Worker(new URL('./preview-worker.ts', import.meta.url), {
        workerData: { ...job, bytes: copy },
        transferList: [copy.buffer as ArrayBuffer],
        resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      });
      let settled = false;
      const done = (p: TablePreview) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        resolve(p);
      };
      const timer = setTimeout(() => done({ kind: 'none', reason: 'too_large' }), timeLimitMs);
      worker.once('message', (m: { ok: boolean; preview?: TablePreview }) => done(m.ok && m.preview ? m.preview : { kind: 'none', reason: 'unreadable' }));
      worker.once('error', () => done({ kind: 'none', reason: 'unreadable' }));
      worker.once('exit', () => done({ kind: 'none', reason: 'unreadable' }));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function depthOf(v: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    if (d > max) max = d;
    if (max > JSON_DEPTH) return max;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

function jsonPreview(bytes: Buffer, complete: boolean): Preview {
  const text = decodeText(bytes);
  if (complete) {
    try {
      const value = JSON.parse(text);
      // Pretty-printing deep nesting grows quadratically; such files are shown as they are.
      if (depthOf(value) <= JSON_DEPTH) {
        const pretty = JSON.stringify(value, null, 2);
        if (pretty.length <= JSON_BYTES * 4) return { kind: 'json', text: pretty, truncated: false };
      }
    } catch {
      /* not valid JSON: show it as it is */
    }
  }
  return { kind: 'json', text, truncated: !complete };
}

export interface PreviewFile {
  file: FileRef;
  filename: string;
  sha256: string;
}

/** Builds (or reuses) the preview of an uploaded file the caller may download (the action has said so). */
export async function buildPreview(files: FileStore, file: PreviewFile, format: string): Promise<Preview> {
  const kind = previewKind(format, file.filename);
  if (kind === 'image') return { kind: 'image' };
  if (kind === 'pdf') return { kind: 'pdf' };
  if (!kind) return { kind: 'none', reason: 'format' };
  const key = refKey(file.file);
  const cacheKey = `${key}:${file.sha256}:${kind}`;
  const cached = previewCache.get(cacheKey);
  if (cached) return cached;
  const opened = await files.read(key);
  if (!opened) return { kind: 'none', reason: 'unreadable' };
  let preview: Preview;
  try {
    if (kind === 'xlsx') {
      if (opened.size > XLSX_MAX_BYTES) {
        opened.stream.destroy();
        preview = { kind: 'none', reason: 'too_large' };
      } else {
        const { bytes } = await head(opened.stream, XLSX_MAX_BYTES);
        const parsed = await parseOffThread({ kind, bytes, complete: true });
        if (!parsed) return { kind: 'none', reason: 'unreadable' };
        preview = parsed;
      }
    } else if (kind === 'json') {
      const { bytes, complete } = await head(opened.stream, JSON_BYTES);
      preview = jsonPreview(bytes, complete);
    } else {
      const { bytes, complete } = await head(opened.stream, CSV_BYTES);
      const parsed = await parseOffThread({ kind, bytes, complete });
      if (!parsed) return { kind: 'none', reason: 'unreadable' };
      preview = parsed;
    }
  } catch {
    opened.stream.destroy();
    preview = { kind: 'none', reason: 'unreadable' };
  }
  previewCache.set(cacheKey, preview);
  return preview;
}
