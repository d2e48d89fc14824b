import { sql } from 'kysely';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { requireDataset, UUID } from '../datasets/load.ts';
import { stringParam } from '../params.ts';
import { ckanTime } from '../../util/time.ts';

const CAPACITIES = ['editor', 'member'];

async function findUser(ctx: ActionContext, input: Record<string, unknown>): Promise<{ id: string; name: string }> {
  const ref = stringParam(input, 'user_id')?.trim();
  if (!ref) throw ValidationError.field('user_id', M.missing());
  const u = await ctx.db
    .selectFrom('users')
    .select(['id', 'name'])
    .where((eb) => (UUID.test(ref) ? eb.or([eb('id', '=', ref.toLowerCase()), eb('name', '=', ref)]) : eb('name', '=', ref)))
    .where(sql<boolean>`state = 'active'`)
    .executeTakeFirst();
  if (!u) throw ValidationError.field('user_id', { th: 'ไม่พบผู้ใช้', en: 'User not found' });
  return u;
}

export const packageCollaboratorCreate = defineAction({
  name: 'package_collaborator_create',
  readOnly: false,
  summary: 'Give a user a right on one dataset: "member" sees it, "editor" also sees its drafts. Changing the capacity of a collaborator updates it.',
  params: {
    id: { type: 'string', description: 'dataset id or name', required: true },
    user_id: { type: 'string', description: 'user id or name', required: true },
    capacity: { type: 'string', description: '"editor" or "member"', required: true },
  },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'package_collaborator_create');
    const capacity = stringParam(input, 'capacity') ?? '';
    if (!CAPACITIES.includes(capacity)) throw ValidationError.field('capacity', M.notInList(capacity));
    const user = await findUser(ctx, input);
    const by = ctx.actor.kind === 'user' ? ctx.actor.user.id : null;
    await ctx.db
      .insertInto('dataset_collaborators')
      .values({ dataset_id: row.id, user_id: user.id, capacity, created: ctx.now, created_by: by })
      .onConflict((oc) => oc.columns(['dataset_id', 'user_id']).doUpdateSet({ capacity, created: ctx.now, created_by: by }))
      .execute();
    await ctx.audit({ action: 'package_collaborator_create', object_type: 'dataset', object_id: row.id, detail: { user: user.id, capacity } });
    return { package_id: row.id, user_id: user.id, capacity, modified: ckanTime(ctx.now) };
  },
});

export const packageCollaboratorDelete = defineAction({
  name: 'package_collaborator_delete',
  readOnly: false,
  summary: "Remove a user's collaborator right on a dataset.",
  params: { id: { type: 'string', description: 'dataset id or name', required: true }, user_id: { type: 'string', description: 'user id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'package_collaborator_delete');
    const user = await findUser(ctx, input);
    const gone = await ctx.db.deleteFrom('dataset_collaborators').where('dataset_id', '=', row.id).where('user_id', '=', user.id).executeTakeFirst();
    if (!Number(gone.numDeletedRows)) throw ValidationError.field('user_id', { th: 'ผู้ใช้นี้ไม่ได้เป็นผู้ร่วมงานของชุดข้อมูลนี้', en: 'User is not a collaborator on this dataset' });
    await ctx.audit({ action: 'package_collaborator_delete', object_type: 'dataset', object_id: row.id, detail: { user: user.id } });
    return null;
  },
});

export const packageCollaboratorList = defineAction({
  name: 'package_collaborator_list',
  readOnly: true,
  summary: "A dataset's collaborators: [{package_id, user_id, capacity, modified}] (staff information: the organisation's admins and sysadmins).",
  params: { id: { type: 'string', description: 'dataset id or name', required: true }, capacity: { type: 'string', description: 'only "editor" or only "member"' } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'package_collaborator_list');
    const capacity = stringParam(input, 'capacity');
    if (capacity !== undefined && !CAPACITIES.includes(capacity)) throw ValidationError.field('capacity', M.notInList(capacity));
    const rows = await ctx.db
      .selectFrom('dataset_collaborators')
      .selectAll()
      .where('dataset_id', '=', row.id)
      .$if(capacity !== undefined, (q) => q.where('capacity', '=', capacity!))
      .orderBy('created')
      .execute();
    return rows.map((c) => ({ package_id: c.dataset_id, user_id: c.user_id, capacity: c.capacity, modified: ckanTime(c.created) }));
  },
});
