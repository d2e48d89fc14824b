import type { ActionContext } from '../context.ts';
import type { DatasetRow, GroupRow, ResourceRow } from '../../store/schema.ts';
import { currentStandard, getStandard } from '../../standard/index.ts';
import { flagOut } from '../../standard/values.ts';
import { ckanTime } from '../../util/time.ts';
import type { DatasetSubject } from '../../policies/dataset.ts';
import { tagId } from '../tags.ts';
import { licenseFor } from '../licenses.ts';
import { grantUsable } from '../../access/grants.ts';
import { presentedUrlType } from '../ckan/links.ts';
import { emptyDatasetKeys, emptyResourceKeys } from '../ckan/shape.ts';
import { noteRead } from '../disclosure.ts';

export type PackageDict = Record<string, unknown>;

export function groupDict(g: GroupRow, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    title: g.title,
    display_name: g.title || g.name,
    description: g.description,
    image_url: g.image_url,
    image_display_url: g.image_url,
    type: g.is_organization ? 'organization' : 'group',
    is_organization: g.is_organization,
    approval_status: 'approved',
    state: g.state,
    created: ckanTime(g.created),
    ...extra,
  };
}

export interface ResourceView {
  /** Show the file link (false for shared data without a grant). */
  files: boolean;
  /** Show resources marked resource_private (editors only, as thai_gdc does). */
  privateResources: boolean;
  /** Every key of the schema, empty ones as null or [] (callers); history snapshots keep only what is set. */
  complete?: boolean;
}

export function resourceDict(ctx: Pick<ActionContext, 'services'>, r: ResourceRow, view: ResourceView): Record<string, unknown> | null {
  const meta = r.metadata ?? {};
  if (meta.resource_private === true && !view.privateResources) return null;
  const std = currentStandard();
  const out: Record<string, unknown> = {
    id: r.id,
    package_id: r.dataset_id,
    position: r.position,
    name: r.name,
    description: r.description,
    format: r.format,
    url: r.url,
    url_type: presentedUrlType(r),
    mimetype: r.mimetype,
    size: r.size,
    hash: r.hash,
    state: r.state,
    created: ckanTime(r.created),
    last_modified: ckanTime(r.last_modified),
    metadata_modified: ckanTime(r.metadata_modified),
    datastore_active: false,
  };
  if (r.storage_key) {
    out.url = `${ctx.services.config.siteUrl}/dataset/${r.dataset_id}/resource/${r.id}/download/${encodeURIComponent(r.url || 'file')}`;
  }
  for (const [k, v] of Object.entries(meta)) {
    if (k === '__extras') {
      for (const [ek, ev] of Object.entries(v as Record<string, string>)) if (!(ek in out)) out[ek] = ev;
      continue;
    }
    const f = std.resourceFields.get(k);
    out[k] = f?.type === 'flag' ? flagOut(v) : v;
  }
  out.data_dictionary = r.data_dictionary ?? [];
  if (view.complete !== false) for (const [k, v] of emptyResourceKeys(std)) if (!(k in out)) out[k] = v;
  if (!view.files) {
    out.url = '';
    out.url_restricted = true;
  }
  return out;
}

export interface PresentOptions {
  /** Activity snapshots are taken as the system sees the dataset; callers get the restricted view later. */
  unrestricted?: boolean;
  /**
   * The datasets' active resources, when the caller has just written them (a bulk import): the
   * snapshot is built from them instead of reading back thousands of rows it holds already.
   */
  resources?: ResourceRow[];
  /** The datasets' organisations, when the caller holds them already. */
  orgs?: GroupRow[];
}

/**
 * Builds CKAN package dicts for many datasets with a fixed number of queries (organisations,
 * groups, resources, file grants), so a search page costs the same whether it shows 1 or 1000.
 */
export async function packageDicts(ctx: ActionContext, rows: DatasetRow[], opts: PresentOptions = {}): Promise<PackageDict[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const orgIds = [...new Set(rows.map((r) => r.owner_org).filter((x): x is string => !!x))];
  const [orgs, groupLinks, resources, grants] = await Promise.all([
    opts.orgs ?? (orgIds.length ? ctx.db.selectFrom('groups').selectAll().where('id', 'in', orgIds).execute() : []),
    ctx.db
      .selectFrom('dataset_groups as dg')
      .innerJoin('groups as g', 'g.id', 'dg.group_id')
      .selectAll('g')
      .select('dg.dataset_id')
      .where('dg.dataset_id', 'in', ids)
      .where('g.state', '=', 'active')
      .orderBy('g.title')
      .execute(),
    opts.resources ?? ctx.db.selectFrom('resources').selectAll().where('dataset_id', 'in', ids).where('state', '=', 'active').orderBy('position').execute(),
    // The unrestricted view shows files whatever the grants: no need to ask.
    opts.unrestricted ? new Set<string>() : fileGrants(ctx, ids),
  ]);
  const orgById = new Map(orgs.map((o) => [o.id, o]));
  const resourcesOf = groupBy(resources, (r) => r.dataset_id);
  const groupsOf = groupBy(groupLinks, (g) => g.dataset_id);
  const out: PackageDict[] = [];
  for (const row of rows) {
    // Internal snapshots (unrestricted) are not shown to anyone; what the caller receives is noted.
    if (!opts.unrestricted) noteRead(ctx, row, 'metadata');
    const subject: DatasetSubject = { ...row, visible: true, fileGrant: grants.has(row.id) };
    const view: ResourceView = opts.unrestricted
      ? { files: true, privateResources: true, complete: false }
      : { files: ctx.can('dataset_files', subject), privateResources: ctx.can('package_update', subject) };
    const org = row.owner_org ? orgById.get(row.owner_org) : undefined;
    const res = (resourcesOf.get(row.id) ?? []).map((r) => resourceDict(ctx, r, view)).filter((r) => r !== null);
    const groups = (groupsOf.get(row.id) ?? []).map(({ dataset_id: _d, ...g }) => groupDict(g as GroupRow));
    const dict = packageDict(row, org, groups, res, view);
    if (view.complete !== false) completeDict(dict, row);
    // Who created the entry is staff information: colleagues of the organisation only.
    if (!opts.unrestricted && !ctx.can('staff_identities', { orgs: [row.owner_org] })) dict.creator_user_id = null;
    out.push(dict);
  }
  return out;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function packageDict(row: DatasetRow, org: GroupRow | undefined, groups: unknown[], resources: unknown[], view: ResourceView): PackageDict {
  const std = getStandard(row.standard_id, row.standard_version) ?? currentStandard();
  const meta = { ...(row.metadata ?? {}) };
  const extras = (meta.__extras ?? {}) as Record<string, string>;
  delete meta.__extras;
  const license = licenseFor(row.license_id);
  const dict: PackageDict = {
    id: row.id,
    name: row.name,
    title: row.title,
    type: row.type,
    state: row.state,
    private: row.private,
    owner_org: row.owner_org,
    notes: row.notes,
    author: meta.author ?? null,
    author_email: meta.author_email ?? null,
    version: meta.version ?? null,
    creator_user_id: row.creator_user_id,
    metadata_created: ckanTime(row.metadata_created),
    metadata_modified: ckanTime(row.metadata_modified),
    license_id: row.license_id,
    license_title: license?.title ?? row.license_id,
    license_url: license?.url ?? '',
    isopen: license?.od_conformance === 'approved' && row.data_category === std.rules.public_category,
    data_type: row.data_type,
    data_category: row.data_category,
    data_classification: row.data_classification,
    allow_harvest: flagOut(row.allow_harvest),
  };
  delete meta.author;
  delete meta.author_email;
  delete meta.version;
  for (const [k, v] of Object.entries(meta)) {
    const f = std.datasetFields.get(k);
    dict[k] = f?.type === 'flag' ? flagOut(v) : v;
  }
  dict.tags = row.tags.map((t) => ({ id: tagId(t), name: t, display_name: t, state: 'active', vocabulary_id: null }));
  dict.num_tags = row.tags.length;
  dict.groups = groups;
  dict.organization = org ? groupDict(org) : null;
  dict.resources = resources;
  dict.num_resources = resources.length;
  dict.extras = Object.entries(extras).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));
  dict.relationships_as_object = [];
  dict.relationships_as_subject = [];
  dict.metadata_standard = { id: row.standard_id, version: row.standard_version };
  dict.access = { files: view.files, open_data: row.data_category === std.rules.public_category && row.data_classification === std.rules.open_level && !row.private };
  return dict;
}

/** CKAN clients index keys: every field of the standard is present, empty ones as null or []. */
function completeDict(dict: PackageDict, row: DatasetRow): void {
  const std = getStandard(row.standard_id, row.standard_version) ?? currentStandard();
  for (const [k, v] of emptyDatasetKeys(std)) if (!(k in dict)) dict[k] = v;
}

async function fileGrants(ctx: ActionContext, ids: string[]): Promise<Set<string>> {
  if (ctx.actor.kind !== 'user') return new Set();
  const orgs = [...ctx.actor.roles.keys()];
  const me = ctx.actor.user.id;
  const rows = await ctx.db
    .selectFrom('dataset_grants as gr')
    .select('dataset_id')
    .where('dataset_id', 'in', ids)
    .where('scope', '=', 'files')
    .where(grantUsable('gr'))
    .where((eb) => (orgs.length ? eb.or([eb('grantee_user_id', '=', me), eb('grantee_org_id', 'in', orgs)]) : eb('grantee_user_id', '=', me)))
    .execute();
  return new Set(rows.map((r) => r.dataset_id));
}
