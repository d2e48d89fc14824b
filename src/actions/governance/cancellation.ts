import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag } from '../errors.ts';
import { queueMail } from '../../mail/outbox.ts';
import { GROUNDS, checkCode, checkText, orgContacts, recipients, workflows } from './agreements-shared.ts';
import { loadLinkage, presentLinkage, requireLinkage, type LinkageRow } from './linkage.ts';

/**
 * P5 (§6.4, grounds §7.2): cancelling a linkage updates the registry, ends its agreement (whose
 * grants stop at once), notifies the partner and the units concerned, and is audited — all in the
 * caller's transaction, so a failure leaves nothing half-cancelled.
 */
async function cancelOne(ctx: ActionContext, row: LinkageRow, ground: string, note: string, byAgreement: boolean): Promise<void> {
  // Cascaded from an agreement's termination, the step is recorded as the same person acting for the system.
  const actor = byAgreement && ctx.actor.kind === 'user' ? { id: ctx.actor.user.id, name: ctx.actor.user.name, roles: [], system: true } : (await import('./agreements-shared.ts')).workflowActor(ctx.actor);
  const r = await workflows().transition(ctx.db, actor, row.case_id, 'cancel', { reason: note, now: ctx.now });
  await ctx.db.updateTable('linkages').set({ cancel_ground: ground, cancel_note: note, cancelled_at: ctx.now, modified: ctx.now }).where('id', '=', row.id).execute();
  const label = GROUNDS.find((g) => g.value === ground)!.label;
  const people = [...(await orgContacts(ctx.db, row.partner_org)), ...(await recipients(ctx.db, 'data_owner', r.case)), ...(await recipients(ctx.db, 'it_officer', r.case)), ...(await recipients(ctx.db, 'creator', r.case))];
  const seen = new Set<string>();
  for (const p of people) {
    if (seen.has(p.email.toLowerCase())) continue;
    seen.add(p.email.toLowerCase());
    const lang = p.lang ?? 'th';
    await queueMail(ctx.db, { to: p.email, template: 'case_closed', lang, vars: {
      name: p.name, number: row.number, process: lang === 'en' ? 'Data linkage' : 'การเชื่อมโยงข้อมูล', state: lang === 'en' ? 'Cancelled' : 'ยกเลิก',
      reason: `${lang === 'en' ? label.en : label.th}${note ? ` — ${note}` : ''}`, url: `${ctx.services.config.siteUrl}/governance/linkages/${row.id}`, site: ctx.services.config.siteTitle,
    } });
  }
  await ctx.audit({ action: 'linkage_cancel', object_type: 'linkage', object_id: row.id, detail: { number: row.number, ground, note, from: row.state, agreement: row.agreement_id, notified: seen.size } });
}

/** Cancels the open linkages that rest on an agreement being terminated. */
export async function cancelLinkagesOf(ctx: ActionContext, agreementId: string, ground: string, note: string): Promise<void> {
  const rows = await ctx.db.selectFrom('linkages as l').innerJoin('cases as c', 'c.id', 'l.case_id').select('l.id').where('l.agreement_id', '=', agreementId).where('c.state', '!=', 'cancelled').execute();
  for (const { id } of rows) await cancelOne(ctx, (await loadLinkage(ctx, id, true))!, ground, note, true);
}

export const linkageCancel = defineAction({
  name: 'linkage_cancel',
  readOnly: false,
  summary: 'Cancel a linkage (P5) on a §7.2 ground: the registry is updated, its agreement ends and its grants stop at once, the partner and the units concerned are notified.',
  params: { id: { type: 'string', description: 'linkage id or number', required: true }, ground: { type: 'string', description: 'a §7.2 ground (cancellation_grounds_list)', required: true }, reason: { type: 'string', description: 'note', required: true } },
  async run(ctx, input) {
    const row = await requireLinkage(ctx, input.id, 'linkage_cancel', true);
    const bag = new ErrorBag();
    const ground = checkCode(bag, 'ground', GROUNDS, input.ground);
    const note = checkText(bag, 'reason', input.reason, { required: true });
    if (row.state === 'cancelled') bag.add('state', { th: 'การเชื่อมโยงนี้ยกเลิกแล้ว', en: 'This linkage is already cancelled' });
    bag.throwIfAny();
    await cancelOne(ctx, row, ground!, note, false);
    let revoked: string[] = [];
    if (row.agreement_id) {
      const a = await ctx.db.selectFrom('agreements as a').innerJoin('cases as c', 'c.id', 'a.case_id').selectAll('a').select(['c.state', 'c.number', 'c.version']).where('a.id', '=', row.agreement_id).forUpdate().executeTakeFirst();
      if (a && ['active', 'approved', 'draft'].includes(a.state)) {
        const { terminateAgreement } = await import('./agreements.ts');
        revoked = await terminateAgreement(ctx, a, ground!, note, false);
      }
    }
    return { ...(await presentLinkage(ctx, (await loadLinkage(ctx, row.id))!, true)), revoked_grants: revoked };
  },
});

export const cancellationGroundsList = defineAction({
  name: 'cancellation_grounds_list',
  readOnly: true,
  summary: 'Grounds for cancelling a linkage or ending an agreement (§7.2), Thai and English.',
  async run(ctx) {
    ctx.authorize('cancellation_grounds_list');
    return GROUNDS;
  },
});

export const cancellationActions = [linkageCancel, cancellationGroundsList];
