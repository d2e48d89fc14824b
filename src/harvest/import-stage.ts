import { sql } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import { localizeErrors, NotFoundError, ValidationError, AuthorizationError } from '../actions/errors.ts';
import { inputProblems } from '../actions/input-guard.ts';
import { packageImport, type ImportResult } from '../import/action.ts';
import { packageUpdate } from '../actions/datasets/actions.ts';
import { normalizePackage } from '../import/normalize.ts';
import { currentStandard } from '../standard/index.ts';
import type { HarvestObjectRow, HarvestSourceRow } from './schema.ts';
import { contentHash } from './gather-ckan.ts';
import { mapsOrganizations, mappedOrg } from '../registry/orgs.ts';
import { onHarvested } from '../registry/engine.ts';
import { sourceKey } from '../registry/identity.ts';

/** Fields of the remote dict that mean nothing here (ids, the remote organisation and groups). */
const REMOTE_ONLY = ['id', 'owner_org', 'organization', 'groups', 'revision_id', 'relationships_as_object', 'relationships_as_subject', 'num_resources', 'num_tags', 'metadata_modified', 'creator_user_id', 'state', 'private', 'type'];


/** Consent as the national harvester reads it: allow_harvest not "False", no reference_url_catalog. */
export function consents(d: Record<string, unknown>): boolean {
  const allow = d.allow_harvest;
  if (allow === false || (typeof allow === 'string' && allow.trim().toLowerCase() === 'false')) return false;
  const ref = d.reference_url_catalog;
  return !(typeof ref === 'string' ? ref.trim() : ref);
}

interface Outcome {
  state: 'COMPLETE' | 'ERROR';
  report: 'added' | 'updated' | 'not modified' | 'errored' | 'deleted' | 'skipped';
  datasetId?: string | null;
  errors?: Record<string, string[]>;
  normalized?: Record<string, unknown> | null;
  /** The origin dataset's identity (src/registry/identity.ts). */
  key?: string | null;
}

const err = (field: string, th: string, en: string, lang: 'th' | 'en') => ({ [field]: [lang === 'en' ? en : th] });

/**
 * Imports a batch of WAITING objects of one run in the caller's transaction: new records go through
 * package_import (one batch), changed ones through package_update (each under a savepoint, so a bad
 * one is kept with its error and the rest commit), withdrawn ones are marked. Objects and records
 * are written in the same transaction as the datasets, so a killed run neither loses nor repeats one.
 */
export async function importObjects(ctx: ActionContext, source: HarvestSourceRow, objects: HarvestObjectRow[]): Promise<void> {
  const std = currentStandard();
  const lang = ctx.lang;
  const outcomes = new Map<string, Outcome>();
  const records = await ctx.db
    .selectFrom('harvest_records')
    .selectAll()
    .where('source_id', '=', source.id)
    .where('guid', 'in', objects.map((o) => o.guid).length ? objects.map((o) => o.guid) : [''])
    .execute();
  const byGuid = new Map(records.map((r) => [r.guid, r]));
  let creates: Array<{ o: HarvestObjectRow; dict: Record<string, unknown>; org: string; key: string | null }> = [];
  // Registry: each remote organisation has its local one (src/registry/orgs.ts); otherwise the source's owner.
  const mapping = mapsOrganizations(ctx, source);
  const orgCache = new Map<string, string>();
  const orgOf = (d: Record<string, unknown>) => (mapping ? mappedOrg(ctx, source, d, orgCache) : Promise.resolve(source.owner_org));
  for (const o of objects) {
    const rec = byGuid.get(o.guid);
    if (o.content === null) {
      // Gone from the source's list: withdrawn here, never deleted.
      outcomes.set(o.id, { state: 'COMPLETE', report: rec && rec.state === 'active' ? 'deleted' : 'skipped', datasetId: rec?.dataset_id ?? null });
      continue;
    }
    let dict: unknown;
    try {
      dict = JSON.parse(o.content);
    } catch (e) {
      outcomes.set(o.id, { state: 'ERROR', report: 'errored', errors: err('content', `ไม่ใช่ JSON ที่ถูกต้อง: ${(e as Error).message}`, `Invalid JSON: ${(e as Error).message}`, lang) });
      continue;
    }
    if (!dict || typeof dict !== 'object' || Array.isArray(dict)) {
      outcomes.set(o.id, { state: 'ERROR', report: 'errored', errors: err('content', 'ระเบียนต้องเป็นออบเจกต์ JSON', 'A record must be a JSON object', lang) });
      continue;
    }
    const d = dict as Record<string, unknown>;
    if (!consents(d)) {
      outcomes.set(o.id, { state: 'COMPLETE', report: rec && rec.state === 'active' ? 'deleted' : 'skipped', datasetId: rec?.dataset_id ?? null });
      continue;
    }
    if (rec && rec.state === 'active' && rec.content_hash === o.content_hash && rec.dataset_id) {
      outcomes.set(o.id, { state: 'COMPLETE', report: 'not modified', datasetId: rec.dataset_id });
      continue;
    }
    const key = sourceKey(source, d, o.guid);
    const local: Record<string, unknown> = { ...d };
    for (const k of REMOTE_ONLY) delete local[k];
    // What the source shows only to its members stays private here (a source read with credentials).
    local.private = d.private === true || (typeof d.private === 'string' && d.private.trim().toLowerCase() === 'true');
    const problems = inputProblems(local);
    if (problems.tooDeep || Object.keys(problems.errors).length) {
      outcomes.set(o.id, { state: 'ERROR', report: 'errored', errors: problems.tooDeep ? err('record', 'ข้อมูลซ้อนกันลึกเกินไป', 'Nested too deeply', lang) : localizeErrors(problems.errors, lang) });
      continue;
    }
    const existing = rec?.dataset_id ? await ctx.db.selectFrom('datasets').select(['id', 'state']).where('id', '=', rec.dataset_id).executeTakeFirst() : undefined;
    if (existing && existing.state !== 'deleted') {
      await sql`SAVEPOINT harvest_one`.execute(ctx.db);
      try {
        const input = normalizePackage(std, local);
        await packageUpdate.run(ctx, { ...input, id: existing.id, owner_org: await orgOf(d) });
        await sql`RELEASE SAVEPOINT harvest_one`.execute(ctx.db);
        outcomes.set(o.id, { state: 'COMPLETE', report: 'updated', datasetId: existing.id, normalized: input, key });
      } catch (e) {
        await sql`ROLLBACK TO SAVEPOINT harvest_one`.execute(ctx.db);
        if (!(e instanceof ValidationError || e instanceof NotFoundError || e instanceof AuthorizationError)) throw e;
        const errors = e instanceof ValidationError ? localizeErrors(e.errors, lang) : err('record', e.message, e.message, lang);
        outcomes.set(o.id, { state: 'ERROR', report: 'errored', errors, datasetId: existing.id });
      }
    } else creates.push({ o, dict: local, org: await orgOf(d), key });
  }
  creates = await skipHeldElsewhere(ctx, source, creates, outcomes);
  if (mapping) await renameClashes(ctx, creates);
  for (const org of new Set(creates.map((c) => c.org))) {
    const batch = creates.filter((c) => c.org === org);
    const result = (await packageImport.run(ctx, { records: batch.map((c) => c.dict), owner_org: org })) as ImportResult;
    for (const imp of result.imported) {
      const c = batch[imp.index]!;
      outcomes.set(c.o.id, { state: 'COMPLETE', report: 'added', datasetId: imp.id, normalized: normalizePackage(std, c.dict), key: c.key });
    }
    for (const f of result.failed) outcomes.set(batch[f.index]!.o.id, { state: 'ERROR', report: 'errored', errors: f.errors });
  }
  await writeOutcomes(ctx, source, objects, outcomes);
}

async function writeOutcomes(ctx: ActionContext, source: HarvestSourceRow, objects: HarvestObjectRow[], outcomes: Map<string, Outcome>): Promise<void> {
  for (const o of objects) {
    const out = outcomes.get(o.id) ?? { state: 'ERROR', report: 'errored', errors: { record: ['not processed'] } };
    await ctx.db
      .updateTable('harvest_objects')
      .set({ state: out.state, report_status: out.report, dataset_id: out.datasetId ?? null, errors: out.errors ? JSON.stringify(out.errors) : null, normalized: out.normalized ? JSON.stringify(out.normalized) : null, import_finished: ctx.now })
      .where('id', '=', o.id)
      .execute();
    if (out.report === 'errored' || out.report === 'skipped' && !out.datasetId) continue;
    const withdrawn = out.report === 'deleted' || out.report === 'skipped';
    const raw = o.content === null ? undefined : safeJson(o.content);
    const values = {
      source_key: out.key ?? null,
      source_id: source.id,
      guid: o.guid,
      dataset_id: out.datasetId ?? null,
      content_hash: o.content_hash ?? '',
      raw: JSON.stringify(raw ?? null),
      last_job_id: o.job_id,
      last_object_id: o.id,
      state: withdrawn ? 'withdrawn' : 'active',
      remote_modified: raw && typeof (raw as Record<string, unknown>).metadata_modified === 'string' ? ((raw as Record<string, unknown>).metadata_modified as string) : null,
      updated: ctx.now,
    };
    const set: Record<string, unknown> = { last_job_id: o.job_id, last_object_id: o.id, state: values.state, updated: ctx.now };
    if (o.content !== null) Object.assign(set, { content_hash: values.content_hash, raw: values.raw, remote_modified: values.remote_modified, dataset_id: values.dataset_id });
    if (out.key) set.source_key = out.key;
    await ctx.db.insertInto('harvest_records').values(values).onConflict((oc) => oc.columns(['source_id', 'guid']).doUpdateSet(set)).execute();
    // Registry: the record's registration (WAIT, revised, VALIDATE_MODIFIED, revocation), same transaction.
    if (ctx.services.config.siteKind === 'registry') {
      const rawDict = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : null;
      const orgId = rawDict && mapsOrganizations(ctx, source) ? await mappedOrg(ctx, source, rawDict, new Map()) : source.owner_org;
      await onHarvested(ctx, source, { guid: o.guid, datasetId: out.datasetId ?? null, raw: rawDict, orgId, report: out.report as 'added' });
    }
  }
}

/**
 * One source dataset is held once: a new record whose origin another source already brought (the
 * same catalog under another address, or a copy naming it) is skipped with the reason, not imported.
 */
async function skipHeldElsewhere<C extends { o: HarvestObjectRow; key: string | null }>(ctx: ActionContext, source: HarvestSourceRow, creates: C[], outcomes: Map<string, Outcome>): Promise<C[]> {
  const keys = [...new Set(creates.map((c) => c.key).filter((k): k is string => !!k))];
  if (!keys.length) return creates;
  const held = await ctx.db
    .selectFrom('harvest_records as r')
    .innerJoin('harvest_sources as s', 's.id', 'r.source_id')
    .select(['r.source_key', 's.name', 's.url'])
    .where('r.source_key', 'in', keys)
    .where('r.source_id', '<>', source.id)
    .where('r.state', '=', 'active')
    .execute();
  if (!held.length) return creates;
  const by = new Map(held.map((h) => [h.source_key!, h]));
  return creates.filter((c) => {
    const h = c.key ? by.get(c.key) : undefined;
    if (!h) return true;
    outcomes.set(c.o.id, {
      state: 'COMPLETE',
      report: 'skipped',
      errors: err('record', `ชุดข้อมูลต้นทางนี้ (${c.key}) มีอยู่แล้วจากแหล่ง ${h.name} (${h.url}) จึงไม่นำเข้าซ้ำ`, `This source dataset (${c.key}) is already held from the source ${h.name} (${h.url}); not imported twice`, ctx.lang),
    });
    return false;
  });
}

/**
 * Names are unique across a catalog, but two agencies may both call an entry "population": the
 * second keeps its title and gets the name with a short suffix (the registration keeps the remote name).
 */
async function renameClashes(ctx: ActionContext, creates: Array<{ o: HarvestObjectRow; dict: Record<string, unknown> }>): Promise<void> {
  const names = creates.map((c) => c.dict.name).filter((n): n is string => typeof n === 'string' && !!n);
  if (!names.length) return;
  const taken = new Set((await ctx.db.selectFrom('datasets').select('name').where('name', 'in', names).execute()).map((r) => r.name));
  const seen = new Set<string>();
  for (const c of creates) {
    const n = c.dict.name;
    if (typeof n !== 'string' || !n) continue;
    if (taken.has(n) || seen.has(n)) c.dict.name = `${n.slice(0, 90)}-${contentHash(c.o.source_id + c.o.guid).slice(0, 6)}`;
    seen.add(c.dict.name as string);
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
