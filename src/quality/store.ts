import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';
import type { Db, Tx } from '../store/db.ts';
import { enqueue } from '../jobs/queue.ts';
import type { ResourceLinkRow } from './schema.ts';
import { computeQuality, type QualityInput, type QualityResult } from './engine.ts';

export const QUALITY_QUEUE = 'quality';
const BATCH = 200;
const BATCHES_PER_JOB = 25;

/** Everything the engine reads about some datasets, in three queries. */
export async function loadInputs(db: Db | Tx, ids: string[], now: Date): Promise<Map<string, QualityInput>> {
  const out = new Map<string, QualityInput>();
  if (!ids.length) return out;
  const datasets = await db.selectFrom('datasets').selectAll().where('id', 'in', ids).execute();
  const resources = await db.selectFrom('resources').selectAll().where('dataset_id', 'in', ids).where('state', '=', 'active').orderBy('dataset_id').orderBy('position').execute();
  const links = resources.length
    ? await db.selectFrom('resource_links').selectAll().where('resource_id', 'in', resources.map((r) => r.id)).execute()
    : [];
  const byResource = new Map<string, ResourceLinkRow>(links.map((l) => [l.resource_id, l]));
  for (const d of datasets) out.set(d.id, { dataset: d, resources: [], links: byResource, now });
  for (const r of resources) out.get(r.dataset_id)?.resources.push(r);
  return out;
}

export async function qualityOf(db: Db | Tx, id: string, now: Date): Promise<QualityResult | null> {
  const x = (await loadInputs(db, [id], now)).get(id);
  return x ? computeQuality(x) : null;
}

/**
 * Recomputes dirty scores, a batch per transaction: the batch's rows are locked first, so a write
 * that commits while the batch is computed waits and marks its dataset dirty again afterwards.
 * Returns how many were computed; more are left for the next job when the job's share is used up.
 */
export async function refreshDirty(services: Services, now = new Date()): Promise<number> {
  let done = 0;
  for (let i = 0; i < BATCHES_PER_JOB; i++) {
    const n = await services.store.db.transaction().execute(async (tx) => {
      const ids = (await sql<{ dataset_id: string }>`
        SELECT dataset_id FROM dataset_quality WHERE dirty ORDER BY dataset_id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`.execute(tx)).rows.map((r) => r.dataset_id);
      if (!ids.length) return 0;
      const inputs = await loadInputs(tx, ids, now);
      const rows = [];
      for (const id of ids) {
        const x = inputs.get(id);
        if (!x) continue;
        const q = computeQuality(x);
        rows.push({ dataset_id: id, score: q.score, results: q.criteria, criteria_version: q.criteria_version });
      }
      // One statement for the batch: a harvest of thousands of datasets is scored in a few hundred.
      if (rows.length) {
        await sql`UPDATE dataset_quality q SET score = v.score, results = v.results, criteria_version = v.criteria_version, dirty = false, computed_at = ${now}
          FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(dataset_id uuid, score integer, results jsonb, criteria_version integer)
          WHERE q.dataset_id = v.dataset_id`.execute(tx);
      }
      return ids.length;
    });
    done += n;
    if (n < BATCH) return done;
  }
  await enqueue(services.store.db, QUALITY_QUEUE, {});
  return done;
}

/** Marks a dataset's score dirty and queues the quality job (the same SQL function the write triggers call). */
export async function markDirty(db: Db | Tx, datasetId: string): Promise<void> {
  await sql`SELECT banchi_quality_mark(ARRAY[${datasetId}::uuid])`.execute(db);
}

/**
 * Scores also age (the update-frequency criterion depends on today): marks dirty every score
 * computed more than a day ago, in one statement; the quality job then refreshes them.
 */
export async function ageScores(services: Services): Promise<void> {
  const r = await sql`UPDATE dataset_quality SET dirty = true WHERE NOT dirty AND computed_at < now() - interval '1 day'`.execute(services.store.db);
  if (Number(r.numAffectedRows ?? 0) > 0) await enqueue(services.store.db, QUALITY_QUEUE, {});
}

let lastAged = 0;

/** Called by the worker's maintenance round; ages scores at most hourly per process. */
export async function maintainQuality(services: Services): Promise<void> {
  if (Date.now() - lastAged < 3600_000) return;
  lastAged = Date.now();
  await ageScores(services);
}

export async function runQualityJob(services: Services): Promise<void> {
  await refreshDirty(services);
}
