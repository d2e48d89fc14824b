import crypto from 'node:crypto';
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, ValidationError } from '../errors.ts';
import { isSysadmin, memberOrgs } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import { filterParam, naturalNumber } from '../params.ts';
import { currentAssessment } from './partners.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { CODES, UUID, checkCode, checkText, codeLabel, findOrg, notFound, notifyStep, workflowActor, workflows } from './agreements-shared.ts';

/** P3/P4 linkage registry (ทะเบียนการเชื่อมโยง): each linkage's state is its lifecycle case's, run by the engine. */

export async function loadLinkage(ctx: ActionContext, ref: unknown, lock = false) {
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('id', { th: 'กรุณาระบุการเชื่อมโยง', en: 'A linkage id is required' });
  let q = ctx.db.selectFrom('linkages as l').innerJoin('cases as c', 'c.id', 'l.case_id').selectAll('l').select(['c.state', 'c.number', 'c.version']);
  q = UUID.test(ref.trim()) ? q.where('l.id', '=', ref.trim().toLowerCase()) : q.where('c.number', '=', ref.trim());
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}
export type LinkageRow = NonNullable<Awaited<ReturnType<typeof loadLinkage>>>;

export async function requireLinkage(ctx: ActionContext, ref: unknown, rule: string, lock = false): Promise<LinkageRow> {
  const row = await loadLinkage(ctx, ref, lock);
  const subject = row ? { owner_org: row.owner_org, partner_org: row.partner_org } : { owner_org: null };
  if (!row || !ctx.can('linkage_show', subject)) {
    try { ctx.authorize(rule, subject); } catch { /* 404 either way */ }
    throw notFound();
  }
  ctx.authorize(rule, subject);
  return row;
}

export async function presentLinkage(ctx: ActionContext, row: LinkageRow, full: boolean) {
  const orgs = await ctx.db.selectFrom('groups').select(['id', 'name', 'title']).where('id', 'in', [row.owner_org, row.partner_org]).execute();
  const ds = (row.datasets as string[]).length ? await ctx.db.selectFrom('datasets').select(['id', 'name', 'title']).where('id', 'in', row.datasets as string[]).execute() : [];
  const out: Record<string, unknown> = {
    id: row.id, number: row.number, state: row.state, version: row.version, direction: row.direction,
    organization: orgs.find((o) => o.id === row.owner_org) ?? null, partner: orgs.find((o) => o.id === row.partner_org) ?? null,
    datasets: ds, method: row.method, frequency: row.frequency, frequency_label: codeLabel(CODES.delivery_frequency, row.frequency), frequency_note: row.frequency_note,
    plan: row.plan, meeting_notes: row.meeting_notes, agreement_id: row.agreement_id, assessment_id: row.assessment_id,
    cancel_ground: row.cancel_ground, cancel_note: row.cancel_note, cancelled_at: row.cancelled_at?.toISOString() ?? null,
    created: new Date(row.created).toISOString(), modified: new Date(row.modified).toISOString(),
  };
  if (full) {
    const view = await workflows().show(ctx.db, workflowActor(ctx.actor), row.case_id);
    out.events = view.events;
    out.next = view.next;
  }
  return out;
}

interface LinkageValues {
  direction?: string; partner?: string; datasets?: string[]; method?: string; frequency?: string; frequency_note?: string; plan?: string; meeting_notes?: string; agreement_id?: string | null;
}

async function readLinkage(ctx: ActionContext, input: Record<string, unknown>, owner: string, partial: boolean): Promise<LinkageValues> {
  const bag = new ErrorBag();
  const out: LinkageValues = {};
  const has = (k: string) => !partial || input[k] !== undefined;
  if (has('direction')) out.direction = checkCode(bag, 'direction', CODES.linkage_direction, input.direction) ?? undefined;
  if (has('partner')) {
    const p = await findOrg(ctx.db, bag, 'partner', input.partner);
    if (p && p.id === owner) bag.add('partner', { th: 'คู่เชื่อมโยงต้องเป็นหน่วยงานอื่น', en: 'The partner must be another organisation' });
    out.partner = p?.id;
  }
  if (has('datasets')) {
    const raw = Array.isArray(input.datasets) ? input.datasets : typeof input.datasets === 'string' ? input.datasets.split(/[\n,]/).map((s) => s.trim()).filter(Boolean) : [];
    const ids: string[] = [];
    for (const ref of raw.slice(0, 100)) {
      // The owner's own datasets, or others the caller may see: any other is "not found", or the
      // registry would show its title (and confirm its name) to the linkage's parties.
      const q = ctx.db.selectFrom('datasets as d').select(['d.id', 'd.state']).where((eb) => eb.or([eb('d.owner_org', '=', owner), visibleDatasets(ctx.actor, 'd')]));
      const d = typeof ref === 'string' ? await (UUID.test(ref) ? q.where('d.id', '=', ref.toLowerCase()) : q.where('d.name', '=', ref)).executeTakeFirst() : undefined;
      if (!d || d.state !== 'active') bag.add('datasets', { th: `ไม่พบชุดข้อมูล "${String(ref).slice(0, 80)}"`, en: `Dataset "${String(ref).slice(0, 80)}" not found` });
      else if (!ids.includes(d.id)) ids.push(d.id);
    }
    out.datasets = ids;
  }
  if (has('method')) out.method = checkText(bag, 'method', input.method, { required: true, max: 500 });
  if (has('frequency')) out.frequency = checkCode(bag, 'frequency', CODES.delivery_frequency, input.frequency) ?? undefined;
  if (has('frequency_note')) out.frequency_note = checkText(bag, 'frequency_note', input.frequency_note, { max: 500 });
  if (out.frequency === 'other' && !out.frequency_note && !partial) bag.add('frequency_note', { th: 'ระบุความถี่', en: 'Describe the frequency' });
  if (has('plan')) out.plan = checkText(bag, 'plan', input.plan, { max: 20000 });
  if (has('meeting_notes')) out.meeting_notes = checkText(bag, 'meeting_notes', input.meeting_notes, { max: 20000 });
  if (input.agreement_id !== undefined && input.agreement_id !== null && input.agreement_id !== '') {
    const a = typeof input.agreement_id === 'string' && UUID.test(input.agreement_id) ? await ctx.db.selectFrom('agreements').select(['id', 'owner_org', 'partner_org']).where('id', '=', input.agreement_id).executeTakeFirst() : undefined;
    if (!a || a.owner_org !== owner) bag.add('agreement_id', { th: 'ไม่พบสัญญานี้ในหน่วยงาน', en: "No such agreement of this organisation" });
    else if (out.partner && a.partner_org !== out.partner) bag.add('agreement_id', { th: 'สัญญานี้ทำกับหน่วยงานอื่น', en: 'This agreement is with another partner' });
    else out.agreement_id = a.id;
  } else if (!partial) out.agreement_id = null;
  bag.throwIfAny();
  return out;
}

export const linkageCreate = defineAction({
  name: 'linkage_create',
  readOnly: false,
  summary: 'Propose a linkage for the registry: direction (outbound P3 / inbound P4), partner, datasets, method, delivery frequency, plan, technical-meeting notes, agreement. An outbound linkage needs a passing, current partner assessment.',
  async run(ctx, input) {
    const bag = new ErrorBag();
    const owner = await findOrg(ctx.db, bag, 'organization', input.organization);
    ctx.authorize('linkage_create', { owner_org: owner?.id ?? null });
    bag.throwIfAny();
    const v = await readLinkage(ctx, input, owner!.id, false);
    let assessment: string | null = null;
    if (v.direction === 'outbound') {
      const a = await currentAssessment(ctx, owner!.id, v.partner!, ctx.now);
      if (!a) throw ValidationError.field('partner', { th: 'การเชื่อมโยงขาออกต้องมีผลประเมินคู่เชื่อมโยงที่ผ่านเกณฑ์ (60 คะแนนขึ้นไป) และยังไม่หมดอายุ', en: 'An outbound linkage needs a passing (60 or more), current assessment of the partner' });
      assessment = a.id;
    }
    const id = crypto.randomUUID();
    const r = await workflows().create(ctx.db, workflowActor(ctx.actor), 'linkage', { facts: { direction: v.direction }, subjects: [{ type: 'linkage', id }], org: owner!.id, now: ctx.now });
    await ctx.db.insertInto('linkages').values({
      id, case_id: r.case.id, direction: v.direction!, owner_org: owner!.id, partner_org: v.partner!, datasets: JSON.stringify(v.datasets ?? []), method: v.method!, frequency: v.frequency!,
      frequency_note: v.frequency_note ?? '', plan: v.plan ?? '', meeting_notes: v.meeting_notes ?? '', agreement_id: v.agreement_id ?? null, assessment_id: assessment,
      cancel_ground: null, cancelled_at: null, created_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null, created: ctx.now, modified: ctx.now,
    }).execute();
    await notifyStep(ctx, r, `/governance/linkages/${id}`);
    await ctx.audit({ action: 'linkage_create', object_type: 'linkage', object_id: id, detail: { number: r.case.number, direction: v.direction, partner: v.partner, assessment } });
    return presentLinkage(ctx, (await loadLinkage(ctx, id))!, true);
  },
});

export const linkageUpdate = defineAction({
  name: 'linkage_update',
  readOnly: false,
  summary: 'Update a linkage in the registry (method, frequency, plan, meeting notes, datasets, agreement) until it is cancelled.',
  async run(ctx, input) {
    const row = await requireLinkage(ctx, input.id, 'linkage_update', true);
    if (row.state === 'cancelled') throw ValidationError.field('state', { th: 'การเชื่อมโยงนี้ยกเลิกแล้ว', en: 'This linkage is cancelled' });
    if (input.direction !== undefined && input.direction !== row.direction) throw ValidationError.field('direction', { th: 'เปลี่ยนทิศทางไม่ได้ ให้เสนอใหม่', en: 'The direction cannot change; propose a new linkage' });
    if (input.partner !== undefined) throw ValidationError.field('partner', { th: 'เปลี่ยนคู่เชื่อมโยงไม่ได้ ให้เสนอใหม่', en: 'The partner cannot change; propose a new linkage' });
    const v = await readLinkage(ctx, { ...input, partner: undefined }, row.owner_org, true);
    const set: Record<string, unknown> = { modified: ctx.now };
    for (const k of ['method', 'frequency', 'frequency_note', 'plan', 'meeting_notes', 'agreement_id'] as const) if (v[k] !== undefined) set[k] = v[k];
    if (v.datasets) set.datasets = JSON.stringify(v.datasets);
    await ctx.db.updateTable('linkages').set(set).where('id', '=', row.id).execute();
    await ctx.audit({ action: 'linkage_update', object_type: 'linkage', object_id: row.id, detail: { number: row.number, fields: Object.keys(set).filter((k) => k !== 'modified') } });
    return presentLinkage(ctx, (await loadLinkage(ctx, row.id))!, true);
  },
});

export const linkageShow = defineAction({
  name: 'linkage_show',
  readOnly: true,
  summary: 'One linkage of the registry with its timeline and the steps the caller may take.',
  async run(ctx, input) {
    return presentLinkage(ctx, await requireLinkage(ctx, input.id, 'linkage_show'), true);
  },
});

export const linkageList = defineAction({
  name: 'linkage_list',
  readOnly: true,
  summary: 'The linkage registry: outbound and inbound linkages of the organisations where the caller holds a duty (and those the caller\'s organisation is partner to). Filters: direction, state, frequency.',
  async run(ctx, input) {
    ctx.authorize('linkage_list');
    const limit = naturalNumber(input, 'limit', 1000) ?? 100;
    const offset = naturalNumber(input, 'offset') ?? 0;
    let q = ctx.db.selectFrom('linkages as l').innerJoin('cases as c', 'c.id', 'l.case_id').selectAll('l').select(['c.state', 'c.number', 'c.version']);
    if (!isSysadmin(ctx.actor)) {
      const duty = [...new Set(ROLE_KEYS.flatMap((r) => orgsWithDuty(ctx.actor, r)))];
      const mine = memberOrgs(ctx.actor);
      const none = ['00000000-0000-0000-0000-000000000000'];
      q = q.where((eb) => eb.or([eb('l.owner_org', 'in', duty.length ? duty : none), eb('l.partner_org', 'in', mine.length ? mine : none)]));
    }
    const bag = new ErrorBag();
    if (input.direction) q = q.where('l.direction', '=', checkCode(bag, 'direction', CODES.linkage_direction, input.direction) ?? '');
    if (input.frequency) q = q.where('l.frequency', '=', checkCode(bag, 'frequency', CODES.delivery_frequency, input.frequency) ?? '');
    bag.throwIfAny();
    const state = filterParam(input, 'state');
    if (state) q = q.where('c.state', '=', state);
    const rows = await q.orderBy('l.created', 'desc').limit(limit).offset(offset).execute();
    return Promise.all(rows.map((r) => presentLinkage(ctx, r, false)));
  },
});

export const linkageTransition = defineAction({
  name: 'linkage_transition',
  readOnly: false,
  summary: 'Take a step of a linkage: approve / reject (governance committee), activate, suspend, resume. Cancelling: linkage_cancel with a ground.',
  async run(ctx, input) {
    const row = await requireLinkage(ctx, input.id, 'linkage_transition', true);
    const name = typeof input.transition === 'string' ? input.transition : '';
    if (name === 'cancel') throw ValidationError.field('transition', { th: 'ใช้ linkage_cancel พร้อมเหตุแห่งการยกเลิก', en: 'Use linkage_cancel with a ground' });
    const reason = typeof input.reason === 'string' ? input.reason : '';
    const r = await workflows().transition(ctx.db, workflowActor(ctx.actor), row.case_id, name, { reason, expectedVersion: typeof input.version === 'number' ? input.version : undefined, now: ctx.now });
    await ctx.db.updateTable('linkages').set({ modified: ctx.now }).where('id', '=', row.id).execute();
    await notifyStep(ctx, r, `/governance/linkages/${row.id}`);
    await ctx.audit({ action: 'linkage_transition', object_type: 'linkage', object_id: row.id, detail: { number: row.number, transition: name, from: row.state, to: r.case.state, reason } });
    return presentLinkage(ctx, (await loadLinkage(ctx, row.id))!, true);
  },
});

export const linkageActions = [linkageCreate, linkageUpdate, linkageShow, linkageList, linkageTransition];
