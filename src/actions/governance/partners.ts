import crypto from 'node:crypto';
import criteriaFile from './data/partner-criteria.json' with { type: 'json' };
import { defineAction } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, ValidationError, type Msg } from '../errors.ts';
import { isSysadmin } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import { bangkokDay } from '../../workflow/numbers.ts';
import { naturalNumber } from '../params.ts';
import { UUID, checkText, findOrg, notFound } from './agreements-shared.ts';

/** P6 partner selection (§7.1): 14 weighted criteria as data, a score sheet per partner, pass at the pass mark. */
export interface Criterion {
  key: string;
  aspect: string;
  weight: number;
  label: Msg;
}

export interface CriteriaSet {
  version: number;
  pass_mark: number;
  valid_for_days: number;
  aspects: { key: string; label: Msg }[];
  criteria: Criterion[];
}

/** Checks a criteria file: weights total 100, keys unique, aspects known. Throws at load (boot) otherwise. */
export function checkCriteria(c: CriteriaSet): CriteriaSet {
  const problems: string[] = [];
  const total = c.criteria.reduce((s, x) => s + x.weight, 0);
  if (total !== 100) problems.push(`weights total ${total}, not 100`);
  const keys = new Set<string>();
  for (const x of c.criteria) {
    if (keys.has(x.key)) problems.push(`duplicate criterion "${x.key}"`);
    keys.add(x.key);
    if (!c.aspects.some((a) => a.key === x.aspect)) problems.push(`criterion "${x.key}": unknown aspect "${x.aspect}"`);
    if (!Number.isInteger(x.weight) || x.weight <= 0) problems.push(`criterion "${x.key}": weight must be a positive integer`);
    if (!x.label?.th || !x.label?.en) problems.push(`criterion "${x.key}": label needs th and en`);
  }
  if (!(c.pass_mark > 0 && c.pass_mark <= 100)) problems.push('pass_mark must be within 1–100');
  if (!(Number.isInteger(c.valid_for_days) && c.valid_for_days > 0)) problems.push('valid_for_days must be a positive integer');
  if (problems.length) throw new Error(`Invalid partner criteria:\n  - ${problems.join('\n  - ')}`);
  return c;
}

export const CRITERIA: CriteriaSet = checkCriteria(criteriaFile as CriteriaSet);

export interface ScoredItem {
  key: string;
  score: 0 | 1;
  weight: number;
  points: number;
  evidence: string;
}

/** Scores the sheet: every criterion needs 0 or 1, and a 1 needs its evidence. */
export function scoreSheet(raw: unknown, evidence: unknown, criteria = CRITERIA): { items: ScoredItem[]; total: number; passed: boolean } {
  const bag = new ErrorBag();
  const scores = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  const ev = evidence && typeof evidence === 'object' && !Array.isArray(evidence) ? (evidence as Record<string, unknown>) : {};
  if (!scores) bag.add('scores', { th: 'ต้องให้คะแนนทุกข้อ (0 หรือ 1)', en: 'Score every criterion (0 or 1)' });
  const items: ScoredItem[] = [];
  for (const c of criteria.criteria) {
    const v = scores ? (Object.hasOwn(scores, c.key) ? scores[c.key] : undefined) : undefined;
    const n = v === 1 || v === '1' || v === true ? 1 : v === 0 || v === '0' || v === false ? 0 : null;
    if (scores && n === null) bag.add(`scores.${c.key}`, { th: `ให้คะแนนข้อ "${c.label.th}" เป็น 0 หรือ 1`, en: `Score "${c.label.en}" 0 or 1` });
    const e = checkText(bag, `evidence.${c.key}`, Object.hasOwn(ev, c.key) ? ev[c.key] : undefined, { max: 2000 });
    if (n === 1 && !e) bag.add(`evidence.${c.key}`, { th: 'คะแนน 1 ต้องมีหลักฐานประกอบ', en: 'A score of 1 needs its evidence' });
    items.push({ key: c.key, score: (n ?? 0) as 0 | 1, weight: c.weight, points: (n ?? 0) * c.weight, evidence: e });
  }
  if (scores) for (const k of Object.keys(scores)) if (!criteria.criteria.some((c) => c.key === k)) bag.add(`scores.${k}`, { th: 'ไม่มีเกณฑ์ข้อนี้', en: 'No such criterion' });
  bag.throwIfAny();
  const total = items.reduce((s, i) => s + i.points, 0);
  return { items, total, passed: total >= criteria.pass_mark };
}

function dutyOrgs(ctx: ActionContext): string[] {
  return [...new Set(ROLE_KEYS.flatMap((r) => orgsWithDuty(ctx.actor, r)))];
}

function present(r: Record<string, any>, now: Date) {
  return { ...r, valid_until: new Date(r.valid_until).toISOString(), created: new Date(r.created).toISOString(), current: r.passed && new Date(r.valid_until) > now, pass_mark: CRITERIA.pass_mark };
}

/** A passing assessment of the partner by this organisation that is still current at `now`. */
export async function currentAssessment(ctx: Pick<ActionContext, 'db'>, org: string, partner: string, now: Date) {
  return ctx.db.selectFrom('partner_assessments').selectAll().where('org_id', '=', org).where('partner_org', '=', partner).where('passed', '=', true).where('valid_until', '>', now).orderBy('valid_until', 'desc').executeTakeFirst();
}

export const partnerCriteriaShow = defineAction({
  name: 'partner_criteria_show',
  readOnly: true,
  summary: 'The partner selection criteria (§7.1): aspects, 14 weighted items (total 100), pass mark, validity period.',
  async run(ctx) {
    ctx.authorize('partner_criteria_show');
    return CRITERIA;
  },
});

export const partnerAssessmentCreate = defineAction({
  name: 'partner_assessment_create',
  readOnly: false,
  summary: 'Record a partner selection score sheet (P6): organization (assessing), partner, assessed_on, scores {criterion: 0|1}, evidence {criterion: text}. Passes at the pass mark; current for the configured period.',
  async run(ctx, input) {
    const bag = new ErrorBag();
    const org = await findOrg(ctx.db, bag, 'organization', input.organization);
    ctx.authorize('partner_assessment_create', { owner_org: org?.id ?? null });
    const partner = await findOrg(ctx.db, bag, 'partner', input.partner);
    if (org && partner && org.id === partner.id) bag.add('partner', { th: 'ประเมินหน่วยงานของตนเองไม่ได้', en: 'An organisation cannot assess itself' });
    // Dates are Bangkok calendar days: from midnight to 07:00 there the UTC date is still yesterday.
    const today = bangkokDay(ctx.now);
    let on = typeof input.assessed_on === 'string' && input.assessed_on ? input.assessed_on : today;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(new Date(`${on}T00:00:00Z`).getTime()) || new Date(`${on}T00:00:00Z`).toISOString().slice(0, 10) !== on) {
      bag.add('assessed_on', { th: 'วันที่ประเมินไม่ถูกต้อง (YYYY-MM-DD)', en: 'Not a valid date (YYYY-MM-DD)' });
      on = today;
    } else if (on > today) bag.add('assessed_on', { th: 'วันที่ประเมินอยู่ในอนาคตไม่ได้', en: 'The assessment date cannot be in the future' });
    const note = checkText(bag, 'note', input.note, { max: 4000 });
    let sheet: ReturnType<typeof scoreSheet> | null = null;
    try { sheet = scoreSheet(input.scores, input.evidence); } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const [k, msgs] of Object.entries(e.errors)) for (const m of msgs) bag.add(k, m);
    }
    bag.throwIfAny();
    const id = crypto.randomUUID();
    const validUntil = new Date(new Date(`${on}T00:00:00Z`).getTime() + CRITERIA.valid_for_days * 86400_000);
    const row = {
      id, org_id: org!.id, partner_org: partner!.id, assessor_id: ctx.actor.kind === 'user' ? ctx.actor.user.id : null, assessor_name: ctx.actor.kind === 'user' ? ctx.actor.user.name : 'system',
      assessed_on: on, criteria_version: CRITERIA.version, items: JSON.stringify(sheet!.items), total: sheet!.total, passed: sheet!.passed, valid_until: validUntil, note, created: ctx.now,
    };
    await ctx.db.insertInto('partner_assessments').values(row).execute();
    await ctx.audit({ action: 'partner_assessment_create', object_type: 'partner_assessment', object_id: id, detail: { partner: partner!.id, total: sheet!.total, passed: sheet!.passed } });
    return present({ ...row, items: sheet!.items, partner: partner, organization: org }, ctx.now);
  },
});

export const partnerAssessmentShow = defineAction({
  name: 'partner_assessment_show',
  readOnly: true,
  summary: 'One partner score sheet with the assessor, date and evidence per item.',
  async run(ctx, input) {
    const id = input.id;
    const row = typeof id === 'string' && UUID.test(id) ? await ctx.db.selectFrom('partner_assessments').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!row || !ctx.can('partner_assessment_show', { owner_org: row.org_id })) {
      try { ctx.authorize('partner_assessment_show', { owner_org: row?.org_id ?? null }); } catch { /* 404 either way */ }
      throw notFound();
    }
    ctx.authorize('partner_assessment_show', { owner_org: row.org_id });
    const orgs = await ctx.db.selectFrom('groups').select(['id', 'name', 'title']).where('id', 'in', [row.org_id, row.partner_org]).execute();
    return present({ ...row, partner: orgs.find((o) => o.id === row.partner_org), organization: orgs.find((o) => o.id === row.org_id) }, ctx.now);
  },
});

export const partnerAssessmentList = defineAction({
  name: 'partner_assessment_list',
  readOnly: true,
  summary: 'Partner score sheets of the organisations where the caller holds a governance duty. Filters: partner, current (true: only passing, current ones).',
  async run(ctx, input) {
    ctx.authorize('partner_assessment_list');
    const limit = naturalNumber(input, 'limit', 1000) ?? 100;
    const offset = naturalNumber(input, 'offset') ?? 0;
    let q = ctx.db.selectFrom('partner_assessments as p').innerJoin('groups as g', 'g.id', 'p.partner_org').selectAll('p').select(['g.name as partner_name', 'g.title as partner_title']);
    if (!isSysadmin(ctx.actor)) {
      const orgs = dutyOrgs(ctx);
      q = q.where('p.org_id', 'in', orgs.length ? orgs : ['00000000-0000-0000-0000-000000000000']);
    }
    if (input.partner !== undefined && input.partner !== '') {
      if (typeof input.partner !== 'string' || !UUID.test(input.partner)) throw ValidationError.field('partner', { th: 'ต้องเป็นรหัสหน่วยงาน (uuid)', en: 'Must be an organisation id (uuid)' });
      q = q.where('p.partner_org', '=', input.partner);
    }
    if (input.current === true || input.current === 'true') q = q.where('p.passed', '=', true).where('p.valid_until', '>', ctx.now);
    const rows = await q.orderBy('p.created', 'desc').limit(limit).offset(offset).execute();
    return rows.map((r) => present(r, ctx.now));
  },
});

export const partnerActions = [partnerCriteriaShow, partnerAssessmentCreate, partnerAssessmentShow, partnerAssessmentList];
