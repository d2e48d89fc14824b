import { sql } from 'kysely';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { ROLE_LABELS, ROLE_PERMISSIONS } from '../../access/roles.ts';
import { isSysadmin, orgsWith } from '../../access/actor.ts';
import { naturalNumber, stringParam } from '../params.ts';
import { findGroup } from '../datasets/load.ts';
import { packageDicts, resourceDict } from '../datasets/present.ts';
import { datasetSubject } from '../datasets/load.ts';
import type { DatasetRow } from '../../store/schema.ts';

/** LIKE pattern for a caller's text: %, _ and \ match themselves. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function limitParam(input: Record<string, unknown>, fallback: number, max: number): number {
  return Math.min(naturalNumber(input, 'limit') ?? fallback, max);
}

export const formatAutocomplete = defineAction({
  name: 'format_autocomplete',
  readOnly: true,
  summary: 'Resource formats in use that contain q, most used first (CKAN returns them lower-case).',
  params: { q: { type: 'string', description: 'part of a format, e.g. "cs"', required: true }, limit: { type: 'integer', description: 'at most 100 (default 5)' } },
  async run(ctx, input) {
    ctx.authorize('format_autocomplete');
    const q = (stringParam(input, 'q') ?? '').trim().toLowerCase();
    if (!q) throw ValidationError.field('q', M.missing());
    const rows = await ctx.db
      .selectFrom('resources as r')
      .innerJoin('datasets as d', 'd.id', 'r.dataset_id')
      .select([sql<string>`lower(r.format)`.as('format'), sql<number>`count(*)`.as('n')])
      .where('r.state', '=', 'active')
      .where(sql<boolean>`lower(r.format) LIKE ${containsPattern(q)}`)
      .where(visibleDatasets(ctx.actor, 'd'))
      .groupBy(sql`lower(r.format)`)
      .orderBy(sql`count(*)`, 'desc')
      .orderBy(sql`lower(r.format)`)
      .limit(limitParam(input, 5, 100))
      .execute();
    return rows.map((r) => r.format);
  },
});

export const organizationAutocomplete = defineAction({
  name: 'organization_autocomplete',
  readOnly: true,
  summary: 'Active organisations whose name or title contains q: [{id, name, title}].',
  params: { q: { type: 'string', description: 'part of a name or title', required: true }, limit: { type: 'integer', description: 'at most 100 (default 20)' } },
  async run(ctx, input) {
    ctx.authorize('organization_autocomplete');
    const q = (stringParam(input, 'q') ?? '').trim();
    if (!q) throw ValidationError.field('q', M.missing());
    const p = containsPattern(q.toLowerCase());
    const rows = await ctx.db
      .selectFrom('groups')
      .select(['id', 'name', 'title'])
      .where('is_organization', '=', true)
      .where('state', '=', 'active')
      .where((eb) => eb.or([eb(sql`lower(name)`, 'like', p), eb(sql`lower(title)`, 'like', p)]))
      .orderBy('title')
      .limit(limitParam(input, 20, 100))
      .execute();
    return rows.map((g) => ({ id: g.id, name: g.name, title: g.title }));
  },
});

export const memberRolesList = defineAction({
  name: 'member_roles_list',
  readOnly: true,
  summary: 'The roles a member may hold in an organisation (or a group): [{value, text}].',
  params: { group_type: { type: 'string', description: '"organization" (default) or "group"' } },
  async run(ctx, input) {
    ctx.authorize('member_roles_list');
    const type = stringParam(input, 'group_type') ?? 'organization';
    if (type !== 'organization' && type !== 'group') throw ValidationError.field('group_type', M.notInList(type));
    // Theme groups have no editors in CKAN: admins and members only.
    const roles = Object.keys(ROLE_PERMISSIONS).filter((r) => type === 'organization' || r !== 'editor');
    return roles.map((value) => ({ value, text: ROLE_LABELS[value]?.[ctx.lang] ?? value }));
  },
});

export const vocabularyList = defineAction({
  name: 'vocabulary_list',
  readOnly: true,
  summary: 'Tag vocabularies. The national standard keeps its code lists in standard_show, so this list is empty.',
  async run(ctx) {
    ctx.authorize('vocabulary_list');
    return [];
  },
});

export const currentPackageListWithResources = defineAction({
  name: 'current_package_list_with_resources',
  readOnly: true,
  summary: 'Datasets the caller may see, most recently changed first, as full package dicts with their resources.',
  params: { limit: { type: 'integer', description: 'page size, at most 1000 (default 100)' }, offset: { type: 'integer', description: 'start' }, page: { type: 'integer', description: 'page number (1-based; with limit)' } },
  async run(ctx, input) {
    ctx.authorize('current_package_list_with_resources');
    const limit = limitParam(input, 100, 1000);
    const page = naturalNumber(input, 'page');
    if (page === 0) throw ValidationError.field('page', M.range(1, 2147483647));
    const offset = page !== undefined ? (page - 1) * limit : (naturalNumber(input, 'offset') ?? 0);
    const rows = await ctx.db
      .selectFrom('datasets as d')
      .selectAll('d')
      .where(visibleDatasets(ctx.actor, 'd'))
      .orderBy('d.metadata_modified', 'desc')
      .orderBy('d.id')
      .limit(limit)
      .offset(offset)
      .execute();
    return packageDicts(ctx, rows as DatasetRow[]);
  },
});

export const groupPackageShow = defineAction({
  name: 'group_package_show',
  readOnly: true,
  summary: 'Datasets of a theme group (or organisation) that the caller may see, newest change first.',
  params: { id: { type: 'string', description: 'group id or name', required: true }, limit: { type: 'integer', description: 'at most 1000' } },
  async run(ctx, input) {
    const ref = stringParam(input, 'id')?.trim();
    const g = ref ? ((await findGroup(ctx.db, ref, false)) ?? (await findGroup(ctx.db, ref, true))) : undefined;
    ctx.authorize('group_package_show', g ?? { state: 'active' }); // a missing group is a 404, not a 403
    if (!ref) throw ValidationError.field('id', M.missing());
    if (!g) throw new NotFoundError();
    const limit = limitParam(input, 1000, 1000);
    const q = ctx.db.selectFrom('datasets as d').selectAll('d').where(visibleDatasets(ctx.actor, 'd'));
    const rows = await (g.is_organization
      ? q.where('d.owner_org', '=', g.id)
      : q.where((eb) => eb.exists(eb.selectFrom('dataset_groups as dg').select('dg.dataset_id').whereRef('dg.dataset_id', '=', 'd.id').where('dg.group_id', '=', g.id)))
    )
      .orderBy('d.metadata_modified', 'desc')
      .limit(limit)
      .execute();
    return packageDicts(ctx, rows as DatasetRow[]);
  },
});

/** Resource columns resource_search may match; other fields are read from the resource's metadata. */
const RESOURCE_COLUMNS = new Set(['name', 'description', 'format', 'url', 'mimetype', 'hash', 'url_type']);
const FIELD = /^[a-z][a-z0-9_]{0,63}$/;

function readQueries(input: Record<string, unknown>): Array<[string, string]> {
  let raw = input.query;
  if (typeof raw === 'string') raw = [raw];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 20) throw ValidationError.field('query', M.missing());
  return raw.map((q) => {
    if (typeof q !== 'string') throw ValidationError.field('query', M.notString());
    const i = q.indexOf(':');
    const field = i > 0 ? q.slice(0, i).trim() : '';
    const term = i > 0 ? q.slice(i + 1).trim() : '';
    if (!FIELD.test(field) || !term) throw ValidationError.field('query', { th: `ต้องอยู่ในรูป field:term เช่น format:csv ("${q.slice(0, 80)}")`, en: `Must be of the form field:term, e.g. format:csv ("${q.slice(0, 80)}")` });
    return [field, term];
  });
}

export const resourceSearch = defineAction({
  name: 'resource_search',
  readOnly: true,
  summary: 'Resources whose fields contain the given terms (query "field:term", several are ANDed), of datasets the caller may see: {count, results}.',
  params: {
    query: { type: 'string', description: '"field:term" or a list of them, e.g. ["format:csv", "name:แรงงาน"] (case-insensitive contains)', required: true },
    order_by: { type: 'string', description: 'a resource field to sort by (default position within the dataset)' },
    offset: { type: 'integer', description: 'start' },
    limit: { type: 'integer', description: 'at most 1000 (default 100)' },
  },
  async run(ctx, input) {
    ctx.authorize('resource_search');
    const queries = readQueries(input);
    const orderBy = stringParam(input, 'order_by');
    if (orderBy !== undefined && !RESOURCE_COLUMNS.has(orderBy) && orderBy !== 'created' && orderBy !== 'last_modified') throw ValidationError.field('order_by', M.notInList(orderBy));
    const col = (f: string) => (RESOURCE_COLUMNS.has(f) ? sql`coalesce(r.${sql.ref(f)}, '')` : f === 'id' || f === 'package_id' ? sql`r.${sql.ref(f === 'id' ? 'id' : 'dataset_id')}::text` : sql`coalesce(r.metadata->>${f}, '')`);
    let q = ctx.db
      .selectFrom('resources as r')
      .innerJoin('datasets as d', 'd.id', 'r.dataset_id')
      .where('r.state', '=', 'active')
      .where(visibleDatasets(ctx.actor, 'd'))
      // Resources marked private (thai_gdc) are for those who may edit the dataset: left out of search for everyone else.
      .where(sql<boolean>`(coalesce(r.metadata->>'resource_private', '') <> 'true' OR ${privateResourcesOk(ctx)})`);
    for (const [field, term] of queries) q = q.where(sql<boolean>`lower(${col(field)}) LIKE ${containsPattern(term.toLowerCase())}`);
    const count = await q.select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    const rows = await q
      .selectAll('r')
      .orderBy(orderBy ? sql`r.${sql.ref(orderBy)}` : sql`r.dataset_id`)
      .orderBy('r.position')
      .limit(limitParam(input, 100, 1000))
      .offset(naturalNumber(input, 'offset') ?? 0)
      .execute();
    const subjects = new Map<string, Awaited<ReturnType<typeof datasetSubject>>>();
    const results: unknown[] = [];
    for (const r of rows) {
      let s = subjects.get(r.dataset_id);
      if (!s) {
        const d = await ctx.db.selectFrom('datasets').selectAll().where('id', '=', r.dataset_id).executeTakeFirstOrThrow();
        s = await datasetSubject(ctx, d);
        subjects.set(r.dataset_id, s);
      }
      const dict = resourceDict(ctx, r, { files: ctx.can('dataset_files', s), privateResources: ctx.can('package_update', s) });
      if (dict) results.push(dict);
    }
    return { count: Number(count?.n ?? 0), results };
  },
});

/** resource_private entries are shown to those who may edit the dataset (sysadmins, the organisation's editors). */
function privateResourcesOk(ctx: ActionContext) {
  if (isSysadmin(ctx.actor)) return sql<boolean>`TRUE`;
  return sql<boolean>`d.owner_org = ANY(${orgsWith(ctx.actor, 'update_dataset')}::uuid[])`;
}
