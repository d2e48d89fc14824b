import crypto from 'node:crypto';
import { defineAction, type ActionInput } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../actions/errors.ts';
import { findGroup, UUID } from '../actions/datasets/load.ts';
import { M } from '../standard/messages.ts';
import { isSysadmin, orgsWith } from '../access/actor.ts';
import { packageDelete } from '../actions/datasets/actions.ts';
import { sealSecret } from './secrets.ts';
import { sourceDict } from './present.ts';
import type { HarvestSourceRow } from './schema.ts';
import { CATALOG_KINDS } from '../registry/catalog-kinds.ts';

export const SOURCE_TYPES = ['ckan', 'dcat'] as const;
export const FREQUENCIES = ['MANUAL', 'HOURLY', 'DAILY', 'WEEKLY'] as const;
const NAME = /^[a-z0-9_-]{2,100}$/;

/** 404 whether the source is missing or only hidden from the caller; the policy counts as asked. */
export function notFound(ctx: ActionContext, rule: string): never {
  try {
    ctx.authorize(rule, { owner_org: null });
  } catch {
    /* answered as not found below */
  }
  throw new NotFoundError();
}

export async function findSource(ctx: ActionContext, ref: unknown, rule: string): Promise<HarvestSourceRow> {
  if (typeof ref !== 'string' || !ref.trim()) {
    ctx.authorize(rule, { owner_org: null });
    throw ValidationError.field('id', M.missing());
  }
  const r = ref.trim();
  const row = await ctx.db
    .selectFrom('harvest_sources')
    .selectAll()
    .where((eb) => (UUID.test(r) ? eb.or([eb('id', '=', r.toLowerCase()), eb('name', '=', r)]) : eb('name', '=', r)))
    .executeTakeFirst();
  // A source the caller may not manage answers as one that does not exist: its name is not disclosed.
  if (!row || !ctx.can(rule, { owner_org: row.owner_org })) notFound(ctx, rule);
  ctx.authorize(rule, { owner_org: row.owner_org });
  return row;
}

interface SourceFields {
  name?: string;
  title?: string;
  url?: string;
  source_type?: string;
  frequency?: string;
  owner_org?: string;
  config?: Record<string, unknown>;
  timeout_seconds?: number;
  credentials?: string | null;
}

/** Reads and checks the fields ckanext-harvest takes; `partial` for updates. */
async function readFields(ctx: ActionContext, input: ActionInput, partial: boolean): Promise<{ f: SourceFields; bag: ErrorBag }> {
  const bag = new ErrorBag();
  const f: SourceFields = {};
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string).trim() : input[k] === undefined || input[k] === null ? undefined : null);
  const name = str('name');
  if (name === null || (name !== undefined && !NAME.test(name))) bag.add('name', { th: 'ชื่อต้องเป็น a-z 0-9 - _ ยาว 2–100 ตัวอักษร', en: 'Name must be 2–100 characters of a-z, 0-9, - and _' });
  else if (name !== undefined) f.name = name;
  else if (!partial) bag.add('name', M.missing());
  const title = str('title');
  if (title === null) bag.add('title', M.notString());
  else if (title !== undefined) f.title = title;
  const url = str('url');
  if (url === null || (url !== undefined && !validUrl(url))) bag.add('url', { th: 'ต้องเป็น URL แบบ http หรือ https', en: 'Must be an http or https URL' });
  else if (url !== undefined) f.url = url.replace(/\/+$/, '');
  else if (!partial) bag.add('url', M.missing());
  const type = str('source_type') ?? str('type');
  if (type !== undefined && !(SOURCE_TYPES as readonly unknown[]).includes(type)) bag.add('source_type', { th: `ต้องเป็น ${SOURCE_TYPES.join(' หรือ ')}`, en: `Must be one of ${SOURCE_TYPES.join(', ')}` });
  else if (type) f.source_type = type;
  else if (!partial) bag.add('source_type', M.missing());
  const freq = str('frequency');
  if (freq !== undefined && !(FREQUENCIES as readonly unknown[]).includes(typeof freq === 'string' ? freq.toUpperCase() : freq)) bag.add('frequency', { th: `ต้องเป็น ${FREQUENCIES.join(', ')}`, en: `Must be one of ${FREQUENCIES.join(', ')}` });
  else if (freq) f.frequency = freq.toUpperCase();
  const cfg = input.config;
  if (cfg !== undefined && cfg !== null && cfg !== '') {
    let parsed: unknown = cfg;
    if (typeof cfg === 'string') {
      try {
        parsed = JSON.parse(cfg);
      } catch {
        parsed = undefined;
      }
    }
    const badSize = parsed && typeof parsed === 'object' ? sizeProblem(parsed as Record<string, unknown>) : null;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) bag.add('config', { th: 'ต้องเป็นออบเจกต์ JSON', en: 'Must be a JSON object' });
    else if (badSize) bag.add('config', badSize);
    else if ('catalog_kind' in parsed && !CATALOG_KINDS.some((k) => k.value === (parsed as Record<string, unknown>).catalog_kind)) {
      bag.add('config', { th: `catalog_kind ต้องเป็น ${CATALOG_KINDS.map((k) => k.value).join(', ')}`, en: `catalog_kind must be one of ${CATALOG_KINDS.map((k) => k.value).join(', ')}` });
    } else f.config = parsed as Record<string, unknown>;
  }
  const timeout = input.timeout ?? input.timeout_seconds;
  if (timeout !== undefined && timeout !== null && timeout !== '') {
    const n = Number(timeout);
    if (!Number.isInteger(n) || n < 10 || n > 7 * 86400) bag.add('timeout', { th: 'ต้องเป็นจำนวนวินาที 10 ถึง 604800', en: 'Must be a number of seconds from 10 to 604800' });
    else f.timeout_seconds = n;
  }
  if (input.credentials !== undefined) {
    if (input.credentials === null || input.credentials === '') f.credentials = null;
    else if (typeof input.credentials !== 'string' || input.credentials.length > 4000) bag.add('credentials', M.notString());
    else f.credentials = sealSecret(ctx.services.config, input.credentials);
  }
  return { f, bag };
}

/** The run reads these as counts (rows per package_search page, objects per import transaction). */
const SIZES: Record<string, number> = { page_rows: 1000, batch_size: 5000 };

function sizeProblem(cfg: Record<string, unknown>) {
  for (const [k, max] of Object.entries(SIZES)) {
    if (cfg[k] === undefined) continue;
    const n = Number(cfg[k]);
    if (!Number.isInteger(n) || n < 1 || n > max) return { th: `${k} ต้องเป็นจำนวนเต็ม 1 ถึง ${max}`, en: `${k} must be a whole number from 1 to ${max}` };
  }
  return null;
}

function validUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

async function resolveOrg(ctx: ActionContext, input: ActionInput, bag: ErrorBag): Promise<string | null | undefined> {
  if (input.owner_org === undefined) return undefined;
  const ref = typeof input.owner_org === 'string' ? input.owner_org.trim() : '';
  const org = ref ? await findGroup(ctx.db, ref, true) : undefined;
  if (!org || org.state !== 'active') {
    bag.add('owner_org', ref ? M.orgNotFound() : M.missing());
    return null;
  }
  return org.id;
}

export const harvestSourceCreate = defineAction({
  name: 'harvest_source_create',
  readOnly: false,
  summary: 'Create a harvest source (ckanext-harvest shape): url, name, title, source_type ckan|dcat, frequency, owner_org, config, timeout, credentials.',
  async run(ctx, input) {
    const { f, bag } = await readFields(ctx, input, false);
    const org = await resolveOrg(ctx, input, bag);
    if (org === undefined) bag.add('owner_org', M.missing());
    ctx.authorize('harvest_source_create', { owner_org: org ?? null });
    if (f.name && (await ctx.db.selectFrom('harvest_sources').select('id').where('name', '=', f.name).executeTakeFirst())) bag.add('name', { th: 'ชื่อนี้มีผู้ใช้แล้ว', en: 'That name is already in use' });
    bag.throwIfAny();
    const id = crypto.randomUUID();
    const row = await ctx.db
      .insertInto('harvest_sources')
      .values({
        id,
        name: f.name!,
        title: f.title || f.name!,
        url: f.url!,
        source_type: f.source_type!,
        frequency: f.frequency ?? 'MANUAL',
        owner_org: org!,
        config: JSON.stringify(f.config ?? {}),
        timeout_seconds: f.timeout_seconds ?? 3600,
        credentials: f.credentials ?? null,
        created: ctx.now,
        modified: ctx.now,
        last_good_since: null,
        next_run: nextRun(f.frequency ?? 'MANUAL', ctx.now),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await ctx.audit({ action: 'harvest_source_create', object_type: 'harvest_source', object_id: id, detail: { name: row.name, url: row.url } });
    return sourceDict(ctx.db, row);
  },
});

export function nextRun(frequency: string, from: Date): Date | null {
  const hours = { HOURLY: 1, DAILY: 24, WEEKLY: 168 }[frequency];
  return hours ? new Date(from.getTime() + hours * 3600_000) : null;
}

export const harvestSourceShow = defineAction({
  name: 'harvest_source_show',
  readOnly: true,
  summary: 'One harvest source with its status (job count, last job, datasets).',
  async run(ctx, input) {
    return sourceDict(ctx.db, await findSource(ctx, input.id ?? input.name, 'harvest_source_show'));
  },
});

export const harvestSourceList = defineAction({
  name: 'harvest_source_list',
  readOnly: true,
  summary: 'Harvest sources the caller manages (sysadmins: all).',
  async run(ctx, input) {
    ctx.authorize('harvest_source_list');
    let q = ctx.db.selectFrom('harvest_sources').selectAll().orderBy('name');
    if (input.all !== true && input.all !== 'true') q = q.where('active', '=', true);
    if (!isSysadmin(ctx.actor)) {
      const orgs = orgsWith(ctx.actor, 'manage_members');
      if (!orgs.length) return [];
      q = q.where('owner_org', 'in', orgs);
    }
    const rows = await q.execute();
    const out = [];
    for (const r of rows) out.push(await sourceDict(ctx.db, r));
    return out;
  },
});

export const harvestSourceUpdate = defineAction({
  name: 'harvest_source_update',
  readOnly: false,
  summary: 'Change a harvest source; fields left out stay as they are.',
  async run(ctx, input) {
    const src = await findSource(ctx, input.id, 'harvest_source_update');
    const { f, bag } = await readFields(ctx, input, true);
    const org = await resolveOrg(ctx, input, bag);
    if (org) ctx.authorize('harvest_source_update', { owner_org: org });
    if (f.name && f.name !== src.name && (await ctx.db.selectFrom('harvest_sources').select('id').where('name', '=', f.name).executeTakeFirst())) bag.add('name', { th: 'ชื่อนี้มีผู้ใช้แล้ว', en: 'That name is already in use' });
    bag.throwIfAny();
    const set: Record<string, unknown> = { ...f, modified: ctx.now };
    if (f.config) set.config = JSON.stringify(f.config);
    if (org) set.owner_org = org;
    if (f.frequency) set.next_run = nextRun(f.frequency, ctx.now);
    // Another catalog (or the same one read as another type): "changed since the last run" means
    // nothing there, so the next run reads all of it.
    if ((f.url && f.url !== src.url) || (f.source_type && f.source_type !== src.source_type)) set.last_good_since = null;
    if (input.active === true || input.state === 'active') set.active = true;
    const row = await ctx.db.updateTable('harvest_sources').set(set).where('id', '=', src.id).returningAll().executeTakeFirstOrThrow();
    await ctx.audit({ action: 'harvest_source_update', object_type: 'harvest_source', object_id: src.id, detail: { fields: Object.keys(f) } });
    return sourceDict(ctx.db, row);
  },
});

export const harvestSourceDelete = defineAction({
  name: 'harvest_source_delete',
  readOnly: false,
  summary: 'Deactivate a harvest source (it is kept, as ckanext-harvest does); `clear: true` also clears it.',
  async run(ctx, input) {
    const src = await findSource(ctx, input.id, 'harvest_source_delete');
    await ctx.db.updateTable('harvest_sources').set({ active: false, modified: ctx.now, next_run: null }).where('id', '=', src.id).execute();
    await abortOpenJobs(ctx, src.id);
    if (input.clear === true || input.clear === 'true') await clearSource(ctx, src);
    await ctx.audit({ action: 'harvest_source_delete', object_type: 'harvest_source', object_id: src.id, detail: { name: src.name } });
    return null;
  },
});

export const harvestSourceClear = defineAction({
  name: 'harvest_source_clear',
  readOnly: false,
  summary: "Remove a source's jobs, objects and records; the datasets it created are deleted (soft, history kept).",
  async run(ctx, input) {
    const src = await findSource(ctx, input.id, 'harvest_source_clear');
    await abortOpenJobs(ctx, src.id);
    const n = await clearSource(ctx, src);
    await ctx.audit({ action: 'harvest_source_clear', object_type: 'harvest_source', object_id: src.id, detail: { datasets: n } });
    return { id: src.id, datasets_deleted: n };
  },
});

async function abortOpenJobs(ctx: ActionContext, sourceId: string): Promise<void> {
  await ctx.db.updateTable('harvest_jobs').set({ status: 'Finished', aborted: true, finished: ctx.now, error: 'aborted' }).where('source_id', '=', sourceId).where('status', '<>', 'Finished').execute();
}

async function clearSource(ctx: ActionContext, src: HarvestSourceRow): Promise<number> {
  const recs = await ctx.db.selectFrom('harvest_records').select('dataset_id').where('source_id', '=', src.id).where('dataset_id', 'is not', null).execute();
  for (const r of recs) await packageDelete.run(ctx, { id: r.dataset_id! });
  await ctx.db.deleteFrom('harvest_records').where('source_id', '=', src.id).execute();
  await ctx.db.deleteFrom('harvest_jobs').where('source_id', '=', src.id).execute();
  await ctx.db.updateTable('harvest_sources').set({ last_good_since: null }).where('id', '=', src.id).execute();
  return recs.length;
}
