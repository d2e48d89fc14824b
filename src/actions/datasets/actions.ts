import { assertNotRegistered } from '../../registry/agency-actions.ts';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, type ActionInput } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { isSysadmin } from '../../access/actor.ts';
import { readTimestamp } from '../../standard/values.ts';
import { M } from '../../standard/messages.ts';
import type { DatasetRow } from '../../store/schema.ts';
import { findDataset, findGroup, requireDataset } from './load.ts';
import { packageDicts } from './present.ts';
import { afterDatasetWrite, prepareDataset, saveDataset } from './write.ts';
import { packageActivityList } from './activity.ts';
import { boolParam, naturalNumber } from '../params.ts';
import { withTracking } from '../../usage/tracking.ts';
import { clientPackageInput } from '../ckan/links.ts';

async function showDict(ctx: ActionContext, row: DatasetRow) {
  return (await packageDicts(ctx, [row]))[0]!;
}

export const packageCreate = defineAction({
  name: 'package_create',
  readOnly: false,
  summary: 'Create a dataset with the metadata of the national standard; returns the package dict.',
  async run(ctx, input) {
    const ownerRef = typeof input.owner_org === 'string' ? input.owner_org.trim() : '';
    const found = ownerRef ? await findGroup(ctx.db, ownerRef, true) : undefined;
    const org = found?.state === 'active' ? found : undefined;
    // A caller who may add datasets somewhere but named no usable organisation learns every field
    // problem in one answer (the organisation among them): organisations are public, and no
    // uniqueness is checked inside one they have no right to. Everyone else is refused first.
    if (org || !ctx.can('package_create_somewhere')) ctx.authorize('package_create', { owner_org: org?.id ?? null });
    let prepared;
    try {
      prepared = await prepareDataset(ctx, clientPackageInput(input, ctx.services.config.siteUrl, { emptyStrings: false }), null);
    } catch (e) {
      if (!(e instanceof ValidationError) || org || isSysadmin(ctx.actor) || e.errors.owner_org) throw e;
      throw new ValidationError({ ...e.errors, owner_org: [M.missing()] });
    }
    if (!org) ctx.authorize('package_create', { owner_org: null });
    const row = await saveDataset(ctx, prepared, null);
    return showDict(ctx, row);
  },
});

export async function updateFrom(ctx: ActionContext, input: ActionInput, rule: string, merge: boolean) {
  const ref = input.id ?? input.name;
  const { row } = await requireDataset(ctx, { id: ref }, rule);
  if (row.state === 'deleted' && input.state === undefined) throw new NotFoundError();
  let data = input;
  if (merge) {
    const current = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
    delete current.resources;
    delete current.groups;
    data = { ...current, ...input };
  }
  const prepared = await prepareDataset(ctx, clientPackageInput({ ...data, id: undefined }, ctx.services.config.siteUrl), row);
  if (prepared.org && prepared.org.id !== row.owner_org) ctx.authorize('package_move', { owner_org: prepared.org.id });
  const saved = await saveDataset(ctx, prepared, row);
  return showDict(ctx, saved);
}

export const packageUpdate = defineAction({
  name: 'package_update',
  readOnly: false,
  summary: 'Replace a dataset: fields left out are removed; resources and groups left out stay as they are.',
  run: (ctx, input) => updateFrom(ctx, input, 'package_update', false),
});

export const packagePatch = defineAction({
  name: 'package_patch',
  readOnly: false,
  summary: 'Change only the fields sent; everything else stays.',
  run: (ctx, input) => updateFrom(ctx, input, 'package_patch', true),
});

export const packageDelete = defineAction({
  name: 'package_delete',
  readOnly: false,
  summary: 'Soft-delete a dataset (state "deleted"); it leaves search and package_list.',
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'package_delete');
    if (row.state === 'deleted') return null;
    // An agency catalog with a national registry: a registered dataset stays until revoked (issue 8).
    await assertNotRegistered(ctx, row);
    const before = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
    const updated = await ctx.db
      .updateTable('datasets')
      .set({ state: 'deleted', metadata_modified: ctx.now, version: row.version + 1 })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await afterDatasetWrite(ctx, updated, before, 'deleted package');
    return null;
  },
});

/**
 * Brings a deleted dataset back, as it was before (a draft stays a draft). Those who may delete
 * may restore; history, audit and the search row follow as for any write.
 */
export const packageRestore = defineAction({
  name: 'package_restore',
  readOnly: false,
  summary: 'Restore a deleted dataset to the state it had before it was deleted (active or draft); returns the package dict.',
  params: { id: { type: 'string', description: 'id or name of the dataset', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'package_restore');
    if (row.state !== 'deleted') throw ValidationError.field('state', { th: 'ชุดข้อมูลนี้ไม่ได้ถูกลบ', en: 'This dataset is not deleted' });
    const previous = await ctx.db
      .selectFrom('activity')
      .select(sql<string | null>`data->'package'->>'state'`.as('state'))
      .where('object_id', '=', row.id)
      .where('version', '<', row.version)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    const state = previous?.state === 'draft' ? 'draft' : 'active';
    const before = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
    const updated = await ctx.db
      .updateTable('datasets')
      .set({ state, metadata_modified: ctx.now, version: row.version + 1 })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await afterDatasetWrite(ctx, updated, before, 'changed package', 'package_restore');
    return showDict(ctx, updated);
  },
});

export const packageShow = defineAction({
  name: 'package_show',
  readOnly: true,
  // A hot page read: no BEGIN/COMMIT round trips (registry.ts); a disclosure row is its one write.
  transaction: 'statement',
  summary: 'One dataset by id or name. Private and sensitive entries answer only to those with a right to them.',
  params: { id: { type: 'string', description: 'id or name of the dataset', required: true }, include_tracking: { type: 'boolean', description: 'add tracking_summary {total, recent} to the dataset and its resources' } },
  async run(ctx, input) {
    // CKAN's package_show reads `name_or_id` when `id` is not sent; older clients send that.
    const ref = input.id === undefined || input.id === '' ? { ...input, id: input.name_or_id } : input;
    const { row } = await requireDataset(ctx, ref, 'package_show');
    const dict = await showDict(ctx, row);
    return boolParam(input, 'include_tracking', false) ? withTracking(ctx, row.id, dict) : dict;
  },
});

export const packageList = defineAction({
  name: 'package_list',
  readOnly: true,
  summary: 'Names of public, active datasets, by name.',
  params: { limit: { type: 'integer', description: 'page size' }, offset: { type: 'integer', description: 'start' } },
  async run(ctx, input) {
    ctx.authorize('package_list');
    const limit = naturalNumber(input, 'limit');
    const offset = naturalNumber(input, 'offset') ?? 0;
    const rows = await ctx.db
      .selectFrom('datasets as d')
      .select('d.name')
      .where(visibleDatasets({ kind: 'anonymous' }, 'd'))
      .orderBy('d.name')
      .$if(limit !== undefined, (q) => q.limit(limit!))
      .offset(offset)
      .execute();
    return rows.map((r) => r.name);
  },
});

export const datasetGrantCreate = defineAction({
  name: 'dataset_grant_create',
  readOnly: false,
  summary: 'Grant a user or an organisation access to a dataset (metadata, or metadata and files), optionally until a date.',
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, { id: input.id ?? input.package_id }, 'dataset_grant_create');
    const scope = input.scope ?? 'files';
    if (scope !== 'files' && scope !== 'metadata') throw ValidationError.field('scope', M.notInList(String(scope)));
    let userIdValue: string | null = null;
    let orgId: string | null = null;
    if (typeof input.user === 'string' && input.user) {
      const u = await ctx.db.selectFrom('users').select('id').where((eb) => eb.or([eb('name', '=', input.user as string), eb(sql`id::text`, '=', input.user as string)])).executeTakeFirst();
      if (!u) throw ValidationError.field('user', { th: 'ไม่พบผู้ใช้', en: 'User not found' });
      userIdValue = u.id;
    } else if (typeof input.organization === 'string' && input.organization) {
      const o = await findGroup(ctx.db, input.organization, true);
      if (!o) throw ValidationError.field('organization', M.orgNotFound());
      orgId = o.id;
    } else throw ValidationError.field('user', M.missing());
    let expires: Date | null = null;
    if (input.expires_at !== undefined && input.expires_at !== null && input.expires_at !== '') {
      expires = readTimestamp(input.expires_at) ?? null;
      if (!expires) throw ValidationError.field('expires_at', M.date());
    }
    const id = crypto.randomUUID();
    await ctx.db
      .insertInto('dataset_grants')
      .values({ id, dataset_id: row.id, grantee_user_id: userIdValue, grantee_org_id: orgId, scope: scope as string, expires_at: expires, granted_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null, reason: typeof input.reason === 'string' ? input.reason.slice(0, 2000) : '', created: ctx.now })
      .execute();
    await ctx.audit({ action: 'dataset_grant_create', object_type: 'dataset', object_id: row.id, detail: { grant: id, user: userIdValue, organization: orgId, scope, expires_at: expires?.toISOString() ?? null } });
    return { id, package_id: row.id, user_id: userIdValue, organization_id: orgId, scope, expires_at: expires?.toISOString() ?? null };
  },
});

export const datasetGrantRevoke = defineAction({
  name: 'dataset_grant_revoke',
  readOnly: false,
  summary: 'Revoke a grant by its id.',
  async run(ctx, input) {
    const grant = typeof input.id === 'string' && /^[0-9a-f-]{36}$/.test(input.id) ? await ctx.db.selectFrom('dataset_grants').selectAll().where('id', '=', input.id).executeTakeFirst() : undefined;
    const row = grant ? await findDataset(ctx.db, grant.dataset_id) : undefined;
    ctx.authorize('dataset_grant_revoke', row ?? { owner_org: null });
    if (!grant) throw new NotFoundError();
    await ctx.db.updateTable('dataset_grants').set({ revoked_at: ctx.now }).where('id', '=', grant.id).execute();
    await ctx.audit({ action: 'dataset_grant_revoke', object_type: 'dataset', object_id: grant.dataset_id, detail: { grant: grant.id } });
    return null;
  },
});

export const datasetActions = [packageCreate, packageUpdate, packagePatch, packageDelete, packageRestore, packageShow, packageList, packageActivityList, datasetGrantCreate, datasetGrantRevoke];
