import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError, pick } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { filterParam } from '../params.ts';
import { GOVERNANCE_ROLES, governanceRole, isGovernanceRole } from '../../access/duties.ts';
import { findGroup, UUID } from '../datasets/load.ts';
import type { GroupRow } from '../../store/schema.ts';
import type { DutySubject } from '../../policies/case.ts';

/** An agency: the top of a ministry → department tree, or an organisation marked as one (extras.agency). */
export function isAgency(g: Pick<GroupRow, 'parent_id' | 'extras'>): boolean {
  return g.parent_id === null || agencyMarked(g.extras);
}

/**
 * The `agency` extra: it decides where agency duties (CDO, DPO, committee, IT, legal) may be given
 * and whom they reach, so only a sysadmin sets or clears it (policy `organization_mark_agency`).
 */
export function agencyMarked(extras: unknown): boolean {
  const mark = extras && typeof extras === 'object' ? (extras as Record<string, unknown>).agency : undefined;
  return mark === true || mark === 'true';
}

/**
 * Gives or takes a governance duty: the membership API calls this when `role` is a duty key (the
 * catalog capacity stays as it is), and so do duty_create / duty_delete. Policy and audit row here,
 * in the caller's transaction.
 */
export async function changeDuty(ctx: ActionContext, group: GroupRow, user: { id: string; name: string }, role: string, op: 'add' | 'remove', via: string): Promise<Record<string, unknown> | null> {
  const def = governanceRole(role);
  if (!def) throw ValidationError.field('role', M.notInList(role));
  const subject: DutySubject = { org_id: group.id, scope: def.scope, agency: isAgency(group) };
  ctx.authorize(op === 'add' ? 'duty_create' : 'duty_delete', subject);
  if (op === 'add' && def.scope === 'agency' && !subject.agency) {
    throw ValidationError.field('role', {
      th: `"${def.label.th}" เป็นหน้าที่ระดับส่วนราชการ ให้ได้ที่หน่วยงานระดับบนสุด หรือหน่วยงานที่กำหนดเป็นส่วนราชการเท่านั้น`,
      en: `"${def.label.en}" is an agency duty: give it at the top organisation or one marked as an agency`,
    });
  }
  if (op === 'add') {
    await ctx.db.insertInto('duties').values({ group_id: group.id, user_id: user.id, role, created_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null }).onConflict((oc) => oc.doNothing()).execute();
  } else {
    await ctx.db.deleteFrom('duties').where('group_id', '=', group.id).where('user_id', '=', user.id).where('role', '=', role).execute();
  }
  await ctx.audit({ action: op === 'add' ? 'duty_create' : 'duty_delete', object_type: 'organization', object_id: group.id, detail: { user: user.name, role, via } });
  return op === 'add' ? { group_id: group.id, table_id: user.id, table_name: 'user', capacity: role, duty: true, state: 'active' } : null;
}

export { isGovernanceRole };

async function groupAndUser(ctx: ActionContext, input: Record<string, unknown>) {
  const ref = input.id ?? input.organization;
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('id', M.missing());
  const g = await findGroup(ctx.db, ref.trim(), true);
  const uref = input.username ?? input.user;
  if (typeof uref !== 'string' || !uref) throw ValidationError.field('username', M.missing());
  const q = ctx.db.selectFrom('users').select(['id', 'name']).where('state', '<>', 'deleted');
  const u = await (UUID.test(uref) ? q.where('id', '=', uref) : q.where('name', '=', uref)).executeTakeFirst();
  return { g, u };
}

function dutyAction(op: 'add' | 'remove') {
  return defineAction({
    name: op === 'add' ? 'duty_create' : 'duty_delete',
    readOnly: false,
    summary: op === 'add' ? 'Gives a governance duty (data_owner, data_steward, data_creator, cdo, dpo, governance_committee, it_officer, legal_officer) in an organisation.' : 'Takes a governance duty away.',
    params: { id: { type: 'string', description: 'Organisation', required: true }, username: { type: 'string', description: 'User', required: true }, role: { type: 'string', description: 'Duty key', required: true } },
    async run(ctx, input) {
      const { g, u } = await groupAndUser(ctx, input);
      const role = String(input.role ?? '');
      if (!g || g.state !== 'active') {
        try {
          ctx.authorize(op === 'add' ? 'duty_create' : 'duty_delete', { org_id: '', scope: 'agency', agency: false });
        } catch {
          /* not found either way */
        }
        throw new NotFoundError({ th: 'ไม่พบหน่วยงาน', en: 'Organization not found' });
      }
      if (!isGovernanceRole(role)) throw ValidationError.field('role', M.notInList(role));
      if (!u) {
        ctx.authorize(op === 'add' ? 'duty_create' : 'duty_delete', { org_id: g.id, scope: governanceRole(role)!.scope, agency: isAgency(g) });
        throw ValidationError.field('username', { th: 'ไม่พบผู้ใช้', en: 'User not found' });
      }
      return changeDuty(ctx, g, u, role, op, op === 'add' ? 'duty_create' : 'duty_delete');
    },
  });
}

export const dutyList = defineAction({
  name: 'duty_list',
  readOnly: true,
  summary: 'Who holds which governance duty in an organisation (given there, or agency duties given above it), with Thai and English role names.',
  params: { id: { type: 'string', description: 'Organisation', required: true }, role: { type: 'string', description: 'Only this duty' } },
  async run(ctx, input) {
    const ref = input.id ?? input.organization;
    if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('id', M.missing());
    const g = await findGroup(ctx.db, ref.trim(), true);
    if (!g || g.state !== 'active') {
      try {
        ctx.authorize('duty_list', { id: '' });
      } catch {
        /* not found either way */
      }
      throw new NotFoundError({ th: 'ไม่พบหน่วยงาน', en: 'Organization not found' });
    }
    ctx.authorize('duty_list', g);
    const rows = await sql<{ group_id: string; group_name: string; group_title: string; user_id: string; name: string; fullname: string; role: string; created: Date; depth: number }>`
      WITH RECURSIVE up(id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM groups WHERE id = ${g.id}::uuid
        UNION ALL
        SELECT p.id, p.parent_id, up.depth + 1 FROM groups p JOIN up ON p.id = up.parent_id WHERE up.depth < 20
      )
      SELECT d.group_id, gr.name AS group_name, gr.title AS group_title, d.user_id, u.name, u.fullname, d.role, d.created, up.depth
      FROM duties d JOIN up ON up.id = d.group_id JOIN groups gr ON gr.id = d.group_id JOIN users u ON u.id = d.user_id
      WHERE u.state = 'active' AND (up.depth = 0 OR d.role IN (${sql.join(GOVERNANCE_ROLES.filter((r) => r.scope === 'agency').map((r) => r.key))}))
      ORDER BY d.role, u.name`.execute(ctx.db);
    const only = filterParam(input, 'role') ?? null;
    return rows.rows
      .filter((r) => !only || r.role === only)
      .map((r) => {
        const def = governanceRole(r.role);
        return {
          user_id: r.user_id, name: r.name, fullname: r.fullname, role: r.role, role_label: def ? pick(def.label, ctx.lang) : r.role,
          role_label_th: def?.label.th ?? r.role, role_label_en: def?.label.en ?? r.role, scope: def?.scope ?? 'organization',
          given_at: { id: r.group_id, name: r.group_name, title: r.group_title }, inherited: Number(r.depth) > 0, created: r.created,
        };
      });
  },
});

export const dutyActions: ActionDef[] = [dutyAction('add'), dutyAction('remove'), dutyList];
