import crypto from 'node:crypto';
import type { Insertable } from 'kysely';
import type { ActionContext, AuditEvent } from '../actions/context.ts';
import type { Database, DatasetRow } from '../store/schema.ts';
import { userId } from '../access/actor.ts';
import { currentStandard } from '../standard/index.ts';
import { UUID } from '../actions/datasets/load.ts';
import { resourceColumns } from '../actions/datasets/write.ts';
import { packageDicts } from '../actions/datasets/present.ts';
import { diffPackages } from '../actions/history.ts';
import { indexDatasets } from '../search/indexer.ts';
import type { ImportCandidate } from './action.ts';
import type { PlannedGroup } from './groups.ts';
import { insertMany, writeAuditBatch } from './write-batch.ts';

/**
 * Writes accepted records the way saveDataset writes one dataset (rows, resources, groups,
 * history, audit, search), but with one multi-row insert per table for the whole batch.
 */
export async function writeImported(ctx: ActionContext, accepted: ImportCandidate[], planned: PlannedGroup[]): Promise<DatasetRow[]> {
  const std = currentStandard();
  const now = ctx.now;
  const audit: AuditEvent[] = [];

  await insertMany(
    ctx.db,
    'groups',
    planned.map((p) => ({ id: p.id, name: p.name, title: p.title, description: p.description, is_organization: p.isOrganization, extras: '{}', created: now, modified: now })),
  );
  for (const p of planned) {
    const kind = p.isOrganization ? 'organization' : 'group';
    audit.push({ action: `${kind}_create`, object_type: kind, object_id: p.id, detail: { name: p.name, via: 'package_import' } });
  }
  if (!accepted.length) {
    await writeAuditBatch(ctx.db, ctx.actor, ctx.ip, now, audit);
    return [];
  }

  const creator = userId(ctx.actor);
  const rows: DatasetRow[] = accepted.map((c) => {
    const v = c.v;
    return {
      id: v.id ?? crypto.randomUUID(),
      name: v.name!,
      title: v.title ?? v.name!,
      notes: v.notes ?? '',
      owner_org: c.orgId,
      private: v.private ?? false,
      state: c.draft ? 'draft' : 'active',
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
      creator_user_id: creator,
      metadata_created: c.created ?? now,
      metadata_modified: now,
      version: 1,
      view_count: 0,
    };
  });
  await insertMany(
    ctx.db,
    'datasets',
    rows.map(({ view_count: _v, metadata, ...r }) => ({ ...r, metadata: JSON.stringify(metadata) })),
  );

  const resourceIds = new Set<string>();
  const wanted = accepted.flatMap((c) => c.resources.map((r) => r.id)).filter((id): id is string => !!id && UUID.test(id));
  const taken = wanted.length ? new Set((await ctx.db.selectFrom('resources').select('id').where('id', 'in', [...new Set(wanted.map((id) => id.toLowerCase()))]).execute()).map((r) => r.id)) : new Set<string>();
  const resources: Insertable<Database['resources']>[] = [];
  const links: Insertable<Database['dataset_groups']>[] = [];
  for (const [i, c] of accepted.entries()) {
    const datasetId = rows[i]!.id;
    for (const [position, r] of c.resources.entries()) {
      const own = r.id && UUID.test(r.id) ? r.id.toLowerCase() : undefined;
      const id = own && !taken.has(own) && !resourceIds.has(own) ? own : crypto.randomUUID();
      resourceIds.add(id);
      const created = (r as { created?: Date }).created;
      resources.push({ ...resourceColumns(r, now), id, dataset_id: datasetId, position, created: created ?? now });
    }
    for (const g of c.groups) links.push({ dataset_id: datasetId, group_id: g.id });
  }
  await insertMany(ctx.db, 'resources', resources);
  await insertMany(ctx.db, 'dataset_groups', links);

  // History snapshots exactly as package_show builds them, for the whole batch in a few queries.
  const snapshots = await packageDicts(ctx, rows, { unrestricted: true });
  const activity: Insertable<Database['activity']>[] = [];
  for (const [i, row] of rows.entries()) {
    const after = snapshots[i]!;
    const changes = diffPackages(null, after);
    activity.push({
      id: crypto.randomUUID(),
      object_id: row.id,
      object_type: 'package',
      activity_type: 'new package',
      user_id: creator,
      timestamp: now,
      version: 1,
      data: JSON.stringify({ package: after }),
      changes: JSON.stringify(changes),
    });
    audit.push({
      action: 'package_create',
      object_type: 'dataset',
      object_id: row.id,
      detail: { name: row.name, version: 1, fields: changes.map((ch) => ch.field).slice(0, 200), via: 'package_import' },
    });
  }
  await insertMany(ctx.db, 'activity', activity);
  await writeAuditBatch(ctx.db, ctx.actor, ctx.ip, now, audit);
  await indexDatasets(ctx.db, rows.map((r) => r.id));
  return rows;
}
