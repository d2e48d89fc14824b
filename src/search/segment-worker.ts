import { parentPort } from 'node:worker_threads';
import { documentsInPlace, type DocumentInput } from './segment-pool.ts';

/** The thread segment-pool.ts hands large batches of search rows to. */
parentPort!.on('message', (m: { id: number; inputs: DocumentInput[] }) => {
  parentPort!.postMessage({ id: m.id, out: documentsInPlace(m.inputs) });
});
