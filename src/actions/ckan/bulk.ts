import { sql } from 'kysely';
import { tableName as datastoreTable } from '../../datastore/ident.ts';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { findDataset, findGroup, requireDataset } from '../datasets/load.ts';
import { packageDelete, packagePatch, updateFrom } from '../datasets/actions.ts';
import { releaseFiles } from '../../files/lifecycle.ts';
import { stringParam } from '../params.ts';

const MAX_BULK = 1000;

/** CKAN's bulk_update_*: `datasets` (ids or names) all of organisation `org_id`, changed one by one in one transaction. */
async function bulk(ctx: ActionContext, input: Record<string, unknown>, rule: string, change: (id: string) => Promise<unknown>) {
  const orgRef = stringParam(input, 'org_id')?.trim();
  const org = orgRef ? await findGroup(ctx.db, orgRef, true) : undefined;
  ctx.authorize(rule, { owner_org: org?.state === 'active' ? org.id : null });
  if (!org) throw ValidationError.field('org_id', M.orgNotFound());
  const list = input.datasets;
  if (!Array.isArray(list) || !list.length) throw ValidationError.field('datasets', M.missing());
  if (list.length > MAX_BULK) throw ValidationError.field('datasets', M.tooMany(MAX_BULK));
  for (const [i, ref] of list.entries()) {
    if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field(`datasets[${i}]`, M.notString());
    const row = await findDataset(ctx.db, ref.trim());
    // A dataset of another organisation is named as not found: the caller's right is over this one only.
    if (!row || row.owner_org !== org.id) throw ValidationError.field(`datasets[${i}]`, { th: `ไม่พบชุดข้อมูล "${ref.slice(0, 100)}" ในหน่วยงานนี้`, en: `Dataset "${ref.slice(0, 100)}" not found in this organization` });
    await change(row.id);
  }
  return null;
}

const BULK_PARAMS = {
  datasets: { type: 'array' as const, description: 'ids or names of datasets of the organisation', required: true },
  org_id: { type: 'string' as const, description: 'organisation id or name', required: true },
};

export const bulkUpdatePrivate = defineAction({
  name: 'bulk_update_private',
  readOnly: false,
  summary: "Make datasets of an organisation private. Every change is a normal update (history, audit, search).",
  params: BULK_PARAMS,
  run: (ctx, input) => bulk(ctx, input, 'bulk_update_private', (id) => packagePatch.run(ctx, { id, private: true })),
});

export const bulkUpdatePublic = defineAction({
  name: 'bulk_update_public',
  readOnly: false,
  summary: 'Make datasets of an organisation public. Data of a category that must stay private (the standard\'s category rules) stays private.',
  params: BULK_PARAMS,
  run: (ctx, input) => bulk(ctx, input, 'bulk_update_public', (id) => packagePatch.run(ctx, { id, private: false })),
});

export const bulkUpdateDelete = defineAction({
  name: 'bulk_update_delete',
  readOnly: false,
  summary: 'Soft-delete datasets of an organisation (as package_delete, one by one).',
  params: BULK_PARAMS,
  run: (ctx, input) => bulk(ctx, input, 'bulk_update_delete', (id) => packageDelete.run(ctx, { id })),
});

export const packageOwnerOrgUpdate = defineAction({
  name: 'package_owner_org_update',
  readOnly: false,
  summary: 'Move a dataset to another organisation: needs edit rights on the dataset and create rights in the new organisation.',
  params: { id: { type: 'string', description: 'dataset id or name', required: true }, organization_id: { type: 'string', description: 'new organisation id or name', required: true } },
  async run(ctx, input) {
    const org = stringParam(input, 'organization_id')?.trim();
    if (!org) {
      await requireDataset(ctx, input, 'package_owner_org_update');
      throw ValidationError.field('organization_id', M.missing());
    }
    await updateFrom(ctx, { id: input.id, owner_org: org }, 'package_owner_org_update', true);
    return null;
  },
});

export const datasetPurge = defineAction({
  name: 'dataset_purge',
  readOnly: false,
  summary: 'Remove a dataset for good (sysadmins): its rows, resources, history and search row; then its files. The audit log keeps the purge.',
  params: { id: { type: 'string', description: 'dataset id or name (also a deleted one)', required: true } },
  async run(ctx, input) {
    ctx.authorize('dataset_purge');
    const ref = stringParam(input, 'id')?.trim();
    if (!ref) throw ValidationError.field('id', M.missing());
    const row = await findDataset(ctx.db, ref);
    if (!row) throw new NotFoundError();
    const files = await ctx.db.selectFrom('resources').select('storage_key').where('dataset_id', '=', row.id).where('storage_key', 'is not', null).execute();
    await ctx.db.deleteFrom('dataset_search').where('dataset_id', '=', row.id).execute();
    await ctx.db.deleteFrom('dataset_groups').where('dataset_id', '=', row.id).execute();
    await ctx.db.deleteFrom('dataset_grants').where('dataset_id', '=', row.id).execute();
    await ctx.db.deleteFrom('dataset_collaborators').where('dataset_id', '=', row.id).execute();
    // The resources' DataStore tables and keys go with them (issue 9 tables refer to resources).
    const resourceIds = (await ctx.db.selectFrom('resources').select('id').where('dataset_id', '=', row.id).execute()).map((r) => r.id);
    for (const rid of resourceIds) await sql.raw(`DROP TABLE IF EXISTS ${datastoreTable(rid)}`).execute(ctx.db);
    if (resourceIds.length) {
      // Typed by src/datastore, not in the catalog schema: plain SQL.
      await sql`DELETE FROM datastore_api_keys WHERE resource_id = ANY(${resourceIds}::uuid[])`.execute(ctx.db);
      await sql`DELETE FROM datastore_tables WHERE resource_id = ANY(${resourceIds}::uuid[])`.execute(ctx.db);
    }
    await ctx.db.deleteFrom('resources').where('dataset_id', '=', row.id).execute();
    await ctx.db.deleteFrom('activity').where('object_id', '=', row.id).execute();
    await ctx.db.deleteFrom('datasets').where('id', '=', row.id).execute();
    await ctx.audit({ action: 'dataset_purge', object_type: 'dataset', object_id: row.id, detail: { name: row.name, files: files.length } });
    // After commit, and only files no other row refers to (a restored backup may share none, but be sure).
    releaseFiles(ctx, files.map((f) => f.storage_key));
    return null;
  },
});
