import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, type ActionDef, type ActionInput } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError, type Msg } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { queueMail } from '../../mail/outbox.ts';
import type { CaseRecord } from '../../workflow/types.ts';
import type { TransitionResult } from '../../workflow/engine.ts';
import { ckanTime } from '../../util/time.ts';
import type { GroupRow } from '../../store/schema.ts';
import { dutyHolders, workflows } from './cases-engine.ts';
import { publishDraft, saveDraft, withdrawDraft } from './documents.ts';

/**
 * P7, the yearly review of the integration manual (seed 000 §6.1), around the engine's case:
 * the memo goes to every unit below the agency, each unit replies once (a row per unit, which it
 * may correct while replies are open), IT summarises, and the committee's signature publishes the
 * draft manual as the next version. The data policy process shares the document part.
 */
export interface Unit {
  id: string;
  name: string;
  title: string;
}

/** Units asked by the memo: every active organisation below the agency (the agency itself when it has none). */
export async function reviewUnits(ctx: ActionContext, agency: GroupRow): Promise<Unit[]> {
  const r = await sql<Unit>`
    WITH RECURSIVE tree(id, depth) AS (
      SELECT id, 0 FROM groups WHERE parent_id = ${agency.id}::uuid
      UNION ALL SELECT g.id, t.depth + 1 FROM groups g JOIN tree t ON g.parent_id = t.id WHERE t.depth < 20
    )
    SELECT DISTINCT g.id, g.name, g.title FROM groups g JOIN tree t ON t.id = g.id
    WHERE g.state = 'active' AND g.is_organization ORDER BY g.title LIMIT 500`.execute(ctx.db);
  return r.rows.length ? r.rows : [{ id: agency.id, name: agency.name, title: agency.title }];
}

export function unitsOf(c: CaseRecord): Unit[] {
  return Array.isArray(c.facts.units) ? (c.facts.units as Unit[]) : [];
}

/** Facts the summary step reads, recomputed from the replies table at each step. */
export async function reviewFacts(ctx: ActionContext, c: CaseRecord): Promise<Record<string, unknown>> {
  const n = await ctx.db.selectFrom('annual_review_replies').select((eb) => eb.fn.countAll<string>().as('n')).where('case_id', '=', c.id).executeTakeFirst();
  const replies = Number(n?.n ?? 0);
  return { has_replies: replies > 0, replies_count: replies };
}

export async function reviewReplies(ctx: ActionContext, caseId: string) {
  const rows = await ctx.db
    .selectFrom('annual_review_replies as r')
    .innerJoin('groups as g', 'g.id', 'r.unit_id')
    .select(['r.unit_id', 'g.name as unit_name', 'g.title as unit_title', 'r.needs', 'r.linkage_review', 'r.replied_by_name', 'r.at'])
    .where('r.case_id', '=', caseId)
    .orderBy('g.title')
    .execute();
  return rows.map((r) => ({ unit_id: r.unit_id, unit: r.unit_name, unit_title: r.unit_title, needs: r.needs, linkage_review: r.linkage_review, replied_by: r.replied_by_name, at: ckanTime(r.at) }));
}

/** Effects of P7 and data-policy steps on the documents, in the step's transaction. */
export async function documentEffects(ctx: ActionContext, r: TransitionResult): Promise<Record<string, unknown>> {
  const c = r.case;
  const t = r.event.transition;
  if (c.process === 'data_policy') {
    if (t === 'draft' || t === 'resubmit') return { document: { id: await saveDraft(ctx, c.id, c.org_id!, String(c.facts.part), r.event.inputs), state: 'draft' } };
    if (c.state === 'published') return { document: await publishDraft(ctx, c.id) };
    if (c.state === 'withdrawn') await withdrawDraft(ctx, c.id);
    return {};
  }
  if (c.process === 'annual_review') {
    if (t === 'send_memo') return { memo_sent_to: await tellUnits(ctx, c, 'memo', null) };
    if (t === 'draft_manual') return { document: { id: await saveDraft(ctx, c.id, c.org_id!, 'integration_manual', r.event.inputs), state: 'draft' } };
    if (c.state === 'published') {
      const document = await publishDraft(ctx, c.id);
      return { document, announced_to: await tellUnits(ctx, c, 'announce', document ? `${ctx.services.config.siteUrl}/policy/${document.id}` : null) };
    }
    if (c.state === 'cancelled') await withdrawDraft(ctx, c.id);
  }
  return {};
}

/**
 * The memo (and, at the end, the announcement of the new manual) reaches the data owners and
 * stewards of every unit: an inbox row and a mail each, the mail leaving after commit.
 */
async function tellUnits(ctx: ActionContext, c: CaseRecord, what: 'memo' | 'announce', link: string | null): Promise<number> {
  const proc = workflows().get(c.process);
  const state = proc.states.get(c.state)!.label;
  const told = new Set<string>();
  for (const unit of unitsOf(c)) {
    for (const role of ['data_owner', 'data_steward']) {
      for (const u of await dutyHolders(ctx.db, role, unit.id)) {
        if (told.has(u.id)) continue;
        told.add(u.id);
        const memo = what === 'memo';
        const url = memo ? `${ctx.services.config.siteUrl}/governance/reviews/${c.id}/reply/${unit.name}` : link ?? `${ctx.services.config.siteUrl}/policy`;
        await ctx.db.insertInto('notifications').values({
          id: crypto.randomUUID(), user_id: u.id, case_id: c.id, kind: memo ? 'case_waiting' : 'case_closed',
          title_th: memo ? `[${c.number}] บันทึกขอความต้องการเชื่อมโยงข้อมูล ปี ${c.facts.review_year} — ${unit.title}` : `[${c.number}] ประกาศใช้คู่มือการบูรณาการเชื่อมโยงข้อมูลฉบับใหม่`,
          title_en: memo ? `[${c.number}] Memo: linkage needs and review of existing linkages, ${c.facts.review_year} — ${unit.title}` : `[${c.number}] New version of the integration manual announced`,
          url, created: ctx.now, read_at: null,
        }).execute();
        const lang = u.locale === 'en' ? 'en' : 'th';
        await queueMail(ctx.db, { to: u.email, template: memo ? 'case_waiting' : 'case_closed', lang, vars: { name: u.fullname || u.name, number: c.number, process: lang === 'en' ? proc.def.label.en : proc.def.label.th, state: lang === 'en' ? state.en : state.th, url, reason: '', site: ctx.services.config.siteTitle } });
      }
    }
  }
  return told.size;
}

const REVIEW_NOT_FOUND: Msg = { th: 'ไม่พบการทบทวนนี้', en: 'Review not found' };

/** The case and the unit a reply is for; anyone not entitled to reply for the unit gets 404. */
async function replyTarget(ctx: ActionContext, input: ActionInput, rule: string): Promise<{ c: CaseRecord; unit: Unit }> {
  const id = input.id;
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw ValidationError.field('id', M.missing());
  if (typeof input.unit !== 'string' || !input.unit) throw ValidationError.field('unit', M.missing());
  const c = (await ctx.db.selectFrom('cases').selectAll().where('id', '=', id).where('process', '=', 'annual_review').executeTakeFirst()) as CaseRecord | undefined;
  const unit = c ? unitsOf(c).find((u) => u.name === input.unit || u.id === input.unit) : undefined;
  if (!c || !unit || !ctx.can(rule, { unit_id: unit.id, org_id: c.org_id })) {
    ctx.authorize('case_list');
    throw new NotFoundError(REVIEW_NOT_FOUND);
  }
  ctx.authorize(rule, { unit_id: unit.id, org_id: c.org_id });
  return { c, unit };
}

export const annualReviewReplyShow = defineAction({
  name: 'annual_review_reply_show',
  readOnly: true,
  summary: 'P7: the memo a unit received, its reply so far and the unit\'s linkages in the registry (for the unit\'s data owner or steward).',
  params: { id: { type: 'string', description: 'The annual_review case id', required: true }, unit: { type: 'string', description: 'The unit (organisation name or id)', required: true } },
  async run(ctx, input) {
    const { c, unit } = await replyTarget(ctx, input, 'annual_review_reply_show');
    const reply = (await reviewReplies(ctx, c.id)).find((r) => r.unit_id === unit.id) ?? null;
    const linkages = await ctx.db
      .selectFrom('linkages as l')
      .innerJoin('cases as k', 'k.id', 'l.case_id')
      .innerJoin('groups as p', 'p.id', 'l.partner_org')
      .select(['l.id', 'k.number', 'l.direction', 'k.state', 'l.method', 'l.frequency', 'p.title as partner'])
      .where('l.owner_org', '=', unit.id)
      .orderBy('k.number')
      .limit(500)
      .execute();
    return {
      case_id: c.id, number: c.number, state: c.state, open: c.state === 'collecting', unit,
      review_year: c.facts.review_year, memo: c.facts.memo, reply_by: c.facts.reply_by, reply, linkages,
    };
  },
});

export const annualReviewReply = defineAction({
  name: 'annual_review_reply',
  readOnly: false,
  summary: 'P7: a unit\'s reply to the yearly memo: its linkage needs and its review of existing linkages (one per unit; may be corrected while replies are open).',
  params: {
    id: { type: 'string', description: 'The annual_review case id', required: true },
    unit: { type: 'string', description: 'The unit replying (organisation name or id)', required: true },
    needs: { type: 'string', description: 'Linkage needs for the coming year', required: true },
    linkage_review: { type: 'string', description: 'Review of the unit\'s existing linkages', required: true },
  },
  async run(ctx, input) {
    const { c, unit } = await replyTarget(ctx, input, 'annual_review_reply');
    const errors: Record<string, Msg[]> = {};
    const text = (k: string) => {
      const v = input[k];
      if (typeof v !== 'string' || !v.trim()) (errors[k] ??= []).push(M.missing());
      else if (v.length > 20000) (errors[k] ??= []).push({ th: 'ยาวเกิน 20,000 ตัวอักษร', en: 'longer than 20,000 characters' });
      return typeof v === 'string' ? v.trim() : '';
    };
    const needs = text('needs');
    const review = text('linkage_review');
    if (Object.keys(errors).length) throw new ValidationError(errors);
    // Lock the case: a reply never lands after IT closed the replies with its summary.
    const locked = await ctx.db.selectFrom('cases').select('state').where('id', '=', c.id).forUpdate().executeTakeFirstOrThrow();
    if (locked.state !== 'collecting') throw ValidationError.field('state', { th: 'การทบทวนนี้ปิดรับคำตอบแล้ว', en: 'This review no longer takes replies' });
    const who = ctx.actor.kind === 'user' ? { id: ctx.actor.user.id, name: ctx.actor.user.name } : { id: null, name: 'system' };
    const prior = await ctx.db.selectFrom('annual_review_replies').select('id').where('case_id', '=', c.id).where('unit_id', '=', unit.id).executeTakeFirst();
    if (prior) {
      await ctx.db.updateTable('annual_review_replies').set({ needs, linkage_review: review, replied_by: who.id, replied_by_name: who.name, at: ctx.now }).where('id', '=', prior.id).execute();
    } else {
      await ctx.db.insertInto('annual_review_replies').values({ id: crypto.randomUUID(), case_id: c.id, unit_id: unit.id, needs, linkage_review: review, replied_by: who.id, replied_by_name: who.name, at: ctx.now }).execute();
    }
    await ctx.audit({ action: 'annual_review_reply', object_type: 'case', object_id: c.id, detail: { number: c.number, unit: unit.id, corrected: !!prior } });
    return { case_id: c.id, number: c.number, unit, needs, linkage_review: review, corrected: !!prior };
  },
});

export const reviewActions: ActionDef[] = [annualReviewReplyShow, annualReviewReply];
