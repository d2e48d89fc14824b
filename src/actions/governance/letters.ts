import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError, type Msg } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { letterFromCase } from '../../letters/from-case.ts';
import { renderDisclosureLetter } from '../../letters/disclosure.ts';
import { thaiDigits } from '../../letters/thai-date.ts';
import type { CaseEvent, CaseRecord } from '../../workflow/types.ts';
import { hashToken } from './cases-effects.ts';
import { mayViewCase } from './cases-engine.ts';

const NOT_FOUND: Msg = { th: 'ไม่พบเรื่องนี้', en: 'Case not found' };

async function loadEvents(ctx: ActionContext, id: string): Promise<CaseEvent[]> {
  return (await ctx.db.selectFrom('case_events').select(['seq', 'at', 'actor_id', 'actor_name', 'roles', 'transition', 'from_state', 'to_state', 'reason', 'inputs']).where('case_id', '=', id).orderBy('seq').execute()) as CaseEvent[];
}

/** The agency's letterhead: the top organisation above the case's (or one marked as an agency), with its extras. */
async function agencyOf(ctx: ActionContext, orgId: string | null) {
  if (!orgId) return { name: ctx.services.config.siteTitle, address: [] as string[] };
  const r = await sql<{ id: string; title: string; extras: Record<string, unknown>; parent_id: string | null }>`
    WITH RECURSIVE up(id, parent_id, title, extras, depth) AS (
      SELECT id, parent_id, title, extras, 0 FROM groups WHERE id = ${orgId}::uuid
      UNION ALL
      SELECT g.id, g.parent_id, g.title, g.extras, up.depth + 1 FROM groups g JOIN up ON g.id = up.parent_id WHERE up.depth < 20
    ) SELECT id, title, extras, parent_id FROM up ORDER BY depth`.execute(ctx.db);
  const chain = r.rows;
  const agency = chain.find((g) => g.extras?.agency === true || g.extras?.agency === 'true') ?? chain[chain.length - 1]!;
  const unit = chain[0]!;
  const ex = (agency.extras ?? {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: agency.title,
    address: s(ex.address).split('\n').filter(Boolean),
    unit: unit.id !== agency.id ? unit.title : undefined,
    phone: s(ex.phone) || undefined,
    email: s(ex.email) || undefined,
    letterPrefix: s(ex.letter_prefix),
  };
}

/**
 * What the exchange gateway served under the agreements this request produced, per dataset: the
 * fields and the records, summed from the audited calls (the audit row is the record of what went out).
 */
export async function gatewayDisclosures(ctx: Pick<ActionContext, "db">, caseId: string): Promise<{ dataset: string; fields: string[]; records: number; note?: string }[]> {
  const agreements = await ctx.db.selectFrom('agreements as a').innerJoin('cases as c', 'c.id', 'a.case_id').select(['a.id', 'c.number']).where('a.request_case_id', '=', caseId).execute();
  if (!agreements.length) return [];
  const ids = agreements.map((x) => x.id);
  const r = await sql<{ agreement: string; dataset_id: string; calls: string; records: string }>`
    SELECT object_id::text AS agreement, detail->>'dataset_id' AS dataset_id, count(*) AS calls, coalesce(sum((detail->>'row_count')::int), 0) AS records
    FROM audit_log WHERE action = 'exchange_call' AND object_id::text = ANY(${ids}::text[])
    GROUP BY object_id::text, detail->>'dataset_id'`.execute(ctx.db);
  const f = await sql<{ agreement: string; dataset_id: string; field: string }>`
    SELECT DISTINCT a.object_id::text AS agreement, a.detail->>'dataset_id' AS dataset_id, f.value AS field
    FROM audit_log a CROSS JOIN LATERAL jsonb_array_elements_text(a.detail->'fields') AS f(value)
    WHERE a.action = 'exchange_call' AND a.object_id::text = ANY(${ids}::text[])`.execute(ctx.db);
  const fieldsOf = (ag: string, ds: string) => f.rows.filter((x) => x.agreement === ag && x.dataset_id === ds).map((x) => x.field).sort();
  if (!r.rows.length) return [];
  const titles = new Map((await ctx.db.selectFrom('datasets').select(['id', 'title']).where('id', 'in', r.rows.map((x) => x.dataset_id)).execute()).map((d) => [d.id, d.title]));
  const numbers = new Map(agreements.map((a) => [a.id, a.number]));
  return r.rows.map((x) => ({
    dataset: titles.get(x.dataset_id) ?? x.dataset_id,
    fields: fieldsOf(x.agreement, x.dataset_id),
    records: Number(x.records),
    note: `ผ่านเกตเวย์ตามข้อตกลง ${numbers.get(x.agreement) ?? ''} (${Number(x.calls)} ครั้ง)`,
  }));
}

/** The evidence letter (seed 000 rule 5) of a finished case that disclosed data, as PDF bytes. */
export async function evidenceLetter(ctx: ActionContext, c: CaseRecord): Promise<{ filename: string; pdf: Buffer }> {
  const events = await loadEvents(ctx, c.id);
  const agency = await agencyOf(ctx, c.org_id);
  const people: Record<string, { name?: string }> = {};
  const ids = [...new Set(events.map((e) => e.actor_id).filter((x): x is string => !!x))];
  if (ids.length) for (const u of await ctx.db.selectFrom('users').select(['id', 'fullname', 'name']).where('id', 'in', ids).execute()) people[u.id] = { name: u.fullname || u.name };
  const closing = events[events.length - 1]!;
  const signer = people[closing.actor_id ?? ''] ?? { name: closing.actor_name };
  const seq = c.number.split('-').pop() ?? c.number;
  const letter = letterFromCase({ case: c, events }, {
    agency: { name: agency.name, address: agency.address, unit: agency.unit, phone: agency.phone, email: agency.email },
    number: `${agency.letterPrefix || 'ทส'} ${thaiDigits(String(Number(seq)))}/${thaiDigits(c.number.split('-')[1] ?? '')}`,
    date: c.closed_at ?? ctx.now,
    signer: { name: signer.name ?? closing.actor_name, position: 'เจ้าหน้าที่ผู้บันทึกการเปิดเผยข้อมูล' },
    people,
    alsoDisclosed: await gatewayDisclosures(ctx, c.id),
  });
  return { filename: `evidence-${c.number}.pdf`, pdf: await renderDisclosureLetter(letter) };
}

export const evidenceLetterShow = defineAction({
  name: 'evidence_letter_show',
  readOnly: true,
  summary: 'The evidence-of-disclosure letter (PDF, base64 in `data`) of a finished information or data-subject request, for the people entitled to the case.',
  params: { id: { type: 'string', description: 'Case id or number', required: true } },
  async run(ctx, input) {
    const ref = input.id ?? input.number;
    if (typeof ref !== 'string' || !ref.trim() || ref.length > 64) throw ValidationError.field('id', M.missing());
    const q = ctx.db.selectFrom('cases').selectAll();
    const c = (await (/^[0-9a-f-]{36}$/i.test(ref) ? q.where('id', '=', ref) : q.where('number', '=', ref.trim())).executeTakeFirst()) as CaseRecord | undefined;
    if (!c || !mayViewCase(ctx.actor, c)) {
      try {
        ctx.authorize('evidence_letter_show', { created_by: null, org_id: null });
      } catch {
        /* not found either way */
      }
      throw new NotFoundError(NOT_FOUND);
    }
    if (!c.closed_at) throw ValidationError.field('case', { th: `เรื่อง ${c.number} ยังไม่สิ้นสุด จึงยังไม่มีหนังสือหลักฐานการเปิดเผยข้อมูล`, en: `Case ${c.number} has not finished, so there is no evidence letter yet` });
    ctx.authorize('evidence_letter_show', c);
    const { filename, pdf } = await evidenceLetter(ctx, c);
    await ctx.audit({ action: 'evidence_letter_show', object_type: 'case', object_id: c.id, detail: { number: c.number, bytes: pdf.length } });
    return { filename, content_type: 'application/pdf', size: pdf.length, data: pdf.toString('base64') };
  },
});

const LINK_GONE: Msg = { th: 'ลิงก์นี้ใช้ไม่ได้ (ใช้ไปแล้ว หมดอายุ หรือไม่ใช่ของท่าน)', en: 'This link cannot be used (already used, expired, or not yours)' };

/**
 * The one-time answer of a data-subject request: only the verified requester, signed in, once,
 * before it expires. Marked used in the same transaction that reads it, so two clicks get one file.
 */
export const caseAnswerDownload = defineAction({
  name: 'case_answer_download',
  readOnly: false,
  summary: 'Follows the one-time link of a delivered data-subject request (token); the verified requester gets the answer once (PDF, base64 in `data`).',
  params: { token: { type: 'string', description: 'The token of the link sent to the requester', required: true } },
  async run(ctx, input) {
    ctx.authorize('case_answer_download');
    if (typeof input.token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(input.token)) throw new NotFoundError(LINK_GONE);
    const uid = ctx.actor.kind === 'user' ? ctx.actor.user.id : '';
    const link = await ctx.db.selectFrom('case_links').selectAll().where('token_hash', '=', hashToken(input.token)).forUpdate().executeTakeFirst();
    if (!link || link.user_id !== uid || link.used_at || new Date(link.expires) <= ctx.now) {
      if (link) await ctx.audit({ action: 'case_answer_refused', object_type: 'case', object_id: link.case_id, detail: { reason: link.user_id !== uid ? 'not the requester' : link.used_at ? 'used' : 'expired' } });
      ctx.failAfterCommit(new NotFoundError(LINK_GONE));
      return null;
    }
    await ctx.db.updateTable('case_links').set({ used_at: ctx.now }).where('id', '=', link.id).execute();
    const c = (await ctx.db.selectFrom('cases').selectAll().where('id', '=', link.case_id).executeTakeFirstOrThrow()) as CaseRecord;
    const { filename, pdf } = await evidenceLetter(ctx, c);
    await ctx.audit({ action: 'case_answer_download', object_type: 'case', object_id: c.id, detail: { number: c.number, bytes: pdf.length } });
    return { filename, content_type: 'application/pdf', size: pdf.length, data: pdf.toString('base64') };
  },
});

export const letterActions: ActionDef[] = [evidenceLetterShow, caseAnswerDownload];
