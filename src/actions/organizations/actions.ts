import crypto from 'node:crypto';
import { TWO_FACTOR_ROLES } from '../../access/two-factor.ts';
import { afterTwoFactorPrivilege } from '../auth/credentials.ts';
import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { limitsOf } from '../../standard/limits.ts';
import { currentStandard } from '../../standard/index.ts';
import { readText, isImageUrl } from '../../standard/values.ts';
import { validateSlug } from '../../standard/validate.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { isRole, ROLE_PERMISSIONS } from '../../access/roles.ts';
import type { GroupRow } from '../../store/schema.ts';
import { findGroup, UUID } from '../datasets/load.ts';
import { groupDict, packageDicts } from '../datasets/present.ts';
import { boolParam, filterParam, readPaging, stringParam } from '../params.ts';
import { memberCreate, memberDelete } from './members.ts';
import { packageCounts } from './counts.ts';

/** One collator for every comparison: localeCompare with a locale builds one per call. */
const THAI_ORDER = new Intl.Collator('th');
import { agencyMarked, changeDuty, isGovernanceRole } from '../governance/duties.ts';

type Kind = 'organization' | 'group';
const GROUP_KEYS = new Set(['id', 'name', 'title', 'description', 'image_url', 'parent', 'groups', 'extras', 'state', 'type', 'is_organization', 'users', 'created', 'package_count', 'display_name', 'image_display_url', 'approval_status', 'packages', 'num_followers']);

const groupNotFound = (kind: Kind) => new NotFoundError({ th: kind === 'organization' ? 'ไม่พบหน่วยงาน' : 'ไม่พบกลุ่ม', en: `${kind === 'organization' ? 'Organization' : 'Group'} not found` });

/**
 * Loads a group the caller names. A deleted one the caller has no right to answers exactly as one
 * that never existed, so deleted names are not disclosed; an active one answers 403 when refused.
 */
async function requireGroup(ctx: ActionContext, input: Record<string, unknown>, kind: Kind, rule: string): Promise<GroupRow> {
  const ref = input.id ?? input.name;
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('id', M.missing());
  const g = await findGroup(ctx.db, ref.trim(), kind === 'organization');
  if (!g || (g.state !== 'active' && !ctx.can(rule, g))) {
    markAsked(ctx, rule);
    throw groupNotFound(kind);
  }
  ctx.authorize(rule, g);
  return g;
}

/** The policy was consulted even though the answer is a 404, not a 403. */
function markAsked(ctx: ActionContext, rule: string): void {
  try {
    ctx.authorize(rule, { id: '', state: 'deleted', is_organization: true });
  } catch {
    /* the answer is "not found" either way */
  }
}

/** Is the caller a member of this group (theme groups have members too, outside the actor's roles)? */
async function isMember(ctx: ActionContext, groupId: string): Promise<boolean> {
  if (ctx.actor.kind !== 'user') return false;
  const m = await ctx.db.selectFrom('memberships').select('user_id').where('group_id', '=', groupId).where('user_id', '=', ctx.actor.user.id).executeTakeFirst();
  return !!m;
}

interface GroupInput {
  name?: string;
  title?: string;
  description?: string;
  image_url?: string;
  parent_id?: string | null;
  extras?: Record<string, string>;
}

async function readGroupInput(ctx: ActionContext, input: Record<string, unknown>, kind: Kind, existing: GroupRow | null): Promise<GroupInput> {
  const bag = new ErrorBag();
  for (const k of Object.keys(input)) if (!GROUP_KEYS.has(k)) bag.add(k, M.unknownField());
  const out: GroupInput = {};
  if (input.name !== undefined || !existing) out.name = validateSlug(input.name, bag);
  if (input.name === undefined && !existing && !bag.has('name')) bag.add('name', M.missing());
  out.title = readText(input.title, 'title', bag, { max: 500, strict: true })?.trim();
  out.description = readText(input.description, 'description', bag, { max: 20000 });
  out.image_url = readText(input.image_url, 'image_url', bag, { max: 2000 })?.trim();
  if (out.image_url && !isImageUrl(out.image_url)) bag.add('image_url', M.imageUrl());
  // The hierarchy (ministry → department → division), as ckanext-hierarchy sends it: parent, or groups: [{name}].
  let parentRef: unknown = input.parent;
  if (parentRef === undefined && Array.isArray(input.groups) && kind === 'organization') parentRef = (input.groups[0] as Record<string, unknown> | undefined)?.name ?? '';
  if (parentRef !== undefined) {
    const ref = readText(parentRef, 'parent', bag, { max: 100 })?.trim();
    if (!ref) out.parent_id = null;
    else {
      const parent = await findGroup(ctx.db, ref, kind === 'organization');
      if (!parent || parent.state !== 'active') bag.add('parent', M.orgNotFound());
      else if (existing && (await isDescendant(ctx, parent.id, existing.id))) bag.add('parent', { th: 'ไม่สามารถเลือกหน่วยงานย่อยของตัวเองเป็นหน่วยงานแม่', en: 'An organization cannot sit below itself' });
      else out.parent_id = parent.id;
    }
  }
  if (out.name) {
    const clash = await ctx.db.selectFrom('groups').select('id').where('name', '=', out.name).executeTakeFirst();
    if (clash && clash.id !== existing?.id) bag.add('name', { th: 'ชื่อนี้ถูกใช้แล้ว', en: 'Group name already exists in database' });
  }
  if (input.extras !== undefined) {
    const max = limitsOf(currentStandard()).extras;
    if (!Array.isArray(input.extras)) bag.add('extras', M.badExtras());
    else if (input.extras.length > max) bag.add('extras', M.tooMany(max));
    else {
      out.extras = {};
      for (const e of input.extras) {
        const k = readText((e as Record<string, unknown>)?.key, 'extras', bag, { max: 100, strict: true });
        const v = readText((e as Record<string, unknown>)?.value ?? '', 'extras', bag, { max: 5000 });
        if (k && v !== undefined) out.extras[k] = v;
      }
    }
  }
  bag.throwIfAny();
  return out;
}

async function isDescendant(ctx: ActionContext, candidate: string, root: string): Promise<boolean> {
  if (candidate === root) return true;
  const r = await sql<{ id: string }>`
    WITH RECURSIVE tree(id) AS (SELECT id FROM groups WHERE parent_id = ${root} UNION SELECT g.id FROM groups g JOIN tree t ON g.parent_id = t.id)
    SELECT id FROM tree WHERE id = ${candidate}`.execute(ctx.db);
  return r.rows.length > 0;
}

async function groupShowDict(ctx: ActionContext, g: GroupRow, kind: Kind, input: Record<string, unknown>) {
  const counts = await packageCounts(ctx, kind, [g.id], boolParam(input, 'include_children', false));
  const parent = g.parent_id ? await ctx.db.selectFrom('groups').select(['id', 'name', 'title']).where('id', '=', g.parent_id).executeTakeFirst() : undefined;
  const children = await ctx.db.selectFrom('groups').select(['id', 'name', 'title']).where('parent_id', '=', g.id).where('state', '=', 'active').orderBy('title').execute();
  const dict = groupDict(g, {
    package_count: counts.get(g.id) ?? 0,
    extras: Object.entries(g.extras ?? {}).map(([key, value]) => ({ key, value })),
    parent: parent ?? null,
    groups: parent ? [{ name: parent.name, title: parent.title }] : [],
    children,
  });
  if (ctx.can('member_list', { ...g, object_type: 'user', member: g.is_organization ? false : await isMember(ctx, g.id) })) {
    const users = await ctx.db.selectFrom('memberships as m').innerJoin('users as u', 'u.id', 'm.user_id').select(['u.id', 'u.name', 'u.fullname', 'm.role as capacity']).where('m.group_id', '=', g.id).where('u.state', '=', 'active').orderBy('u.name').execute();
    dict.users = users.map((u) => ({ ...u, display_name: u.fullname || u.name }));
  }
  if (boolParam(input, 'include_datasets', false)) {
    const base = ctx.db.selectFrom('datasets as d').selectAll('d').where(visibleDatasets(ctx.actor, 'd'));
    const rows = await (kind === 'organization' ? base.where('d.owner_org', '=', g.id) : base.where('d.id', 'in', ctx.db.selectFrom('dataset_groups').select('dataset_id').where('group_id', '=', g.id)))
      .orderBy('d.metadata_modified', 'desc')
      .limit(10)
      .execute();
    dict.packages = await packageDicts(ctx, rows);
  }
  return dict;
}

function listAction(kind: Kind): ActionDef {
  return defineAction({
    name: `${kind}_list`,
    readOnly: true,
    summary: `Names of ${kind}s (or dicts with all_fields=true), sorted by title by default.`,
    params: {
      sort: { type: 'string', description: 'name | title | package_count, asc or desc' }, all_fields: { type: 'boolean', description: 'dicts instead of names' }, limit: { type: 'integer', description: 'page size' }, offset: { type: 'integer', description: 'start' },
      ...(kind === 'organization' ? { include_children: { type: 'boolean' as const, description: "package_count includes the organisations below (a ministry's departments)" } } : {}),
    },
    async run(ctx, input) {
      ctx.authorize(`${kind}_list`);
      const allFields = boolParam(input, 'all_fields', false);
      const { limit, offset } = readPaging(input, (allFields ? 25 : 1000), 1000);
      const sortRaw = (stringParam(input, 'sort') ?? 'title asc').trim().toLowerCase();
      const m = /^(name|title|package_count)(?:\s+(asc|desc))?$/.exec(sortRaw);
      if (!m) throw ValidationError.field('sort', M.notInList(sortRaw));
      let rows = await ctx.db.selectFrom('groups').selectAll().where('is_organization', '=', kind === 'organization').where('state', '=', 'active').execute();
      const counts = await packageCounts(ctx, kind, rows.map((r) => r.id), boolParam(input, 'include_children', false));
      const dir = m[2] === 'desc' ? -1 : 1;
      const key = m[1]!;
      rows = rows.sort((a, b) => {
        const va = key === 'package_count' ? (counts.get(a.id) ?? 0) : key === 'name' ? a.name : a.title || a.name;
        const vb = key === 'package_count' ? (counts.get(b.id) ?? 0) : key === 'name' ? b.name : b.title || b.name;
        return (typeof va === 'number' ? va - (vb as number) : THAI_ORDER.compare(String(va), String(vb))) * dir;
      });
      const page = rows.slice(offset, offset + limit);
      if (!allFields) return page.map((r) => r.name);
      return page.map((g) => groupDict(g, { package_count: counts.get(g.id) ?? 0, parent_id: g.parent_id }));
    },
  });
}

function showAction(kind: Kind): ActionDef {
  return defineAction({
    name: `${kind}_show`,
    readOnly: true,
    summary: `One ${kind} with its dataset count${kind === 'organization' ? ', parent and children' : ''}; include_datasets=true adds up to 10 datasets.`,
    params: {
      id: { type: 'string', description: 'id or name', required: true }, include_datasets: { type: 'boolean', description: 'add up to 10 datasets' },
      ...(kind === 'organization' ? { include_children: { type: 'boolean' as const, description: "package_count includes the organisations below (a ministry's departments)" } } : {}),
    },
    async run(ctx, input) {
      const g = await requireGroup(ctx, input, kind, `${kind}_show`);
      return groupShowDict(ctx, g, kind, input);
    },
  });
}

function createAction(kind: Kind): ActionDef {
  return defineAction({
    name: `${kind}_create`,
    readOnly: false,
    summary: `Create a${kind === 'organization' ? 'n organization (optionally below a parent)' : ' group (theme)'}.`,
    async run(ctx, input) {
      ctx.authorize(`${kind}_create`);
      const v = await readGroupInput(ctx, input, kind, null);
      const id = typeof input.id === 'string' && UUID.test(input.id) && !(await ctx.db.selectFrom('groups').select('id').where('id', '=', input.id).executeTakeFirst()) ? input.id.toLowerCase() : crypto.randomUUID();
      const row = await ctx.db
        .insertInto('groups')
        .values({ id, name: v.name!, title: v.title ?? v.name!, description: v.description ?? '', image_url: v.image_url ?? '', is_organization: kind === 'organization', parent_id: v.parent_id ?? null, extras: JSON.stringify(v.extras ?? {}), created: ctx.now, modified: ctx.now })
        .returningAll()
        .executeTakeFirstOrThrow();
      // CKAN makes the creator an admin of a new organisation.
      if (kind === 'organization' && ctx.actor.kind === 'user') await ctx.db.insertInto('memberships').values({ group_id: row.id, user_id: ctx.actor.user.id, role: 'admin', created: ctx.now }).execute();
      await ctx.audit({ action: `${kind}_create`, object_type: kind, object_id: row.id, detail: { name: row.name } });
      return groupShowDict(ctx, row, kind, {});
    },
  });
}

function updateAction(kind: Kind, patch: boolean): ActionDef {
  const name = `${kind}_${patch ? 'patch' : 'update'}`;
  return defineAction({
    name,
    readOnly: false,
    summary: `Change a${kind === 'organization' ? 'n organization' : ' group'}'s name, title, description, image${kind === 'organization' ? ' or parent' : ''}.`,
    async run(ctx, input) {
      const g = await requireGroup(ctx, input, kind, `${kind}_update`);
      const { id: _id, ...rest } = input;
      const v = await readGroupInput(ctx, rest, kind, g);
      if (kind === 'organization' && v.parent_id !== undefined && v.parent_id !== g.parent_id) ctx.authorize('organization_reparent', { from: g.parent_id, to: v.parent_id });
      // Marking an organisation as an agency (or clearing it) moves where agency duties are given: not the organisation's own admins' call.
      if (kind === 'organization' && v.extras !== undefined && agencyMarked(v.extras) !== agencyMarked(g.extras)) ctx.authorize('organization_mark_agency', { id: g.id });
      const row = await ctx.db
        .updateTable('groups')
        .set({
          name: v.name ?? g.name,
          title: v.title ?? (patch ? g.title : v.name ?? g.name),
          description: v.description ?? (patch ? g.description : ''),
          image_url: v.image_url ?? (patch ? g.image_url : ''),
          parent_id: v.parent_id !== undefined ? v.parent_id : g.parent_id,
          extras: JSON.stringify(v.extras ?? g.extras ?? {}),
          modified: ctx.now,
        })
        .where('id', '=', g.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await ctx.audit({ action: name, object_type: kind, object_id: row.id, detail: { name: row.name } });
      return groupShowDict(ctx, row, kind, {});
    },
  });
}

function deleteAction(kind: Kind): ActionDef {
  return defineAction({
    name: `${kind}_delete`,
    readOnly: false,
    summary: `Delete a${kind === 'organization' ? 'n organization that has no active datasets' : ' group'}.`,
    async run(ctx, input) {
      const g = await requireGroup(ctx, input, kind, `${kind}_delete`);
      if (kind === 'organization') {
        const n = await ctx.db.selectFrom('datasets').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_org', '=', g.id).where('state', '<>', 'deleted').executeTakeFirst();
        if (Number(n?.n ?? 0) > 0) throw ValidationError.field('id', { th: 'หน่วยงานนี้ยังมีชุดข้อมูลอยู่ ต้องย้ายหรือลบชุดข้อมูลก่อน', en: 'Organization cannot be deleted while it still has datasets' });
      } else {
        await ctx.db.deleteFrom('dataset_groups').where('group_id', '=', g.id).execute();
      }
      await ctx.db.updateTable('groups').set({ state: 'deleted', modified: ctx.now }).where('id', '=', g.id).execute();
      await ctx.audit({ action: `${kind}_delete`, object_type: kind, object_id: g.id, detail: { name: g.name } });
      return null;
    },
  });
}

async function resolveUser(ctx: ActionContext, ref: unknown) {
  if (typeof ref !== 'string' || !ref) throw ValidationError.field('username', M.missing());
  const q = ctx.db.selectFrom('users').select(['id', 'name']).where('state', '<>', 'deleted');
  const u = await (UUID.test(ref) ? q.where('id', '=', ref) : q.where('name', '=', ref)).executeTakeFirst();
  if (!u) throw ValidationError.field('username', { th: 'ไม่พบผู้ใช้', en: 'User not found' });
  return u;
}

export const organizationMemberCreate = defineAction({
  name: 'organization_member_create',
  readOnly: false,
  summary: 'Add a user to an organization, or change their role (admin, editor, member).',
  async run(ctx, input) {
    const g = await requireGroup(ctx, input, 'organization', 'organization_member_create');
    const user = await resolveUser(ctx, input.username ?? input.user);
    const role = String(input.role ?? input.capacity ?? 'member');
    // A governance duty (data_owner, cdo, …) is a row beside the catalog capacity, which stays as it is.
    if (isGovernanceRole(role)) return changeDuty(ctx, g, user, role, 'add', 'organization_member_create');
    if (!isRole(role)) throw ValidationError.field('role', M.notInList(role));
    await ctx.db.insertInto('memberships').values({ group_id: g.id, user_id: user.id, role, created: ctx.now }).onConflict((oc) => oc.columns(['group_id', 'user_id']).doUpdateSet({ role })).execute();
    await ctx.audit({ action: 'organization_member_create', object_type: 'organization', object_id: g.id, detail: { user: user.name, role } });
    if (TWO_FACTOR_ROLES.includes(role)) await afterTwoFactorPrivilege(ctx, user.id, `role ${role}`);
    return { group_id: g.id, table_id: user.id, table_name: 'user', capacity: role, state: 'active' };
  },
});

export const organizationMemberDelete = defineAction({
  name: 'organization_member_delete',
  readOnly: false,
  summary: 'Remove a user from an organization.',
  async run(ctx, input) {
    const g = await requireGroup(ctx, input, 'organization', 'organization_member_delete');
    const user = await resolveUser(ctx, input.username ?? input.user);
    const duty = input.role ?? input.capacity;
    if (typeof duty === 'string' && isGovernanceRole(duty)) return changeDuty(ctx, g, user, duty, 'remove', 'organization_member_delete');
    await ctx.db.deleteFrom('memberships').where('group_id', '=', g.id).where('user_id', '=', user.id).execute();
    await ctx.audit({ action: 'organization_member_delete', object_type: 'organization', object_id: g.id, detail: { user: user.name } });
    return null;
  },
});

export const memberList = defineAction({
  name: 'member_list',
  readOnly: true,
  summary: 'Members of an organization or group as [id, type, capacity] triples; object_type=package lists a group\'s datasets the caller may see.',
  async run(ctx, input) {
    const ref = input.id;
    if (typeof ref !== 'string' || !ref) throw ValidationError.field('id', M.missing());
    const g = (await findGroup(ctx.db, ref, true)) ?? (await findGroup(ctx.db, ref, false));
    const objectType = input.object_type ?? 'user';
    const subject = g ? { ...g, object_type: String(objectType), member: g.is_organization ? false : await isMember(ctx, g.id) } : undefined;
    // Deleted groups answer as unknown ones; an active group refused is a 403 (its name is public).
    if (!g || !subject || (g.state !== 'active' && !ctx.can('member_list', subject))) {
      markAsked(ctx, 'member_list');
      throw new NotFoundError({ th: 'ไม่พบกลุ่ม', en: 'Group not found' });
    }
    ctx.authorize('member_list', subject);
    if (objectType === 'package') {
      const q = ctx.db.selectFrom('datasets as d').select('d.id').where(visibleDatasets(ctx.actor, 'd'));
      const rows = await (g.is_organization ? q.where('d.owner_org', '=', g.id) : q.where('d.id', 'in', ctx.db.selectFrom('dataset_groups').select('dataset_id').where('group_id', '=', g.id))).execute();
      return rows.map((r) => [r.id, 'package', 'public']);
    }
    if (objectType !== 'user') throw ValidationError.field('object_type', M.notInList(String(objectType)));
    const capacity = filterParam(input, 'capacity');
    const rows = await ctx.db.selectFrom('memberships').select(['user_id', 'role']).where('group_id', '=', g.id).$if(capacity !== undefined, (q) => q.where('role', '=', capacity!)).execute();
    return rows.map((r) => [r.user_id, 'user', r.role]);
  },
});

export const organizationListForUser = defineAction({
  name: 'organization_list_for_user',
  readOnly: true,
  summary: 'Organizations where the caller (or a named user, for sysadmins) holds a permission (default manage_group).',
  async run(ctx, input) {
    ctx.authorize('organization_list_for_user');
    const permission = String(input.permission ?? 'manage_group');
    if (ctx.actor.kind === 'system' || (ctx.actor.kind === 'user' && ctx.actor.user.sysadmin)) {
      const rows = await ctx.db.selectFrom('groups').selectAll().where('is_organization', '=', true).where('state', '=', 'active').orderBy('title').execute();
      return rows.map((g) => groupDict(g, { capacity: 'admin' }));
    }
    if (ctx.actor.kind !== 'user') return [];
    const ids = [...ctx.actor.roles.entries()].filter(([, role]) => (ROLE_PERMISSIONS[role] ?? []).includes(permission as never)).map(([id]) => id);
    if (!ids.length) return [];
    const rows = await ctx.db.selectFrom('groups').selectAll().where('id', 'in', ids).where('state', '=', 'active').orderBy('title').execute();
    const roles = ctx.actor.roles;
    return rows.map((g) => groupDict(g, { capacity: roles.get(g.id) }));
  },
});

export const organizationActions: ActionDef[] = [
  listAction('organization'), showAction('organization'), createAction('organization'), updateAction('organization', false), updateAction('organization', true), deleteAction('organization'),
  listAction('group'), showAction('group'), createAction('group'), updateAction('group', false), updateAction('group', true), deleteAction('group'),
  organizationMemberCreate, organizationMemberDelete, memberList, organizationListForUser, memberCreate, memberDelete,
];
