import crypto from 'node:crypto';
import { defineAction } from '../../actions/registry.ts';
import { ErrorBag, NotFoundError } from '../../actions/errors.ts';
import { CODES, codeLabel } from '../../actions/governance/agreements-shared.ts';
import { dutyHolders } from '../../actions/governance/cases-engine.ts';
import { queueMail } from '../../mail/outbox.ts';
import { dateTimeText } from '../../letters/thai-date.ts';
import { filterParam, naturalNumber } from '../../actions/params.ts';
import { FLAGS, monitorItems, type ItemState, type MonitorItem } from './state.ts';

/** P10 dashboards, the known-limit flags, the delivery history and the late-delivery notices. */
const STATES: ItemState[] = ['delivered', 'waiting', 'late'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Count { delivered: number; waiting: number; late: number; total: number }
const zero = (): Count => ({ delivered: 0, waiting: 0, late: 0, total: 0 });

function filterItems(items: MonitorItem[], input: Record<string, unknown>): MonitorItem[] {
  const bag = new ErrorBag();
  const one = (k: string) => filterParam(input, k) ?? null;
  const flag = one('flag');
  if (flag && !FLAGS.some((f) => f.value === flag)) bag.add('flag', { th: 'ไม่มีข้อจำกัดนี้', en: `Unknown flag; one of ${FLAGS.map((f) => f.value).join(', ')}` });
  const state = one('state');
  if (state && !STATES.includes(state as ItemState)) bag.add('state', { th: 'สถานะเป็น delivered, waiting หรือ late', en: 'State is delivered, waiting or late' });
  const freq = one('frequency');
  if (freq && !CODES.delivery_frequency.some((c) => c.value === freq)) bag.add('frequency', { th: 'ไม่มีความถี่นี้', en: 'Unknown frequency' });
  bag.throwIfAny();
  const partner = one('partner');
  return items.filter((i) => (!flag || i.flags.includes(flag)) && (!state || i.state === state) && (!freq || i.frequency === freq) && (!partner || i.partner_org === partner));
}

export const monitorDashboard = defineAction({
  name: 'monitor_dashboard',
  readOnly: true,
  summary: 'Integration monitoring (P10): linkage items delivered / waiting / late, by partner and by delivery frequency, with the known-limit flags; filters flag, state, frequency, partner (organisation id).',
  params: { flag: { type: 'string', description: 'not_linked, format_differs, accuracy_incomplete or availability_incomplete' }, state: { type: 'string', description: 'delivered, waiting or late' }, frequency: { type: 'string', description: 'a delivery frequency code' }, partner: { type: 'string', description: 'partner organisation id' }, limit: { type: 'integer', description: 'items listed (default 1000, at most 5000); `total` counts them all' }, offset: { type: 'integer', description: 'items skipped' } },
  async run(ctx, input) {
    ctx.authorize('monitor_dashboard');
    const offset = naturalNumber(input, 'offset', 1_000_000) ?? 0;
    const limit = naturalNumber(input, 'limit', 5000) ?? 1000;
    const all = await monitorItems(ctx.db, ctx.actor, ctx.now);
    const items = filterItems(all, input);
    const totals = zero();
    const byPartner = new Map<string, Count & { partner: string; partner_id: string }>();
    const byFreq = new Map<string, Count>(CODES.delivery_frequency.map((c) => [c.value, zero()]));
    for (const i of items) {
      const p = byPartner.get(i.partner_org) ?? { ...zero(), partner: i.partner_title, partner_id: i.partner_org };
      byPartner.set(i.partner_org, p);
      const f = byFreq.get(i.frequency) ?? zero();
      byFreq.set(i.frequency, f);
      for (const c of [totals, p, f]) { c[i.state]++; c.total++; }
    }
    return {
      ...totals,
      by_partner: [...byPartner.values()],
      by_frequency: [...byFreq].map(([frequency, c]) => ({ frequency, label: codeLabel(CODES.delivery_frequency, frequency), ...c })),
      // Flag counts over the unfiltered items the caller sees, so the filter links show what each would give.
      flags: FLAGS.map((f) => ({ flag: f.value, label: f.label, computed: f.computed, count: all.filter((i) => i.flags.includes(f.value)).length })),
      // The list is a page of the items counted above: `total` is the whole, items_offset where the page starts.
      items_offset: offset,
      items: items.slice(offset, offset + limit),
    };
  },
});

export const monitorFlagSet = defineAction({
  name: 'monitor_flag_set',
  readOnly: false,
  summary: 'Set the known-limit flags of a linkage item (format_differs, accuracy_incomplete, availability_incomplete) with a note; not_linked is computed.',
  params: { linkage_id: { type: 'string', description: 'linkage id', required: true }, dataset_id: { type: 'string', description: 'the item\'s dataset (none: the linkage\'s only item)' }, flags: { type: 'array', description: 'flag codes' }, note: { type: 'string', description: 'why' } },
  async run(ctx, input) {
    const lid = typeof input.linkage_id === 'string' && UUID.test(input.linkage_id) ? input.linkage_id.toLowerCase() : null;
    const l = lid ? await ctx.db.selectFrom('linkages').select(['id', 'owner_org', 'partner_org', 'datasets']).where('id', '=', lid).executeTakeFirst() : undefined;
    // A linkage the caller may not see (the registry's rule, as delivery_list) answers as a missing one; a party who sees it but may not set flags gets the 403.
    if (!l || !(ctx.can('monitor_flag_set', { owner_org: l.owner_org }) || ctx.can('delivery_list', { owner_org: l.owner_org, partner_org: l.partner_org }))) {
      try { ctx.authorize('monitor_flag_set', { owner_org: null }); } catch { /* 404 either way */ }
      throw new NotFoundError({ th: 'ไม่พบการเชื่อมโยง', en: 'Linkage not found' });
    }
    ctx.authorize('monitor_flag_set', { owner_org: l.owner_org });
    const bag = new ErrorBag();
    const ds = typeof input.dataset_id === 'string' && input.dataset_id ? input.dataset_id.toLowerCase() : null;
    if (ds && !(l.datasets as string[]).includes(ds)) bag.add('dataset_id', { th: 'ชุดข้อมูลนี้ไม่อยู่ในการเชื่อมโยง', en: 'The dataset is not part of this linkage' });
    const raw = Array.isArray(input.flags) ? input.flags : typeof input.flags === 'string' && input.flags ? [input.flags] : [];
    const settable = FLAGS.filter((f) => !f.computed).map((f) => f.value);
    const flags = [...new Set(raw.filter((f): f is string => typeof f === 'string'))];
    for (const f of flags) if (!settable.includes(f)) bag.add('flags', { th: `ตั้งข้อจำกัด "${f.slice(0, 40)}" ไม่ได้`, en: `"${f.slice(0, 40)}" is not a flag you can set (${settable.join(', ')})` });
    const note = typeof input.note === 'string' ? input.note.slice(0, 2000) : '';
    bag.throwIfAny();
    const key = `${l.id}:${ds ?? '-'}`;
    const me = ctx.actor.kind === 'user' ? ctx.actor.user.id : null;
    await ctx.db.insertInto('monitor_flags').values({ item_key: key, linkage_id: l.id, flags: JSON.stringify(flags), note, updated: ctx.now, updated_by: me })
      .onConflict((oc) => oc.column('item_key').doUpdateSet({ flags: JSON.stringify(flags), note, updated: ctx.now, updated_by: me })).execute();
    await ctx.audit({ action: 'monitor_flag_set', object_type: 'linkage', object_id: l.id, detail: { dataset: ds, flags } });
    return { item_key: key, flags, note };
  },
});

export const deliveryList = defineAction({
  name: 'delivery_list',
  readOnly: true,
  summary: 'Observed deliveries of a linkage (its own, its agreement\'s and its datasets\'), newest first.',
  params: { linkage_id: { type: 'string', description: 'linkage id', required: true }, limit: { type: 'integer', description: 'at most this many (default 50)' } },
  async run(ctx, input) {
    const lid = typeof input.linkage_id === 'string' && UUID.test(input.linkage_id) ? input.linkage_id.toLowerCase() : null;
    const l = lid ? await ctx.db.selectFrom('linkages').select(['id', 'owner_org', 'partner_org', 'datasets', 'agreement_id']).where('id', '=', lid).executeTakeFirst() : undefined;
    if (!l || !(ctx.can('monitor_flag_set', { owner_org: l.owner_org }) || ctx.can('delivery_list', { owner_org: l.owner_org, partner_org: l.partner_org }))) {
      try { ctx.authorize('delivery_list', { owner_org: null }); } catch { /* 404 either way */ }
      throw new NotFoundError({ th: 'ไม่พบการเชื่อมโยง', en: 'Linkage not found' });
    }
    ctx.authorize('delivery_list', { owner_org: l.owner_org, partner_org: l.partner_org });
    const ds = l.datasets as string[];
    const rows = await ctx.db.selectFrom('exchange_deliveries').selectAll().where((eb) => eb.or([
      eb('linkage_id', '=', l.id),
      ...(l.agreement_id ? [eb.and([eb('linkage_id', 'is', null), eb('agreement_id', '=', l.agreement_id)])] : []),
      ...(ds.length ? [eb.and([eb('linkage_id', 'is', null), eb('agreement_id', 'is', null), eb('dataset_id', 'in', ds)])] : []),
    ])).orderBy('at', 'desc').limit(Math.min(naturalNumber(input, 'limit') ?? 50, 500)).execute();
    return rows.map((r) => ({ id: r.id, at: new Date(r.at).toISOString(), kind: r.kind, dataset_id: r.dataset_id, resource_id: r.resource_id, agreement_id: r.agreement_id, rows: r.row_count === null ? null : Number(r.row_count), ok: r.ok, ref: r.ref }));
  },
});

/**
 * The late check the durable job runs as the system: each item that is late now and was not told
 * for this lateness (its due time) notifies the owner organisation's data owners and IT officers in
 * the inbox and by mail. The notice row's key (item, due time) makes it once per lateness, across
 * processes; a new delivery moves the due time, so a later lateness is told again.
 */
export const monitorLateCheck = defineAction({
  name: 'monitor_late_check',
  readOnly: false,
  audit: false, // a sweep every minute; the notices it sends stay in the mail outbox
  internal: true,
  summary: 'Notify owners and IT of linkage items that became late (once per lateness).',
  async run(ctx) {
    ctx.authorize('monitor_late_check');
    const late = (await monitorItems(ctx.db, ctx.actor, ctx.now)).filter((i) => i.state === 'late' && i.due_at);
    let told = 0;
    for (const i of late) {
      const people = new Map<string, { id: string; name: string; fullname: string; email: string; locale: string }>();
      for (const role of ['data_owner', 'it_officer']) for (const u of await dutyHolders(ctx.db, role, i.owner_org)) people.set(u.id, u);
      const fresh = await ctx.db.insertInto('monitor_late_notices').values({ item_key: i.key, due_at: i.due_at!, notified_at: ctx.now, recipients: people.size })
        .onConflict((oc) => oc.columns(['item_key', 'due_at']).doNothing()).returning('item_key').executeTakeFirst();
      if (!fresh) continue;
      told++;
      const what = i.dataset_title ?? i.dataset_name ?? i.number;
      const freq = codeLabel(CODES.delivery_frequency, i.frequency);
      const url = `${ctx.services.config.siteUrl}/exchange/monitoring?state=late`;
      for (const u of people.values()) {
        await ctx.db.insertInto('notifications').values({ id: crypto.randomUUID(), user_id: u.id, case_id: null, kind: 'delivery_late', title_th: `[${i.number}] ส่งข้อมูลล่าช้า: ${what} (${i.partner_title})`, title_en: `[${i.number}] Late delivery: ${what} (${i.partner_title})`, url: '/exchange/monitoring?state=late', created: ctx.now, read_at: null }).execute();
        const lang = u.locale === 'en' ? 'en' : 'th';
        const never = lang === 'en' ? 'nothing received yet' : 'ยังไม่เคยได้รับข้อมูล';
        await queueMail(ctx.db, { to: u.email, template: 'delivery_late', lang, vars: { name: u.fullname || u.name, number: i.number, item: what, partner: i.partner_title, frequency: lang === 'en' ? freq?.en : freq?.th, last: i.last_delivery ? dateTimeText(new Date(i.last_delivery), lang) : never, due: dateTimeText(new Date(i.due_at!), lang), url, site: ctx.services.config.siteTitle } });
      }
      await ctx.audit({ action: 'delivery_late_notice', object_type: 'linkage', object_id: i.linkage_id, detail: { item: i.key, due_at: i.due_at, recipients: people.size } });
    }
    return { late: late.length, notified: told };
  },
});

export const monitoringActions = [monitorDashboard, monitorFlagSet, deliveryList, monitorLateCheck];
