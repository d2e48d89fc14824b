import crypto from 'node:crypto';
import type { ActionContext, AuditEvent } from '../actions/context.ts';
import type { DatasetRow, GroupRow, ResourceRow } from '../store/schema.ts';
import { userId } from '../access/actor.ts';
import { currentStandard } from '../standard/index.ts';
import { UUID } from '../actions/datasets/load.ts';
import { resourceColumns } from '../actions/datasets/write.ts';
import { packageDicts } from '../actions/datasets/present.ts';
import { diffPackages } from '../actions/history.ts';
import { indexSources, type SourceRow } from '../search/indexer.ts';
import type { ImportCandidate } from './action.ts';
import type { PlannedGroup } from './groups.ts';
import { insertRows, insertGroupsIfAbsent } from './write-batch.ts';
import { datasetColumns } from '../actions/datasets/write.ts';

/**
 * Writes accepted records the way saveDataset writes one dataset (rows, resources, groups,
 * history, audit, search), but with one multi-row insert per table for the whole batch.
 */
export async function writeImported(ctx: ActionContext, accepted: ImportCandidate[], planned: PlannedGroup[]): Promise<{ rows: DatasetRow[]; created: PlannedGroup[] }> {
  const std = currentStandard();
  const now = ctx.now;
  const audit: AuditEvent[] = [];

  const created = await createGroups(ctx, planned, accepted);
  for (const p of created) {
    const kind = p.isOrganization ? 'organization' : 'group';
    audit.push({ action: `${kind}_create`, object_type: kind, object_id: p.id, detail: { name: p.name, via: 'package_import' } });
  }

  const creator = userId(ctx.actor);
  const rows: DatasetRow[] = accepted.map((c) => {
    const v = c.v;
    return {
      ...datasetColumns(v, std, c.orgId, c.draft ? 'draft' : 'active', now),
      id: v.id ?? crypto.randomUUID(),
      creator_user_id: creator,
      metadata_created: c.created ?? now,
      version: 1,
      view_count: 0,
    };
  });
  await insertRows(ctx.db, 'datasets', rows);

  const resourceIds = new Set<string>();
  const wanted = accepted.flatMap((c) => c.resources.map((r) => r.id)).filter((id): id is string => !!id && UUID.test(id));
  const taken = wanted.length ? new Set((await ctx.db.selectFrom('resources').select('id').where('id', 'in', [...new Set(wanted.map((id) => id.toLowerCase()))]).execute()).map((r) => r.id)) : new Set<string>();
  const resources: ResourceRow[] = [];
  const links: Array<{ dataset_id: string; group_id: string }> = [];
  for (const [i, c] of accepted.entries()) {
    const datasetId = rows[i]!.id;
    for (const [position, r] of c.resources.entries()) {
      const own = r.id && UUID.test(r.id) ? r.id.toLowerCase() : undefined;
      const id = own && !taken.has(own) && !resourceIds.has(own) ? own : crypto.randomUUID();
      resourceIds.add(id);
      const created = (r as { created?: Date }).created;
      // The row as the database will hold it (its defaults included): the history snapshot and the
      // search row below are built from these instead of reading them back.
      resources.push({ ...resourceColumns(r, now), metadata: r.metadata, data_dictionary: r.data_dictionary ?? [], id, dataset_id: datasetId, position, created: created ?? now, state: 'active', storage_key: null });
    }
    for (const g of c.groups) links.push({ dataset_id: datasetId, group_id: g.id });
  }
  await insertRows(ctx.db, 'resources', resources);
  await insertRows(ctx.db, 'dataset_groups', links);

  // History snapshots exactly as package_show builds them, from the rows just written.
  const orgIds = [...new Set(rows.map((r) => r.owner_org).filter((x): x is string => !!x))];
  const orgs = orgIds.length ? await ctx.db.selectFrom('groups').selectAll().where('id', 'in', orgIds).execute() : [];
  const snapshots = await packageDicts(ctx, rows, { unrestricted: true, resources, orgs });
  const activity: object[] = [];
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
      data: { package: after },
      changes,
    });
    audit.push({
      action: 'package_create',
      object_type: 'dataset',
      object_id: row.id,
      detail: { name: row.name, version: 1, fields: changes.map((ch) => ch.field).slice(0, 200), via: 'package_import' },
    });
  }
  await insertRows(ctx.db, 'activity', activity);
  await indexSources(ctx.db, searchSources(rows, resources, links, orgs));
  await ctx.auditMany(audit);
  return { rows, created };
}

/** The facts indexDatasets would read back for these new datasets (see indexSources). */
function searchSources(rows: DatasetRow[], resources: ResourceRow[], links: Array<{ dataset_id: string; group_id: string }>, orgs: GroupRow[]): SourceRow[] {
  const orgById = new Map(orgs.map((o) => [o.id, o]));
  const resOf = new Map<string, ResourceRow[]>();
  for (const r of resources) (resOf.get(r.dataset_id) ?? resOf.set(r.dataset_id, []).get(r.dataset_id)!).push(r);
  const groupsOf = new Map<string, string[]>();
  for (const l of links) (groupsOf.get(l.dataset_id) ?? groupsOf.set(l.dataset_id, []).get(l.dataset_id)!).push(l.group_id);
  return rows.map((d) => {
    const res = (resOf.get(d.id) ?? []).sort((a, b) => a.position - b.position);
    const org = d.owner_org ? orgById.get(d.owner_org) : undefined;
    return {
      id: d.id,
      name: d.name,
      title: d.title,
      notes: d.notes,
      tags: d.tags,
      data_type: d.data_type,
      data_classification: d.data_classification,
      license_id: d.license_id,
      metadata: d.metadata,
      view_count: d.view_count,
      org_title: org?.title ?? null,
      org_name: org?.name ?? null,
      formats: [...new Set(res.map((r) => r.format.toUpperCase()).filter((f) => f !== ''))].sort(codeUnitOrder),
      res_text: res.flatMap((r) => [r.name, r.description]).filter((t) => t !== ''),
      group_ids: [...new Set(groupsOf.get(d.id) ?? [])].sort(codeUnitOrder),
      state: d.state,
      private: d.private,
      data_category: d.data_category,
      owner_org: d.owner_org,
      metadata_modified: d.metadata_modified,
      metadata_created: d.metadata_created,
    };
  });
}

/** The order of COLLATE "C", which loadSources uses for the same arrays. */
function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Creates the organisations and groups the batch needs. Another import running at the same time
 * may have just created one of them: then that one is used, and no second row is attempted.
 */
async function createGroups(ctx: ActionContext, planned: PlannedGroup[], accepted: ImportCandidate[]): Promise<PlannedGroup[]> {
  if (!planned.length) return [];
  // Sorted by name, so two imports creating the same names lock them in the same order.
  const sorted = [...planned].sort((a, b) => (a.name < b.name ? -1 : 1));
  const inserted = await insertGroupsIfAbsent(ctx.db, sorted.map((p) => ({ id: p.id, name: p.name, title: p.title, description: p.description, is_organization: p.isOrganization, extras: {}, created: ctx.now, modified: ctx.now })));
  const lost = sorted.filter((p) => !inserted.has(p.name));
  if (lost.length) {
    const found = await ctx.db.selectFrom('groups').selectAll().where('name', 'in', lost.map((p) => p.name)).execute();
    const moved = new Map<string, string>();
    for (const p of lost) {
      const g = found.find((f) => f.name === p.name);
      if (!g || g.is_organization !== p.isOrganization || g.state !== 'active') throw new Error(`"${p.name}" was created by someone else as a different kind of group while this batch was being written; import it again`);
      moved.set(p.id, g.id);
    }
    for (const c of accepted) {
      c.orgId = moved.get(c.orgId) ?? c.orgId;
      for (const g of c.groups) g.id = moved.get(g.id) ?? g.id;
    }
  }
  return sorted.filter((p) => inserted.has(p.name));
}

