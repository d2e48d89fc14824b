import { parentPort, workerData } from 'node:worker_threads';
import { parseTablePreview, type ParseJob } from './preview-parse.ts';

/** Runs one preview parse off the main thread; the parent kills it past its time limit. */
const job = workerData as ParseJob;
parseTablePreview(job).then(
  (preview) => parentPort!.postMessage({ ok: true, preview }),
  (e: unknown) => parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.name : 'Error' }),
);
