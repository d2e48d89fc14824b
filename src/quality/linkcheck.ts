import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';
import type { Db, Tx } from '../store/db.ts';
import { enqueue } from '../jobs/queue.ts';
import { checkUrl, type CheckResult } from './http-check.ts';
import { markDirty } from './store.ts';

export const LINKCHECK_QUEUE = 'linkcheck';
const BATCH = 100;

export interface LinkcheckPayload {
  /** Organisation (with the organisations below it); none: every catalog entry. */
  org_id?: string | null;
  /** Resources checked since then are done: a run taken over after a crash does not ask them again. */
  since: string;
}

/** Queues a run (inside the caller's transaction: it exists only if that commits). */
export async function queueLinkcheck(db: Db | Tx, orgId: string | null): Promise<LinkcheckPayload> {
  const payload: LinkcheckPayload = { org_id: orgId, since: new Date().toISOString() };
  await enqueue(db, LINKCHECK_QUEUE, { ...payload }, { maxAttempts: 3 });
  return payload;
}

interface Pending {
  id: string;
  dataset_id: string;
  url: string;
  url_type: string | null;
}

async function pending(db: Db, p: LinkcheckPayload): Promise<Pending[]> {
  const org = p.org_id ?? null;
  const r = await sql<Pending>`
    WITH RECURSIVE tree(id) AS (
      SELECT id FROM groups WHERE id = ${org}::uuid
      UNION SELECT g.id FROM groups g JOIN tree t ON g.parent_id = t.id
    )
    SELECT r.id, r.dataset_id, r.url, r.url_type
    FROM resources r JOIN datasets d ON d.id = r.dataset_id
    LEFT JOIN resource_links l ON l.resource_id = r.id
    WHERE r.state = 'active' AND d.state <> 'deleted'
      AND (${org}::uuid IS NULL OR d.owner_org IN (SELECT id FROM tree))
      AND (l.resource_id IS NULL OR l.checked_at < ${p.since}::timestamptz OR l.url <> r.url)
    ORDER BY r.id LIMIT ${BATCH}`.execute(db);
  return r.rows;
}

async function store(db: Db, r: Pending, result: CheckResult): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = { url: r.url, status: result.status, http_status: result.http_status, error: result.error, checked_at: new Date() };
    await tx.insertInto('resource_links').values({ resource_id: r.id, ...row }).onConflict((oc) => oc.column('resource_id').doUpdateSet(row)).execute();
    await markDirty(tx, r.dataset_id);
  });
}

export interface LinkcheckSummary {
  checked: number;
  ok: number;
  broken: number;
  timeout: number;
}

/** The job: every pending resource, a batch at a time, each answer stored as it comes. */
export async function runLinkcheck(services: Services, payload: Record<string, unknown>): Promise<LinkcheckSummary> {
  const p: LinkcheckPayload = { org_id: typeof payload.org_id === 'string' ? payload.org_id : null, since: typeof payload.since === 'string' ? payload.since : new Date().toISOString() };
  const cfg = services.config.linkcheck ?? { timeoutMs: 10_000, concurrency: 8, allowPrivate: false };
  const sum: LinkcheckSummary = { checked: 0, ok: 0, broken: 0, timeout: 0 };
  const db = services.store.db;
  for (;;) {
    const batch = await pending(db, p);
    if (!batch.length) return sum;
    await Promise.all(
      batch.map(async (r) => {
        // A file uploaded to this catalog answers without a request.
        const result: CheckResult = r.url_type === 'upload' ? { status: 'ok', http_status: null, error: '' } : await checkUrl(r.url, cfg);
        await store(db, r, result);
        sum.checked++;
        sum[result.status]++;
      }),
    );
  }
}
