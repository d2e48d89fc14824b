import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { grantUsable } from '../../access/grants.ts';
import { formatRowCondition, type RowCondition } from '../../access/row-condition.ts';
import { isSysadmin, memberOrgs, userId } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import { boolParam, naturalNumber } from '../params.ts';
import { ErrorBag } from '../errors.ts';
import { UUID } from './agreements-shared.ts';
import type { AgreementItem } from './agreements-input.ts';

/**
 * Grants an agreement owns, one per dataset: to the partner organisation, for the agreement's
 * window, with its fields, row condition and frequency. They are written with the agreement and
 * are usable only while grantUsable() holds (agreement active, clock inside the window), so nothing
 * has to run when the agreement starts, expires or ends. A grant that restricts fields or records
 * gives metadata only: the whole files would disclose more than agreed, so those go through the
 * exchange, which applies grantFor().
 */
export async function writeGrants(ctx: ActionContext, agreement: { id: string; number: string; partner_org: string; access_from: Date; access_to: Date; frequency: unknown }, items: AgreementItem[]): Promise<string[]> {
  const by = userId(ctx.actor);
  await ctx.db.deleteFrom('dataset_grants').where('agreement_id', '=', agreement.id).execute();
  const ids: string[] = [];
  for (const it of items) {
    const id = crypto.randomUUID();
    ids.push(id);
    await ctx.db.insertInto('dataset_grants').values({
      id, dataset_id: it.dataset_id, grantee_user_id: null, grantee_org_id: agreement.partner_org, scope: it.whole ? 'files' : 'metadata',
      starts_at: agreement.access_from, expires_at: agreement.access_to, granted_by: by, reason: `agreement ${agreement.number}`, created: ctx.now,
      agreement_id: agreement.id, fields: JSON.stringify(it.fields), row_condition: it.row_condition ? JSON.stringify(it.row_condition) : null, frequency: JSON.stringify(agreement.frequency),
    }).execute();
  }
  return ids;
}

/** Revokes every grant of the agreement at once; audited by the caller's action. */
export async function revokeGrants(ctx: ActionContext, agreementId: string): Promise<string[]> {
  const rows = await ctx.db.updateTable('dataset_grants').set({ revoked_at: ctx.now }).where('agreement_id', '=', agreementId).where('revoked_at', 'is', null).returning('id').execute();
  return rows.map((r) => r.id);
}

export const grantList = defineAction({
  name: 'grant_list',
  readOnly: true,
  summary: 'Grants issued by agreements (and by hand): dataset, grantee, fields, row condition, window, frequency, and whether each is usable now. Filters: agreement_id, dataset_id, expiring_within_days, usable.',
  params: {
    agreement_id: { type: 'string', description: 'only the grants of this agreement' },
    dataset_id: { type: 'string', description: 'only grants on this dataset' },
    expiring_within_days: { type: 'integer', description: 'usable grants whose window ends within this many days' },
    usable: { type: 'boolean', description: 'true: only grants usable now' },
  },
  async run(ctx, input) {
    ctx.authorize('grant_list');
    const bag = new ErrorBag();
    for (const k of ['agreement_id', 'dataset_id']) if (input[k] !== undefined && (typeof input[k] !== 'string' || !UUID.test(input[k] as string))) bag.add(k, { th: 'ต้องเป็นรหัส (uuid)', en: 'Must be an id (uuid)' });
    bag.throwIfAny();
    const days = naturalNumber(input, 'expiring_within_days', 3650);
    const limit = naturalNumber(input, 'limit', 1000) ?? 100;
    const offset = naturalNumber(input, 'offset') ?? 0;
    return listGrants(ctx, { agreement_id: input.agreement_id as string | undefined, dataset_id: input.dataset_id as string | undefined, days, usableOnly: boolParam(input, 'usable', false), limit, offset });
  },
});

/** Grants the caller may see: those on datasets of organisations where they hold a duty, those held by them or their organisations; sysadmins all. */
export async function listGrants(ctx: ActionContext, f: { agreement_id?: string; dataset_id?: string; days?: number; usableOnly?: boolean; limit: number; offset: number }) {
  const usable = grantUsable('gr', ctx.now);
  let q = ctx.db
    .selectFrom('dataset_grants as gr')
    .innerJoin('datasets as d', 'd.id', 'gr.dataset_id')
    .leftJoin('agreements as a', 'a.id', 'gr.agreement_id')
    .leftJoin('cases as c', 'c.id', 'a.case_id')
    .leftJoin('groups as o', 'o.id', 'gr.grantee_org_id')
    .select(['gr.id', 'gr.dataset_id', 'd.name as dataset_name', 'd.title as dataset_title', 'gr.grantee_user_id', 'gr.grantee_org_id', 'o.title as grantee_org_title', 'gr.scope',
      'gr.fields', 'gr.row_condition', 'gr.frequency', 'gr.starts_at', 'gr.expires_at', 'gr.revoked_at', 'gr.agreement_id', 'c.number as agreement_number', 'c.state as agreement_state', 'gr.created'])
    .select(sql<boolean>`${usable}`.as('usable'));
  if (!isSysadmin(ctx.actor)) {
    const dutyOrgs = [...new Set(ROLE_KEYS.flatMap((r) => orgsWithDuty(ctx.actor, r)))];
    const me = userId(ctx.actor);
    q = q.where((eb) => eb.or([
      eb('d.owner_org', 'in', dutyOrgs.length ? dutyOrgs : ['00000000-0000-0000-0000-000000000000']),
      eb('gr.grantee_user_id', '=', me ?? '00000000-0000-0000-0000-000000000000'),
      eb('gr.grantee_org_id', 'in', memberOrgs(ctx.actor).length ? memberOrgs(ctx.actor) : ['00000000-0000-0000-0000-000000000000']),
    ]));
  }
  if (f.agreement_id) q = q.where('gr.agreement_id', '=', f.agreement_id);
  if (f.dataset_id) q = q.where('gr.dataset_id', '=', f.dataset_id);
  if (f.usableOnly || f.days !== undefined) q = q.where(usable);
  if (f.days !== undefined) q = q.where('gr.expires_at', 'is not', null).where('gr.expires_at', '<=', new Date(ctx.now.getTime() + f.days * 86400_000));
  const rows = await q.orderBy('gr.expires_at').orderBy('gr.id').limit(f.limit).offset(f.offset).execute();
  return rows.map((r) => ({
    ...r,
    row_condition_text: r.row_condition ? formatRowCondition(r.row_condition as unknown as RowCondition) : '',
    starts_at: r.starts_at?.toISOString() ?? null, expires_at: r.expires_at?.toISOString() ?? null, revoked_at: r.revoked_at?.toISOString() ?? null, created: new Date(r.created).toISOString(),
  }));
}
