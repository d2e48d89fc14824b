import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { NotFoundError } from '../actions/errors.ts';
import { canonicalJson } from '../actions/audit.ts';
import { SYSTEM } from '../access/actor.ts';
import { isOpenData } from '../access/visibility.ts';
import type { Tx, Db } from '../store/db.ts';
import { enqueue } from '../jobs/queue.ts';
import { readAtMost } from '../util/outbound.ts';

export const OPENDATA_QUEUE = 'opendata_push';

/**
 * Fields of ours that mean nothing on the portal (ids, counters, our organisation and groups): the
 * rest of the dict keeps thai_gdc's field names, which data.go.th's schema reads as they are.
 */
const LOCAL_ONLY = new Set(['id', 'owner_org', 'organization', 'groups', 'creator_user_id', 'metadata_created', 'metadata_modified', 'num_resources', 'num_tags', 'revision_id', 'state', 'relationships_as_object', 'relationships_as_subject', 'tracking_summary', 'views', 'isopen', 'license_title', 'license_url', 'version', 'type', 'private']);
const RESOURCE_LOCAL_ONLY = new Set(['id', 'package_id', 'revision_id', 'url_type', 'cache_url', 'cache_last_updated', 'datastore_active', 'position', 'state', 'created', 'last_modified', 'metadata_modified', 'size', 'hash', 'mimetype', 'mimetype_inner', 'tracking_summary']);

/** The dict sent to the portal: ours, minus local ids, owned by the portal organisation, files as links back here. */
export function portalDict(dict: Record<string, unknown>, portalOrg: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dict)) if (!LOCAL_ONLY.has(k) && v !== null && v !== '') out[k] = v;
  out.owner_org = portalOrg;
  out.private = false;
  out.tags = ((dict.tags as Array<{ name: string }> | undefined) ?? []).map((t) => ({ name: t.name }));
  out.resources = ((dict.resources as Array<Record<string, unknown>> | undefined) ?? []).map((r) => {
    const res: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (!RESOURCE_LOCAL_ONLY.has(k) && v !== null && v !== '') res[k] = v;
    // Our download address (absolute): the portal links to the file where it is kept.
    res.url = r.url;
    return res;
  });
  return out;
}

/** Queues a push (or a withdrawal) in the writing transaction, when a portal is configured. */
export async function queuePush(db: Tx | Db, services: Pick<Services, 'config'>, datasetId: string): Promise<void> {
  if (!services.config.openData) return;
  // One pending job per dataset is enough: the job reads the dataset as it is when it runs.
  const pending = await db.selectFrom('jobs').select('id').where('queue', '=', OPENDATA_QUEUE).where('state', '=', 'queued').where(sql<boolean>`payload->>'dataset_id' = ${datasetId}`).executeTakeFirst();
  if (!pending) await enqueue(db, OPENDATA_QUEUE, { dataset_id: datasetId }, { maxAttempts: 8 });
}

class PortalError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const PORTAL_ANSWER_MAX = 16 * 1048576;

/** One CKAN action on the portal, with its own time-out; errors keep the portal's own message. */
async function portal(url: string, token: string, action: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await fetch(`${url}/api/3/action/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token, 'user-agent': 'banchi-opendata-push' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
    redirect: 'error',
  });
  // The portal's answer is a CKAN result (a dataset, a resource): bounded, so a broken portal cannot fill the worker's memory.
  const bytes = await readAtMost(res, PORTAL_ANSWER_MAX);
  if (!bytes) throw new PortalError(res.status, `${action}: HTTP ${res.status}, answer larger than ${PORTAL_ANSWER_MAX / 1048576} MB`);
  const text = bytes.toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PortalError(res.status, `${action}: HTTP ${res.status}, not a CKAN answer`);
  }
  if (!json?.success) {
    const err = json?.error ?? {};
    const detail = Object.entries(err).filter(([k]) => k !== '__type').map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; ');
    throw new PortalError(res.status, `${action}: ${err.__type ?? `HTTP ${res.status}`}${detail ? ` — ${detail}` : ''}`);
  }
  return json.result;
}

async function record(db: Db, datasetId: string, set: Record<string, unknown>): Promise<void> {
  const now = new Date();
  await db
    .insertInto('opendata_pushes')
    .values({ dataset_id: datasetId, state: 'queued', attempts: 0, updated: now, ...set } as never)
    .onConflict((oc) => oc.column('dataset_id').doUpdateSet({ ...set, updated: now } as never))
    .execute();
}

/**
 * The push job: an open dataset is created or updated on the portal under the same name; one that
 * is no longer open (private, reclassified, deleted) is withdrawn there. What was sent is hashed, so
 * a dataset that has not changed is not sent again. A name the portal already uses for another
 * organisation's dataset is never overwritten.
 */
export async function runPush(services: Services, payload: Record<string, unknown>): Promise<void> {
  const cfg = services.config.openData;
  const datasetId = String(payload.dataset_id ?? '');
  if (!cfg || !datasetId) return;
  const db = services.store.db;
  const prior = await db.selectFrom('opendata_pushes').selectAll().where('dataset_id', '=', datasetId).executeTakeFirst();
  let dict: Record<string, unknown> | null = null;
  try {
    dict = await runAction<Record<string, unknown>>(services, 'package_show', { id: datasetId }, { actor: SYSTEM, lang: 'en' });
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  const open = !!dict && isOpenData(dict as never);
  try {
    if (!open) {
      // Whatever the last attempt's state (failed, queued again), a copy may be on the portal: it goes.
      if (prior && prior.state !== 'withdrawn') await withdraw(services, datasetId, prior.remote_id, dict);
      return;
    }
    const body = portalDict(dict!, cfg.org);
    const hash = crypto.createHash('sha256').update(canonicalJson(body)).digest('hex');
    if (prior?.state === 'pushed' && prior.payload_hash === hash) return;
    let remote: Record<string, any> | null = null;
    try {
      remote = await portal(cfg.url, cfg.token, 'package_show', { id: prior?.remote_id || String(dict!.name) });
    } catch (e) {
      if (!(e instanceof PortalError && e.status === 404)) throw e;
    }
    if (remote && remote.state === 'active' && !ours(remote, cfg.org)) {
      throw new PortalError(409, `the portal already has a dataset named "${dict!.name}" in another organisation (${remote.organization?.name ?? remote.owner_org}); it is not overwritten`);
    }
    let restored = false;
    if (remote && remote.state === 'deleted') {
      // Withdrawn earlier and open again: a banchi portal restores with package_restore; CKAN has no
      // such action (400) and restores through package_update with state "active" below.
      try {
        await portal(cfg.url, cfg.token, 'package_restore', { id: remote.id });
        restored = true;
      } catch (e) {
        if (!(e instanceof PortalError && e.status === 400)) throw e;
        body.state = 'active';
      }
    }
    let saved: Record<string, any>;
    try {
      saved = remote ? await portal(cfg.url, cfg.token, 'package_update', { ...body, id: remote.id, name: remote.name }) : await portal(cfg.url, cfg.token, 'package_create', body);
    } catch (e) {
      // The restore is a write of its own: undone, so a refused update does not leave the old copy public.
      if (restored) await portal(cfg.url, cfg.token, 'package_delete', { id: remote!.id }).catch(() => undefined);
      throw e;
    }
    await record(db, datasetId, { state: 'pushed', remote_id: String(saved.id), remote_url: `${cfg.url}/dataset/${encodeURIComponent(String(saved.name))}`, payload_hash: hash, error: null, attempts: 0, pushed_at: new Date() });
  } catch (e) {
    await record(db, datasetId, { state: 'failed', error: (e as Error).message.slice(0, 1000), attempts: (prior?.attempts ?? 0) + 1 });
    // Network failures and the portal's 5xx are retried by the queue with back-off; its refusals are final.
    if (!(e instanceof PortalError) || e.status >= 500) throw e;
  }
}

const ours = (remote: Record<string, any>, org: string) => remote.organization?.name === org || remote.owner_org === org;

/**
 * Takes the dataset's copy off the portal: the one pushed (remote_id) or, when the answer to a
 * create was lost, the one under its name, and only if it is in our portal organisation.
 */
async function withdraw(services: Services, datasetId: string, remoteId: string | null, dict: Record<string, unknown> | null): Promise<void> {
  const cfg = services.config.openData!;
  const db = services.store.db;
  const name = dict?.name ?? (await db.selectFrom('datasets').select('name').where('id', '=', datasetId).executeTakeFirst())?.name;
  const ref = remoteId || (typeof name === 'string' ? name : '');
  let remote: Record<string, any> | null = null;
  if (ref) {
    try {
      remote = await portal(cfg.url, cfg.token, 'package_show', { id: ref });
    } catch (e) {
      if (!(e instanceof PortalError && e.status === 404)) throw e;
    }
  }
  if (remote && remote.state === 'active' && ours(remote, cfg.org)) await portal(cfg.url, cfg.token, 'package_delete', { id: remote.id });
  await record(db, datasetId, { state: 'withdrawn', error: null, payload_hash: null });
}
