import crypto from 'node:crypto';
import { sql } from 'kysely';
import { assertDatasetNotUnderReview } from '../governance/cases-engine.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag } from '../errors.ts';
import type { DatasetRow, GroupRow } from '../../store/schema.ts';
import { currentStandard, type Standard } from '../../standard/index.ts';
import { M } from '../../standard/messages.ts';
import { limitsOf } from '../../standard/limits.ts';
import { applyCategoryRules, validateDataset, type ValidatedDataset } from '../../standard/validate.ts';
import { validateResource, type ValidatedResource } from '../../standard/validate-resource.ts';
import { clashDisclosable, findGroup, isVisible, UUID } from './load.ts';
import { hiddenClashesLeft } from '../../access/probe-budget.ts';
import { packageDicts } from './present.ts';
import { diffPackages, recordActivity } from '../history.ts';
import { indexDatasets } from '../../search/indexer.ts';
import { queuePush } from '../../opendata/push.ts';
import { userId } from '../../access/actor.ts';

export interface PreparedDataset {
  v: ValidatedDataset;
  org: GroupRow | undefined;
  groups: GroupRow[] | undefined;
  resources: ValidatedResource[] | undefined;
}

/** Dataset metadata keys owned by the publication workflow (src/actions/governance): kept across edits. */
export const GOVERNANCE_MARKS = ['publication', 'ready_for_registration'] as const;

function governanceMarks(existing: DatasetRow | null): Record<string, unknown> {
  const m = (existing?.metadata ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of GOVERNANCE_MARKS) if (k in m) out[k] = m[k];
  return out;
}

/**
 * Validates a whole dataset dict: the standard's field rules, then the rules that need the database
 * (organisation, groups, unique slug and title). All problems come back together, per field.
 */
export async function prepareDataset(ctx: ActionContext, input: Record<string, unknown>, existing: DatasetRow | null): Promise<PreparedDataset> {
  const std = currentStandard();
  const bag = new ErrorBag();
  const draft = input.state === 'draft' || (input.state === undefined && existing?.state === 'draft');
  // Marks only the publication workflow writes (issue 11): sent back from package_show, never taken from a client.
  const { [GOVERNANCE_MARKS[0]]: _p, [GOVERNANCE_MARKS[1]]: _r, ...fields } = input;
  const v = validateDataset(std, fields, bag, { partial: draft });
  if (v.name === undefined && !bag.has('name') && !existing) bag.add('name', M.missing());
  if (!v.title && v.name && !bag.has('title') && draft) v.title = v.name;

  let org: GroupRow | undefined;
  if (v.owner_org) {
    org = await findGroup(ctx.db, v.owner_org, true);
    if (!org || org.state !== 'active') {
      bag.add('owner_org', M.orgNotFound());
      org = undefined;
    }
  }
  if (v.private === undefined) v.private = existing ? existing.private : false;
  applyCategoryRules(std, v, bag);

  let groups: GroupRow[] | undefined;
  if (v.groups) {
    groups = [];
    for (const ref of v.groups) {
      const g = await findGroup(ctx.db, ref, false);
      if (!g || g.state !== 'active') bag.add('groups', M.groupNotFound(ref));
      else groups.push(g);
    }
  }

  let resources: ValidatedResource[] | undefined;
  if (v.resources) {
    resources = v.resources.map((r, i) => {
      if (!r || typeof r !== 'object' || Array.isArray(r)) {
        bag.add(`resources[${i}]`, M.notString());
        return { metadata: {} };
      }
      // Files arrive only through resource_create/update as multipart: an "upload" here is never trusted.
      const up = (r as Record<string, unknown>).upload;
      if (up !== undefined && up !== null && up !== '') bag.add(`resources[${i}].upload`, { th: 'ส่งไฟล์ได้ทาง resource_create หรือ resource_update แบบ multipart เท่านั้น', en: 'Files are sent with resource_create or resource_update as multipart only' });
      return validateResource(std, v.data_type ?? existing?.data_type ?? '', r as Record<string, unknown>, bag, { prefix: `resources[${i}].`, partial: draft });
    });
  }

  // A move is authorised before any uniqueness check, so titles of another organisation are never probed.
  if (existing && org && org.id !== existing.owner_org) ctx.authorize('package_move', { owner_org: org.id });
  await checkUnique(ctx, v, org?.id ?? null, existing, bag);
  bag.throwIfAny();
  return { v, org, groups, resources };
}

/**
 * Slugs (and ids) are unique across the catalog, titles within the owning organisation. A clash
 * with an entry the caller may see is named as such; a clash with one they may not see gets a
 * neutral answer, rationed per caller (see probe-budget.ts).
 */
async function checkUnique(ctx: ActionContext, v: ValidatedDataset, orgId: string | null, existing: DatasetRow | null, bag: ErrorBag): Promise<void> {
  const newName = v.name !== undefined && v.name !== existing?.name;
  const newId = !!v.id && !existing;
  if ((newName || newId) && (await hiddenClashesLeft(ctx)) <= 0) {
    bag.add(newName ? 'name' : 'id', M.tooManyProbes());
    return;
  }
  if (v.name) {
    const clash = await ctx.db.selectFrom('datasets').select(['id', 'state']).where('name', '=', v.name).executeTakeFirst();
    if (clash && clash.id !== existing?.id) bag.add('name', (await clashDisclosable(ctx, clash.id)) ? (clash.state === 'deleted' ? M.slugInTrash() : M.slugInUse()) : M.slugUnavailable());
  }
  if (v.title) {
    const clash = await ctx.db
      .selectFrom('datasets')
      .select('id')
      .where('title', '=', v.title)
      .where('state', '<>', 'deleted')
      .where('type', '=', 'dataset')
      .where((eb) => (orgId ? eb('owner_org', '=', orgId) : eb('owner_org', 'is', null)))
      .$if(!!existing, (q) => q.where('id', '<>', existing!.id))
      .executeTakeFirst();
    if (clash) bag.add('title', (await isVisible(ctx, clash.id)) ? M.titleInUse() : M.titleUnavailable());
  }
  if (newId) {
    const clash = await ctx.db.selectFrom('datasets').select('id').where('id', '=', v.id!).executeTakeFirst();
    if (clash) bag.add('id', (await clashDisclosable(ctx, clash.id)) ? M.idInUse() : M.idUnavailable());
  }
}

/** The dataset columns of a validated dataset, as single writes and bulk imports store them. */
export function datasetColumns(v: ValidatedDataset, std: Standard, ownerOrg: string | null, state: string, now: Date) {
  return {
    name: v.name!,
    title: v.title ?? v.name!,
    notes: (v.notes as string | undefined) ?? '',
    owner_org: ownerOrg,
    private: v.private ?? false,
    state,
    type: 'dataset',
    data_type: v.data_type ?? '',
    data_category: v.data_category ?? '',
    data_classification: v.data_classification ?? '',
    license_id: v.license_id ?? '',
    allow_harvest: v.allow_harvest ?? false,
    tags: v.tags ?? [],
    metadata: v.metadata,
    standard_id: std.id,
    standard_version: std.version,
    metadata_modified: now,
  };
}

/** Writes a validated dataset with its groups and resources, its history, audit row and search row. */
export async function saveDataset(ctx: ActionContext, p: PreparedDataset, existing: DatasetRow | null): Promise<DatasetRow> {
  const std = currentStandard();
  const { v } = p;
  const before = existing ? (await packageDicts(ctx, [existing], { unrestricted: true }))[0]! : null;
  const values = {
    ...datasetColumns(v, std, p.org?.id ?? null, v.state ?? (existing && existing.state !== 'deleted' ? existing.state : 'active'), ctx.now),
    name: v.name ?? existing!.name,
    title: v.title ?? existing?.title ?? v.name!,
    metadata: JSON.stringify({ ...v.metadata, ...governanceMarks(existing) }),
  };
  let row: DatasetRow;
  if (existing) {
    row = await ctx.db
      .updateTable('datasets')
      .set({ ...values, version: existing.version + 1 })
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } else {
    row = await ctx.db
      .insertInto('datasets')
      .values({ ...values, id: v.id ?? crypto.randomUUID(), creator_user_id: userId(ctx.actor), metadata_created: ctx.now, version: 1 })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  if (p.groups) await replaceGroups(ctx, row, p.groups);
  if (p.resources) await replaceResources(ctx, row, p.resources);
  await afterDatasetWrite(ctx, row, before, existing ? 'changed package' : 'new package');
  return row;
}

/** History, audit and search for a dataset that just changed; every write path ends here. */
export async function afterDatasetWrite(ctx: ActionContext, row: DatasetRow, before: Record<string, unknown> | null, activityType: string, auditAction?: string): Promise<void> {
  // A dataset under publication review changes only when a reviewer sends it back (issue 11, P1).
  if (before) await assertDatasetNotUnderReview(ctx.db, row.id);
  const after = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
  const changes = diffPackages(before, after);
  await recordActivity(ctx, row.id, activityType, row.version, after, changes);
  await ctx.audit({
    action: auditAction ?? (activityType === 'new package' ? 'package_create' : activityType === 'deleted package' ? 'package_delete' : 'package_update'),
    object_type: 'dataset',
    object_id: row.id,
    detail: { name: row.name, version: row.version, fields: changes.map((c) => c.field).slice(0, 200) },
  });
  await indexDatasets(ctx.db, [row.id]);
  // Public-category entries go to the open-data portal (or leave it) by a job after commit.
  if (after.data_category === currentStandard().rules.public_category || before?.data_category === currentStandard().rules.public_category) await queuePush(ctx.db, ctx.services, row.id);
}

async function replaceGroups(ctx: ActionContext, row: DatasetRow, groups: GroupRow[]): Promise<void> {
  const current = await ctx.db.selectFrom('dataset_groups').select('group_id').where('dataset_id', '=', row.id).execute();
  const currentIds = new Set(current.map((c) => c.group_id));
  const wanted = new Set(groups.map((g) => g.id));
  const changed = [...wanted].some((id) => !currentIds.has(id)) || [...currentIds].some((id) => !wanted.has(id));
  if (!changed) return;
  ctx.authorize('group_dataset_add', { owner_org: row.owner_org });
  await ctx.db.deleteFrom('dataset_groups').where('dataset_id', '=', row.id).execute();
  if (wanted.size) await ctx.db.insertInto('dataset_groups').values([...wanted].map((group_id) => ({ dataset_id: row.id, group_id }))).execute();
}

/** package_update with a resources list: keep those whose id is sent, add new ones, drop the rest. */
async function replaceResources(ctx: ActionContext, row: DatasetRow, resources: ValidatedResource[]): Promise<void> {
  const existing = await ctx.db.selectFrom('resources').selectAll().where('dataset_id', '=', row.id).where('state', '=', 'active').execute();
  const byId = new Map(existing.map((r) => [r.id, r]));
  const kept = new Set<string>();
  for (const [position, r] of resources.entries()) {
    const prev = r.id && UUID.test(r.id) ? byId.get(r.id) : undefined;
    const fields = resourceColumns(r, ctx.now);
    if (prev) {
      kept.add(prev.id);
      // An uploaded file keeps its columns as the row has them: the server measured them, a client cannot change them here.
      const { url: _u, url_type: _t, size: _s, mimetype: _m, hash: _h, last_modified: _l, ...described } = fields;
      await ctx.db
        .updateTable('resources')
        .set(prev.storage_key ? { ...described, position } : { ...fields, position })
        .where('id', '=', prev.id)
        .execute();
    } else {
      const id = r.id && UUID.test(r.id) && !(await ctx.db.selectFrom('resources').select('id').where('id', '=', r.id).executeTakeFirst()) ? r.id : crypto.randomUUID();
      await ctx.db.insertInto('resources').values({ ...fields, id, dataset_id: row.id, position, created: r.created ?? ctx.now }).execute();
    }
  }
  const removed = existing.filter((r) => !kept.has(r.id)).map((r) => r.id);
  if (removed.length) await ctx.db.updateTable('resources').set({ state: 'deleted', metadata_modified: ctx.now }).where('id', 'in', removed).execute();
}

export function resourceColumns(r: ValidatedResource, now: Date) {
  return {
    name: r.name ?? '',
    description: r.description ?? '',
    format: r.format ?? '',
    url: r.url ?? '',
    // Descriptive, as in CKAN (harvested records keep "upload"); whether a file is ours is storage_key alone.
    url_type: r.url_type ?? null,
    metadata: JSON.stringify(r.metadata),
    data_dictionary: JSON.stringify(r.data_dictionary ?? []),
    size: r.size ?? null,
    mimetype: r.mimetype ?? null,
    hash: r.hash ?? '',
    last_modified: r.last_modified ?? null,
    metadata_modified: now,
  };
}

/** resource_create: a dataset holds at most the standard's number of active resources. */
export async function checkResourceRoom(ctx: ActionContext, datasetId: string, bag: ErrorBag): Promise<void> {
  const max = limitsOf(currentStandard()).resources;
  const n = await ctx.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).where('dataset_id', '=', datasetId).where('state', '=', 'active').executeTakeFirst();
  if (Number(n?.n ?? 0) >= max) bag.add('resources', M.tooMany(max));
}

export async function bumpDataset(ctx: ActionContext, row: DatasetRow): Promise<DatasetRow> {
  return ctx.db
    .updateTable('datasets')
    .set({ metadata_modified: ctx.now, version: sql`version + 1` })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
