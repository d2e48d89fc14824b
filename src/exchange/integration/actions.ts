import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { defineAction } from '../../actions/registry.ts';
import type { ActionContext, Services } from '../../actions/context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../../actions/errors.ts';
import { isSysadmin, orgsWith } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { CODES, checkCode, checkText } from '../../actions/governance/agreements-shared.ts';
import { openSecret, sealSecret } from '../../harvest/secrets.ts';
import { enqueue } from '../../jobs/queue.ts';
import { loadResource } from '../../datastore/load.ts';
import { setLoadState } from '../../datastore/meta.ts';
import { recordDelivery } from '../monitoring/deliveries.ts';
import data from '../monitoring/monitoring.json' with { type: 'json' };
import { checkQuery, postgresTarget, PULL_KINDS, pullToFile, type PullKind } from './pull.ts';
import { refusedSourceHost, sourceHostMessage } from '../../util/source-hosts.ts';

/**
 * Scheduled pulls into a DataStore resource (durable jobs), each run recorded as a delivery for
 * integration monitoring. Kept by the resource's editors and the organisation's IT officers; the
 * connection string of a database is sealed and never shown.
 */
export const INTEGRATION_QUEUE = 'exchange_integration';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FREQ = data.frequencies as Record<string, { period_seconds: number | null }>;

export function nextRun(frequency: string, from: Date): Date | null {
  const s = FREQ[frequency]?.period_seconds;
  return s ? new Date(from.getTime() + s * 1000) : null;
}

type Row = { id: string; name: string; resource_id: string; org_id: string; kind: string; url: string; query: string; records_path: string; secret: string | null; frequency: string; linkage_id: string | null; active: boolean; next_run: Date | null; last_run: Date | null; last_state: string; last_rows: string | null; last_error: string | null };
function urlHasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return !!(u.username || u.password);
  } catch {
    return /^https?:\/\/[^/?#]*@/i.test(url);
  }
}

function hostOf(address: string): string | null {
  try {
    return new URL(address).hostname || null;
  } catch {
    return null;
  }
}

function present(r: Row) {
  return { id: r.id, name: r.name, resource_id: r.resource_id, org_id: r.org_id, kind: r.kind, url: r.url, query: r.query, records_path: r.records_path, has_connection: !!r.secret, frequency: r.frequency, linkage_id: r.linkage_id, active: r.active,
    next_run: r.next_run?.toISOString() ?? null, last_run: r.last_run?.toISOString() ?? null, last_state: r.last_state, last_rows: r.last_rows === null ? null : Number(r.last_rows), last_error: r.last_error };
}

async function resourceOrg(ctx: ActionContext, ref: unknown): Promise<{ id: string; org: string | null; dataset: string } | null> {
  const id = typeof ref === 'string' && UUID.test(ref) ? ref.toLowerCase() : null;
  const r = id ? await ctx.db.selectFrom('resources as r').innerJoin('datasets as d', 'd.id', 'r.dataset_id').select(['r.id', 'd.owner_org', 'd.id as dataset']).where('r.id', '=', id).where('r.state', '=', 'active').executeTakeFirst() : undefined;
  return r ? { id: r.id, org: r.owner_org, dataset: r.dataset } : null;
}

export const integrationCreate = defineAction({
  name: 'integration_source_create',
  readOnly: false,
  summary: 'Schedule pulls into a DataStore resource: kind postgresql / mariadb (a read-only SELECT, the connection string in `connection`, sealed) or csv_url / json_url (`url`, `records_path` for JSON); `frequency` a delivery frequency (other: on demand only); optional linkage_id.',
  async run(ctx, input) {
    const bag = new ErrorBag();
    const res = await resourceOrg(ctx, input.resource_id);
    ctx.authorize('integration_source_create', { owner_org: res?.org ?? null });
    if (!res) bag.add('resource_id', { th: 'ไม่พบทรัพยากร', en: 'Resource not found' });
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!/^[a-z0-9][a-z0-9_-]{1,62}$/.test(name)) bag.add('name', { th: 'ชื่อเป็น a-z 0-9 _ - 2–63 ตัว', en: 'The name is 2–63 of a-z, 0-9, _ and -' });
    else if (await ctx.db.selectFrom('integration_sources').select('id').where('name', '=', name).executeTakeFirst()) bag.add('name', { th: 'มีชื่อนี้แล้ว', en: 'This name is taken' });
    const kind = typeof input.kind === 'string' && (PULL_KINDS as string[]).includes(input.kind) ? (input.kind as PullKind) : null;
    if (!kind) bag.add('kind', { th: `ชนิดต้องเป็น ${PULL_KINDS.join(', ')}`, en: `The kind is one of ${PULL_KINDS.join(', ')}` });
    let query = '';
    let url = '';
    let secret: string | null = null;
    if (kind === 'postgresql' || kind === 'mariadb') {
      const q = checkQuery(input.query);
      if (!q) bag.add('query', { th: 'ต้องเป็นคำสั่ง SELECT เดียวที่อ่านอย่างเดียว ไม่มี ; หมายเหตุ INTO การล็อกแถว (FOR UPDATE) หรือฟังก์ชันที่ทำงานนอกคำสั่ง (ไฟล์ของเซิร์ฟเวอร์ การล็อก dblink)', en: 'One read-only SELECT statement: no ;, comments, INTO, locking reads (FOR UPDATE) or functions that act outside the query (server files, locks, dblink)' });
      query = q ?? '';
      const conn = typeof input.connection === 'string' ? input.connection.trim() : '';
      const scheme = kind === 'postgresql' ? /^postgres(ql)?:\/\//i : /^(mysql|mariadb):\/\//i;
      const pgProblem = kind === 'postgresql' && scheme.test(conn) ? postgresTarget(conn) : null;
      if (!scheme.test(conn)) bag.add('connection', { th: 'ระบุการเชื่อมต่อฐานข้อมูล', en: kind === 'postgresql' ? 'Give postgresql://user:password@host:port/db' : 'Give mysql://user:password@host:port/db' });
      else if (typeof pgProblem === 'string') bag.add('connection', { th: `การเชื่อมต่อใช้ไม่ได้: ${pgProblem}`, en: `Unusable connection: ${pgProblem}` });
      else {
        const host = pgProblem ? String(pgProblem.host ?? '') : hostOf(conn);
        const refused = host ? await refusedSourceHost(host, ctx.services.config.sourceHosts, { unresolved: 'allow' }) : null;
        if (refused) bag.add('connection', sourceHostMessage(refused));
        else secret = sealSecret(ctx.services.config, conn.slice(0, 2000));
      }
    } else if (kind) {
      url = checkText(bag, 'url', input.url, { required: true, max: 2000 });
      if (url && !/^https?:\/\//i.test(url)) bag.add('url', { th: 'ระบุ URL แบบ http(s)', en: 'Give an http(s) URL' });
      // The url is kept and shown in clear (lists, the page, errors of a failed pull), unlike a sealed connection.
      else if (url && urlHasCredentials(url)) bag.add('url', { th: 'อย่าใส่ชื่อผู้ใช้หรือรหัสผ่านใน URL', en: 'No user name or password in the URL' });
      else if (url) {
        const host = hostOf(url);
        const refused = host === null ? 'not a URL' : await refusedSourceHost(host, ctx.services.config.sourceHosts, { unresolved: 'allow' });
        if (refused) bag.add('url', sourceHostMessage(refused));
      }
    }
    const records_path = typeof input.records_path === 'string' ? input.records_path.trim().slice(0, 200) : '';
    const frequency = checkCode(bag, 'frequency', CODES.delivery_frequency, input.frequency);
    let linkage: string | null = null;
    if (input.linkage_id) {
      const l = typeof input.linkage_id === 'string' && UUID.test(input.linkage_id) ? await ctx.db.selectFrom('linkages').select(['id', 'owner_org']).where('id', '=', input.linkage_id.toLowerCase()).executeTakeFirst() : undefined;
      if (!l || l.owner_org !== res?.org) bag.add('linkage_id', { th: 'ไม่พบการเชื่อมโยงของหน่วยงานนี้', en: 'No such linkage of this organisation' });
      else linkage = l.id;
    }
    bag.throwIfAny();
    const row = await ctx.db.insertInto('integration_sources').values({
      id: crypto.randomUUID(), name, resource_id: res!.id, org_id: res!.org!, kind: kind!, url, query, records_path, secret, frequency: frequency!, linkage_id: linkage,
      next_run: nextRun(frequency!, ctx.now), created: ctx.now, modified: ctx.now, created_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null,
    // The check above answers the usual case; the insert itself decides between requests at once (no unique-violation 500).
    }).onConflict((oc) => oc.column('name').doNothing()).returningAll().executeTakeFirst();
    if (!row) throw ValidationError.field('name', { th: 'มีชื่อนี้แล้ว', en: 'This name is taken' });
    await ctx.audit({ action: 'integration_source_create', object_type: 'integration_source', object_id: row.id, detail: { name, kind, resource: res!.id, frequency } });
    return present(row as Row);
  },
});

export const integrationList = defineAction({
  name: 'integration_source_list',
  readOnly: true,
  summary: 'Scheduled pulls of the organisations where the caller edits datasets or is an IT officer, with their last run.',
  async run(ctx) {
    ctx.authorize('integration_source_list');
    let q = ctx.db.selectFrom('integration_sources').selectAll();
    if (!isSysadmin(ctx.actor)) {
      const orgs = [...new Set([...orgsWith(ctx.actor, 'update_dataset'), ...orgsWithDuty(ctx.actor, 'it_officer')])];
      q = q.where('org_id', 'in', orgs.length ? orgs : ['00000000-0000-0000-0000-000000000000']);
    }
    return (await q.orderBy('name').execute()).map((r) => present(r as Row));
  },
});

export const integrationRun = defineAction({
  name: 'integration_run',
  readOnly: false,
  summary: 'Queue a pull of a scheduled source now (a durable job).',
  params: { id: { type: 'string', description: 'source id or name', required: true } },
  async run(ctx, input) {
    const key = typeof input.id === 'string' ? input.id.trim() : '';
    const q = ctx.db.selectFrom('integration_sources').selectAll();
    const row = key ? await (UUID.test(key) ? q.where('id', '=', key.toLowerCase()) : q.where('name', '=', key)).executeTakeFirst() : undefined;
    if (!row || !ctx.can('integration_run', { owner_org: row.org_id })) {
      try { ctx.authorize('integration_run', { owner_org: null }); } catch { /* 404 either way */ }
      throw new NotFoundError({ th: 'ไม่พบแหล่งนำเข้า', en: 'No such integration source' });
    }
    ctx.authorize('integration_run', { owner_org: row.org_id });
    await enqueue(ctx.db, INTEGRATION_QUEUE, { source_id: row.id }, { maxAttempts: 1 });
    await ctx.audit({ action: 'integration_run', object_type: 'integration_source', object_id: row.id, detail: { name: row.name } });
    return { id: row.id, state: 'queued' };
  },
});

/** The job: pull to a private temporary file, load it as the resource's table, record the delivery; a failure is recorded too. */
export async function runIntegrationJob(services: Services, payload: Record<string, unknown>): Promise<void> {
  const db = services.store.db;
  const id = String(payload.source_id ?? '');
  const s = UUID.test(id) ? await db.selectFrom('integration_sources as s').innerJoin('resources as r', 'r.id', 's.resource_id').selectAll('s').select('r.dataset_id').where('s.id', '=', id).executeTakeFirst() : undefined;
  if (!s) return;
  const started = new Date();
  await db.updateTable('integration_sources').set({ last_state: 'running', last_run: started }).where('id', '=', s.id).execute();
  const dir = path.join(services.config.dataDir, 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `integration-${s.id}-${process.pid}-${crypto.randomBytes(4).toString('hex')}.csv`);
  let loading = false;
  try {
    await pullToFile({ kind: s.kind as PullKind, url: s.url, query: s.query, records_path: s.records_path }, openSecret(services.config, s.secret), file, { sourceHosts: services.config.sourceHosts });
    loading = true;
    const loaded = await loadResource(services, s.resource_id, { path: file, kind: 'csv' });
    await recordDelivery(db, { kind: 'integration', datasetId: s.dataset_id, resourceId: s.resource_id, linkageId: s.linkage_id, rows: loaded.rows, ref: s.name, detail: { errors: loaded.error_count } });
    await db.updateTable('integration_sources').set({ last_state: 'ok', last_rows: loaded.rows, last_error: null, next_run: nextRun(s.frequency, started) }).where('id', '=', s.id).execute();
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
    // A load that began and failed says so in datastore_info (it said 'running' for ever); the previous table stays.
    if (loading) await setLoadState(db, s.resource_id, { load_state: 'failed', load_error: msg, load_finished: new Date() }).catch(() => undefined);
    await recordDelivery(db, { kind: 'integration', datasetId: s.dataset_id, resourceId: s.resource_id, linkageId: s.linkage_id, ok: false, ref: s.name, detail: { error: msg.slice(0, 300) } });
    await db.updateTable('integration_sources').set({ last_state: 'failed', last_error: msg, next_run: nextRun(s.frequency, started) }).where('id', '=', s.id).execute();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Queues the pulls that are due (at most one waiting per source), from the worker's maintenance step. */
export async function scheduleIntegrations(services: Services): Promise<void> {
  await sql`INSERT INTO jobs (queue, payload, state, attempts, max_attempts, run_at, created)
    SELECT ${INTEGRATION_QUEUE}, jsonb_build_object('source_id', s.id::text), 'queued', 0, 1, now(), now()
    FROM integration_sources s
    WHERE s.active AND s.next_run IS NOT NULL AND s.next_run <= now()
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.queue = ${INTEGRATION_QUEUE} AND j.state IN ('queued', 'running') AND j.payload->>'source_id' = s.id::text)`.execute(services.store.db);
}

export const integrationActions = [integrationCreate, integrationList, integrationRun];
