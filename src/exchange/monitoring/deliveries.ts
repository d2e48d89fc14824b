import crypto from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from '../../store/db.ts';

/**
 * Observed deliveries (P10): every DataStore load, harvest run, gateway call or integration pull
 * that brought data records one row here, and the monitor compares the last good one with the
 * linkage item's delivery frequency. Call it inside the transaction that did the work when there
 * is one, so a rolled-back load records nothing.
 *
 * Which linkage items a delivery counts for: the linkage it names; otherwise every item of its
 * dataset (of linkages under its agreement, when it names one); an agreement alone counts for
 * every item of that agreement's linkages.
 */
export type DeliveryKind = 'datastore_load' | 'harvest' | 'gateway' | 'integration' | 'manual';

export interface Delivery {
  kind: DeliveryKind;
  datasetId?: string | null;
  resourceId?: string | null;
  linkageId?: string | null;
  agreementId?: string | null;
  rows?: number | null;
  /** false records a failed attempt (shown in the history, never counted as delivered). */
  ok?: boolean;
  /** What did it (a job id, a harvest job, a call id). */
  ref?: string;
  detail?: Record<string, unknown>;
  at?: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const id = (v: string | null | undefined) => (v && UUID.test(v) ? v.toLowerCase() : null);

export async function recordDelivery(db: Db | Tx, d: Delivery): Promise<string> {
  const row = deliveryRow(d);
  await db.insertInto('exchange_deliveries').values(row).execute();
  return row.id;
}

/**
 * recordDelivery as a statement that inserts the row once for each row of `source` (a CTE name):
 * the gateway joins it to its quota upsert, so an admitted call is counted and recorded in one
 * round trip and a refused one records nothing.
 */
export function deliveryInsertFrom(d: Delivery, source: string): RawBuilder<unknown> {
  const r = deliveryRow(d);
  return sql`INSERT INTO exchange_deliveries (id, at, kind, dataset_id, resource_id, linkage_id, agreement_id, row_count, ok, ref, detail)
    SELECT ${r.id}::uuid, ${r.at}::timestamptz, ${r.kind}, ${r.dataset_id}::uuid, ${r.resource_id}::uuid, ${r.linkage_id}::uuid, ${r.agreement_id}::uuid, ${r.row_count}::bigint, ${r.ok}::boolean, ${r.ref}, ${r.detail}::jsonb FROM ${sql.raw(source)}`;
}

function deliveryRow(d: Delivery) {
  const row = {
    id: crypto.randomUUID(), at: d.at ?? new Date(), kind: d.kind, dataset_id: id(d.datasetId), resource_id: id(d.resourceId), linkage_id: id(d.linkageId), agreement_id: id(d.agreementId),
    row_count: d.rows ?? null, ok: d.ok ?? true, ref: (d.ref ?? '').slice(0, 200), detail: JSON.stringify(d.detail ?? {}),
  };
  if (!row.dataset_id && !row.linkage_id && !row.agreement_id) throw new Error('recordDelivery needs a dataset, a linkage or an agreement');
  return row;
}

/** A DataStore load that finished (or failed for good): a delivery of the resource's dataset. */
export async function recordResourceDelivery(db: Db | Tx, resourceId: string, d: Omit<Delivery, 'datasetId' | 'resourceId'>): Promise<void> {
  const r = UUID.test(resourceId) ? await db.selectFrom('resources').select('dataset_id').where('id', '=', resourceId.toLowerCase()).executeTakeFirst() : undefined;
  if (r) await recordDelivery(db, { ...d, datasetId: r.dataset_id, resourceId });
}

/** A harvest run that finished: one delivery for each dataset the run saw (changed or confirmed unchanged), in one statement. */
export async function recordHarvestDeliveries(db: Db | Tx, jobId: string, at: Date): Promise<void> {
  await sql`INSERT INTO exchange_deliveries (id, at, kind, dataset_id, row_count, ok, ref, detail)
    SELECT gen_random_uuid(), ${at.toISOString()}::timestamptz, 'harvest', dataset_id, NULL, true, ${jobId}, '{}'::jsonb
    FROM (SELECT DISTINCT dataset_id FROM harvest_records WHERE last_job_id = ${jobId} AND dataset_id IS NOT NULL) r`.execute(db);
}
