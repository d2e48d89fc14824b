import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';
import { handlers } from '../jobs/worker.ts';
import { indexDatasets } from './indexer.ts';
import { rebuildVocab } from './vocab.ts';

const BATCH = 500;

/**
 * Rebuilds the search rows of every dataset (any state), a batch per transaction, and reports
 * progress as (done, total). Returns how many datasets were indexed. Searches keep working while
 * it runs: each batch replaces its rows atomically. On PostgreSQL two batches run at once, so
 * word segmentation here overlaps with the database writing the previous batch.
 */
export async function reindexAll(services: Services, onProgress?: (done: number, total: number) => void): Promise<number> {
  const db = services.store.db;
  const total = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM datasets`.execute(db)).rows[0]?.n ?? 0);
  onProgress?.(0, total);
  let done = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  let queue: Promise<unknown> = Promise.resolve();
  // Batches are handed out one at a time, in id order, whatever the number of workers.
  const nextBatch = (): Promise<string[]> => {
    const p = queue.then(async () => {
      const ids = (await sql<{ id: string }>`SELECT id FROM datasets WHERE id > ${after}::uuid ORDER BY id LIMIT ${BATCH}`.execute(db)).rows.map((r) => r.id);
      if (ids.length) after = ids[ids.length - 1]!;
      return ids;
    });
    queue = p.catch(() => undefined);
    return p;
  };
  const worker = async () => {
    for (let ids = await nextBatch(); ids.length; ids = await nextBatch()) {
      await db.transaction().execute((tx) => indexDatasets(tx, ids));
      done += ids.length;
      onProgress?.(done, Math.max(total, done));
    }
  };
  await Promise.all(Array.from({ length: services.store.kind === 'postgres' ? 2 : 1 }, worker));
  // Rows left behind by datasets that no longer exist would only cost space; drop them.
  await sql`DELETE FROM dataset_search s WHERE NOT EXISTS (SELECT 1 FROM datasets d WHERE d.id = s.dataset_id)`.execute(db);
  return done;
}

/**
 * Re-indexes the datasets of an organisation (after a rename: its title is search text) or of
 * a group (after it was deleted or restored: its id is in the search rows), a batch at a time.
 */
export async function reindexGroup(services: Services, ref: { orgId?: string; groupId?: string }): Promise<number> {
  const db = services.store.db;
  const which = ref.orgId
    ? sql`id IN (SELECT id FROM datasets WHERE owner_org = ${ref.orgId}::uuid)`
    : sql`id IN (SELECT dataset_id FROM dataset_search WHERE group_ids @> ARRAY[${ref.groupId!}::uuid] UNION SELECT dataset_id FROM dataset_groups WHERE group_id = ${ref.groupId!}::uuid)`;
  let done = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const ids = (await sql<{ id: string }>`SELECT id FROM datasets WHERE ${which} AND id > ${after}::uuid ORDER BY id LIMIT ${BATCH}`.execute(db)).rows.map((r) => r.id);
    if (!ids.length) return done;
    await db.transaction().execute((tx) => indexDatasets(tx, ids));
    done += ids.length;
    after = ids[ids.length - 1]!;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The durable job the groups trigger queues (see migration 002_search). */
handlers.search_index = async (services, payload) => {
  if (typeof payload.org_id === 'string' && UUID.test(payload.org_id)) await reindexGroup(services, { orgId: payload.org_id });
  if (typeof payload.group_id === 'string' && UUID.test(payload.group_id)) await reindexGroup(services, { groupId: payload.group_id });
  // Queued by migration 028: every row again after a change of how text is spelled into words.
  if (payload.all === true) await reindexAll(services, () => undefined);
  // Queued by migrations 009 and 028 on a catalog indexed before the vocabulary (or its spelling) existed.
  if (payload.vocab === true) await rebuildVocab(services.store.db);
  if (Array.isArray(payload.ids)) {
    const ids = payload.ids.filter((x): x is string => typeof x === 'string');
    if (ids.length) await services.store.db.transaction().execute((tx) => indexDatasets(tx, ids));
  }
};
