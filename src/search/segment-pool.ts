import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { tsvectorLiteral, type DocumentPart } from './document.ts';
import { spacedWords } from './segment.ts';

/**
 * Word segmentation for many search rows at once on a worker thread (segment-worker.ts), so a
 * bulk import or a rebuild uses the second core: the main thread validates and writes the next
 * batch meanwhile. Small batches (one edit) are segmented in place; a worker that fails is
 * replaced by in-place segmentation, never by a failed write.
 */
export interface DocumentInput {
  parts: DocumentPart[];
  title: string;
}
export interface DocumentOutput {
  document: string;
  title_text: string;
  /** The row's words, for the vocabulary. */
  words: string[];
}

/** Below this many rows a message round trip costs more than it saves. */
const MIN_OFFLOAD = 64;

export function documentsInPlace(inputs: DocumentInput[]): DocumentOutput[] {
  return inputs.map((x) => {
    const vocab = new Set<string>();
    const document = tsvectorLiteral(x.parts, vocab);
    return { document, title_text: spacedWords(x.title), words: [...vocab] };
  });
}

let worker: Worker | null = null;
let broken = false;
let nextId = 0;
const pending = new Map<number, { resolve(v: DocumentOutput[]): void; inputs: DocumentInput[] }>();

function getWorker(): Worker | null {
  if (broken || process.env.BANCHI_SEGMENT_WORKER === '0' || os.availableParallelism() < 2) return null;
  if (worker) return worker;
  const w = new Worker(new URL('./segment-worker.ts', import.meta.url));
  w.on('message', (m: { id: number; out: DocumentOutput[] }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (!pending.size) w.unref();
    p.resolve(m.out);
  });
  const fallBack = (e: unknown) => {
    process.emitWarning(`segmentation worker stopped (${e instanceof Error ? e.message : String(e)}); segmenting in the main thread`);
    broken = true;
    worker = null;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve(documentsInPlace(p.inputs));
    }
  };
  w.on('error', fallBack);
  w.on('exit', (code) => code !== 0 && fallBack(new Error(`exit ${code}`)));
  w.unref();
  worker = w;
  return w;
}

/** Documents for these rows, in order: on the worker thread for a large batch. */
export function documentsOf(inputs: DocumentInput[]): Promise<DocumentOutput[]> {
  const w = inputs.length >= MIN_OFFLOAD ? getWorker() : null;
  if (!w) return Promise.resolve(documentsInPlace(inputs));
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, { resolve, inputs });
    w.ref();
    w.postMessage({ id, inputs });
  });
}
