import type { Services } from '../actions/context.ts';
import { enqueue } from '../jobs/queue.ts';
import { DATASTORE_QUEUE } from './load.ts';
import { setLoadState } from './meta.ts';

/** After an upload of a tabular resource commits: queue its load (the file has its stored name by now). */
export async function queueLoadAfterCommit(services: Services, resourceId: string): Promise<void> {
  await services.store.db.transaction().execute(async (tx) => {
    await enqueue(tx, DATASTORE_QUEUE, { resource_id: resourceId }, { maxAttempts: 3 });
    await setLoadState(tx, resourceId, { load_state: 'queued', load_error: null });
  });
}
