import type { Tx, Db } from '../store/db.ts';
import type { HarvestJobRow, HarvestSourceRow, HarvestStats } from './schema.ts';

export const EMPTY_STATS: HarvestStats = { added: 0, updated: 0, 'not modified': 0, errored: 0, deleted: 0 };

export function stats(s: Partial<HarvestStats> | null | undefined): HarvestStats {
  return { ...EMPTY_STATS, ...(s ?? {}) };
}

/** A job as ckanext-harvest's harvest_job_show answers it, plus progress (objects done / total). */
export async function jobDict(db: Tx | Db, job: HarvestJobRow) {
  const counts = await db
    .selectFrom('harvest_objects')
    .select((eb) => ['state', eb.fn.countAll<string>().as('n')])
    .where('job_id', '=', job.id)
    .groupBy('state')
    .execute();
  const byState = Object.fromEntries(counts.map((c) => [c.state, Number(c.n)]));
  const objects = Object.values(byState).reduce((a, b) => a + b, 0);
  return {
    id: job.id,
    source_id: job.source_id,
    status: job.status,
    created: job.created.toISOString(),
    gather_started: job.gather_started?.toISOString() ?? null,
    gather_finished: job.gather_finished?.toISOString() ?? null,
    finished: job.finished?.toISOString() ?? null,
    stats: stats(job.stats),
    incremental_since: job.since?.toISOString() ?? null,
    progress: { objects, waiting: byState.WAITING ?? 0, done: objects - (byState.WAITING ?? 0), total: job.total },
    error: job.error,
    failed: job.failed,
    aborted: job.aborted,
    attempt: job.attempt,
  };
}

export async function sourceDict(db: Tx | Db, s: HarvestSourceRow) {
  const last = await db.selectFrom('harvest_jobs').selectAll().where('source_id', '=', s.id).orderBy('created', 'desc').limit(1).executeTakeFirst();
  const jobCount = await db.selectFrom('harvest_jobs').select((eb) => eb.fn.countAll<string>().as('n')).where('source_id', '=', s.id).executeTakeFirstOrThrow();
  const records = await db
    .selectFrom('harvest_records')
    .select((eb) => ['state', eb.fn.countAll<string>().as('n')])
    .where('source_id', '=', s.id)
    .groupBy('state')
    .execute();
  const org = await db.selectFrom('groups').select(['name', 'title']).where('id', '=', s.owner_org).executeTakeFirst();
  const byState = Object.fromEntries(records.map((r) => [r.state, Number(r.n)]));
  return {
    id: s.id,
    name: s.name,
    title: s.title,
    url: s.url,
    type: 'harvest',
    source_type: s.source_type,
    frequency: s.frequency,
    owner_org: s.owner_org,
    organization: org ? { id: s.owner_org, name: org.name, title: org.title } : null,
    config: JSON.stringify(s.config ?? {}),
    timeout: s.timeout_seconds,
    has_credentials: !!s.credentials,
    active: s.active,
    state: s.active ? 'active' : 'deleted',
    metadata_created: s.created.toISOString(),
    metadata_modified: s.modified.toISOString(),
    next_run: s.next_run?.toISOString() ?? null,
    status: {
      job_count: Number(jobCount.n),
      last_job: last ? await jobDict(db, last) : null,
      total_datasets: byState.active ?? 0,
      withdrawn_datasets: byState.withdrawn ?? 0,
    },
  };
}
