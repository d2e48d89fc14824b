import crypto from 'node:crypto';
import { defineAction, type ActionDef } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ValidationError } from '../errors.ts';
import { readPaging } from '../params.ts';
import { queueTransitionMail, type Recipient } from '../../workflow/notify.ts';
import type { TransitionResult } from '../../workflow/engine.ts';
import type { CaseRecord } from '../../workflow/types.ts';
import { dutyHolders, workflows } from './cases-engine.ts';
import { ckanTime } from '../../util/time.ts';

export function caseUrl(ctx: Pick<ActionContext, 'services'>, c: Pick<CaseRecord, 'id'>): string {
  return `${ctx.services.config.siteUrl}/governance/cases/${c.id}`;
}

interface Person {
  id: string;
  email: string;
  name: string;
  lang: 'th' | 'en';
}

async function peopleFor(ctx: ActionContext, role: string, c: CaseRecord): Promise<Person[]> {
  if (role === 'creator' || role === 'requester') {
    if (!c.created_by) return [];
    const u = await ctx.db.selectFrom('users').select(['id', 'name', 'fullname', 'email', 'locale']).where('id', '=', c.created_by).where('state', '=', 'active').executeTakeFirst();
    if (!u) return [];
    // The contact address the requester gave on the form wins over the account's (a requester is reached where they asked to be).
    const email = typeof c.facts.email === 'string' && c.process !== 'publication' ? c.facts.email : u.email;
    return [{ id: u.id, email, name: u.fullname || u.name, lang: u.locale === 'en' ? 'en' : 'th' }];
  }
  return (await dutyHolders(ctx.db, role, c.org_id)).map((u) => ({ id: u.id, email: u.email, name: u.fullname || u.name, lang: u.locale === 'en' ? 'en' : 'th' }));
}

/**
 * Tells the people a step's definition names (`notify`): an inbox row each and a Thai (or English)
 * mail, both written in the step's transaction, so nothing is announced that did not commit; the mail
 * itself leaves after commit from the durable queue. The actor is not told about their own step.
 */
export async function notifyTransition(ctx: ActionContext, result: TransitionResult, extra: { url?: (userId: string) => string | null } = {}): Promise<void> {
  const c = result.case;
  const proc = workflows().get(c.process);
  const state = proc.states.get(c.state)!.label;
  const waiting = new Set(workflows().waitingRoles(c));
  const me = ctx.actor.kind === 'user' ? ctx.actor.user.id : null;
  const told = new Set<string>();
  const rows: { id: string; user_id: string; case_id: string; kind: string; title_th: string; title_en: string; url: string; created: Date; read_at: null }[] = [];
  const byRole = new Map<string, Person[]>();
  for (const role of result.notify) {
    const people = await peopleFor(ctx, role, c);
    byRole.set(role, people);
    for (const p of people) {
      if (p.id === me || told.has(p.id)) continue;
      told.add(p.id);
      const kind = c.closed_at ? 'case_closed' : waiting.has(role) ? 'case_waiting' : 'case_update';
      const prefix = kind === 'case_waiting' ? { th: 'รอการดำเนินการของท่าน', en: 'Waiting for you' } : kind === 'case_closed' ? { th: 'แจ้งผล', en: 'Outcome' } : { th: 'ความคืบหน้า', en: 'Update' };
      rows.push({
        id: crypto.randomUUID(), user_id: p.id, case_id: c.id, kind,
        title_th: `[${c.number}] ${prefix.th}: ${proc.def.label.th} — ${state.th}`,
        title_en: `[${c.number}] ${prefix.en}: ${proc.def.label.en} — ${state.en}`,
        url: extra.url?.(p.id) ?? caseUrl(ctx, c), created: ctx.now, read_at: null,
      });
    }
  }
  if (rows.length) await ctx.db.insertInto('notifications').values(rows).execute();
  const resolve = async (role: string): Promise<Recipient[]> => (byRole.get(role) ?? []).filter((p) => p.id !== me).map((p) => ({ email: p.email, name: p.name, lang: p.lang }));
  await queueTransitionMail(ctx.db, workflows(), result, resolve, { siteTitle: ctx.services.config.siteTitle, caseUrl: (x) => caseUrl(ctx, x) });
}

export const notificationList = defineAction({
  name: 'notification_list',
  readOnly: true,
  summary: 'The caller\'s inbox, newest first (unread_only, limit, offset); also answers the unread count.',
  params: { unread_only: { type: 'boolean', description: 'Only unread notifications' }, limit: { type: 'integer', description: 'At most this many (default 50, max 200)' }, offset: { type: 'integer', description: 'Skip this many' } },
  async run(ctx, input) {
    ctx.authorize('notification_list');
    if (ctx.actor.kind !== 'user') return { count: 0, unread: 0, results: [] };
    const uid = ctx.actor.user.id;
    const { limit, offset } = readPaging(input, 50, 200);
    const unreadOnly = input.unread_only === true || input.unread_only === 'true';
    let q = ctx.db.selectFrom('notifications').selectAll().where('user_id', '=', uid);
    if (unreadOnly) q = q.where('read_at', 'is', null);
    const rows = await q.orderBy('created', 'desc').orderBy('id').limit(limit).offset(offset).execute();
    const unread = await unreadCount(ctx, uid);
    return {
      unread,
      results: rows.map((r) => ({ id: r.id, case_id: r.case_id, kind: r.kind, title: ctx.lang === 'en' ? r.title_en : r.title_th, url: r.url, created: ckanTime(r.created), read: r.read_at !== null })),
    };
  },
});

async function unreadCount(ctx: ActionContext, uid: string): Promise<number> {
  const n = await ctx.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', uid).where('read_at', 'is', null).executeTakeFirst();
  return Number(n?.n ?? 0);
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const notificationMarkRead = defineAction({
  name: 'notification_mark_read',
  readOnly: false,
  audit: false, // the caller's own inbox state: neither a disclosure nor a decision
  summary: 'Marks the caller\'s notifications read: `id` (one or a list) or `all: true`.',
  params: { id: { type: 'string', description: 'A notification id, or a list of them' }, all: { type: 'boolean', description: 'Mark every notification read' } },
  async run(ctx, input) {
    ctx.authorize('notification_mark_read');
    if (ctx.actor.kind !== 'user') return { updated: 0, unread: 0 };
    const uid = ctx.actor.user.id;
    let q = ctx.db.updateTable('notifications').set({ read_at: ctx.now }).where('user_id', '=', uid).where('read_at', 'is', null);
    if (input.all !== true && input.all !== 'true') {
      const ids = Array.isArray(input.id) ? input.id : [input.id];
      if (!ids.length || ids.some((i) => typeof i !== 'string' || !ID.test(i))) throw ValidationError.field('id', { th: 'ระบุรหัสการแจ้งเตือน หรือ all', en: 'Give a notification id, or all' });
      q = q.where('id', 'in', ids as string[]);
    }
    const r = await q.executeTakeFirst();
    return { updated: Number(r.numUpdatedRows), unread: await unreadCount(ctx, uid) };
  },
});

/** Unread count for the header badge (pages call it for signed-in users). */
export const notificationCount = defineAction({
  name: 'notification_count',
  readOnly: true,
  internal: true,
  summary: 'Unread notifications of the caller.',
  async run(ctx) {
    ctx.authorize('notification_list');
    return ctx.actor.kind === 'user' ? unreadCount(ctx, ctx.actor.user.id) : 0;
  },
});

export const notificationActions: ActionDef[] = [notificationList, notificationMarkRead, notificationCount];
