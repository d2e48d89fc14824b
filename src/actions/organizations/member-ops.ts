import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { limitsOf } from '../../standard/limits.ts';
import { currentStandard } from '../../standard/index.ts';
import { isRole } from '../../access/roles.ts';
import { TWO_FACTOR_ROLES } from '../../access/two-factor.ts';
import { afterTwoFactorPrivilege } from '../auth/credentials.ts';
import { findDataset, findGroup, requireDataset, UUID } from '../datasets/load.ts';
import { packageDicts } from '../datasets/present.ts';
import { afterDatasetWrite, bumpDataset } from '../datasets/write.ts';
import { changeDuty, isGovernanceRole } from '../governance/duties.ts';

export async function runMember(ctx: ActionContext, input: Record<string, unknown>, op: 'add' | 'remove'): Promise<unknown> {
  ctx.authorize(op === 'add' ? 'member_create' : 'member_delete');
  const ref = input.id;
  const objectType = input.object_type;
  if (typeof ref !== 'string' || !ref) throw ValidationError.field('id', M.missing());
  if (objectType !== 'user' && objectType !== 'package') throw ValidationError.field('object_type', M.notInList(String(objectType)));
  const group = (await findGroup(ctx.db, ref, true)) ?? (await findGroup(ctx.db, ref, false));
  if (objectType === 'user') {
    const rule = group?.is_organization === false ? 'group_update' : `organization_member_${op === 'add' ? 'create' : 'delete'}`;
    ctx.authorize(rule, group ?? { id: '', state: 'deleted', is_organization: true });
    if (!group || group.state !== 'active') throw new NotFoundError({ th: 'ไม่พบกลุ่ม', en: 'Group not found' });
    const objRef = typeof input.object === 'string' ? input.object : '';
    const q = ctx.db.selectFrom('users').select(['id', 'name']).where('state', '<>', 'deleted');
    const user = objRef ? await (UUID.test(objRef) ? q.where('id', '=', objRef) : q.where('name', '=', objRef)).executeTakeFirst() : undefined;
    if (!user) throw ValidationError.field('object', { th: 'ไม่พบผู้ใช้', en: 'User not found' });
    // A governance duty (data_owner, cdo, …) is a row beside the catalog capacity, which stays as it is.
    const duty = input.capacity ?? input.role;
    if (group.is_organization && typeof duty === 'string' && isGovernanceRole(duty)) return changeDuty(ctx, group, user, duty, op, op === 'add' ? 'member_create' : 'member_delete');
    if (op === 'remove') {
      await ctx.db.deleteFrom('memberships').where('group_id', '=', group.id).where('user_id', '=', user.id).execute();
      await ctx.audit({ action: 'member_delete', object_type: group.is_organization ? 'organization' : 'group', object_id: group.id, detail: { user: user.name } });
      return null;
    }
    const role = String(input.capacity ?? 'member');
    if (!isRole(role)) throw ValidationError.field('capacity', M.notInList(role));
    await ctx.db.insertInto('memberships').values({ group_id: group.id, user_id: user.id, role, created: ctx.now }).onConflict((oc) => oc.columns(['group_id', 'user_id']).doUpdateSet({ role })).execute();
    await ctx.audit({ action: 'member_create', object_type: group.is_organization ? 'organization' : 'group', object_id: group.id, detail: { user: user.name, role } });
    // A role that needs 2FA ends the sessions the user signed in without it (actions/auth/credentials.ts).
    if (group.is_organization && TWO_FACTOR_ROLES.includes(role)) await afterTwoFactorPrivilege(ctx, user.id, `role ${role}`);
    return { group_id: group.id, table_id: user.id, table_name: 'user', capacity: role, state: 'active' };
  }
  // A dataset into a theme group: the editor of the dataset's organisation decides (thai_gdc lets editors do it).
  const objRef = typeof input.object === 'string' ? input.object : '';
  const { row } = await requireDataset(ctx, { id: objRef }, 'package_show');
  ctx.authorize('group_dataset_add', row);
  if (!group || group.state !== 'active' || group.is_organization) throw new NotFoundError({ th: 'ไม่พบกลุ่ม', en: 'Group not found' });
  const before = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
  if (op === 'add') await checkGroupRoom(ctx, row.id, group.id);
  if (op === 'add') await ctx.db.insertInto('dataset_groups').values({ dataset_id: row.id, group_id: group.id }).onConflict((oc) => oc.doNothing()).execute();
  else await ctx.db.deleteFrom('dataset_groups').where('dataset_id', '=', row.id).where('group_id', '=', group.id).execute();
  const bumped = await bumpDataset(ctx, (await findDataset(ctx.db, row.id))!);
  await afterDatasetWrite(ctx, bumped, before, 'changed package');
  return op === 'add' ? { group_id: group.id, table_id: row.id, table_name: 'package', capacity: 'public', state: 'active' } : null;
}

/** A dataset sits in at most the standard's number of groups, however it is put there. */
async function checkGroupRoom(ctx: ActionContext, datasetId: string, groupId: string): Promise<void> {
  const max = limitsOf(currentStandard()).groups;
  const rows = await ctx.db.selectFrom('dataset_groups').select('group_id').where('dataset_id', '=', datasetId).execute();
  if (rows.length >= max && !rows.some((r) => r.group_id === groupId)) throw ValidationError.field('groups', M.tooMany(max));
}
