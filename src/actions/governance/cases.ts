import { sql } from 'kysely';
import { defineAction, type ActionDef, type ActionInput } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError, pick, type Msg } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { boolParam, filterParam, naturalNumber, readPaging } from '../params.ts';
import { requireDataset, findGroup } from '../datasets/load.ts';
import type { CaseRecord, ProcessDef } from '../../workflow/types.ts';
import type { TransitionResult } from '../../workflow/engine.ts';
import { caseRoles, visibleCasesSql, workflowActor, workflows } from './cases-engine.ts';
import { caseDict } from './cases-present.ts';
import { applyEffects, datasetOf, publicationFacts } from './cases-effects.ts';
import { notifyTransition } from './notifications.ts';
import { isSysadmin } from '../../access/actor.ts';
import { reviewFacts, reviewReplies, reviewUnits } from './review.ts';
import { policyLinks } from './documents.ts';

/** Processes a case may be opened for through the API today (the others come with their own work). */
export const OPEN_PROCESSES = ['publication', 'information_request', 'subject_request', 'annual_review', 'data_policy'];
const NOT_FOUND: Msg = { th: 'ไม่พบเรื่องนี้', en: 'Case not found' };

function processDict(p: ProcessDef, lang: 'th' | 'en', full: boolean) {
  const base = { name: p.name, version: p.version, number_prefix: p.number_prefix, label: pick(p.label, lang), description: p.description ? pick(p.description, lang) : '', rule: p.rule ? pick(p.rule, lang) : '', can_open: OPEN_PROCESSES.includes(p.name) || p.name === 'linkage' };
  return full ? { ...base, definition: p } : base;
}

export const workflowList = defineAction({
  name: 'workflow_list',
  readOnly: true,
  summary: 'The governance processes (state machines kept as data): name, label, the rule of the manual each applies.',
  async run(ctx) {
    ctx.authorize('workflow_list');
    return workflows().list().map((p) => processDict(p, ctx.lang, false));
  },
});

export const workflowShow = defineAction({
  name: 'workflow_show',
  readOnly: true,
  summary: 'One process definition in full: states, transitions, roles, guards, step inputs, Thai and English labels.',
  params: { id: { type: 'string', description: 'Process name, e.g. information_request', required: true } },
  async run(ctx, input) {
    ctx.authorize('workflow_show');
    const name = input.id ?? input.name ?? input.process;
    if (typeof name !== 'string' || !name) throw ValidationError.field('id', M.missing());
    return processDict(workflows().get(name).def, ctx.lang, true);
  },
});

const CONTROL_KEYS = new Set(['id', 'process', 'transition', 'reason', 'inputs', 'version', 'dataset', 'organization', 'owner_org']);

/** Step inputs: the `inputs` object, or the other fields sent beside the action's own (forms post them flat). */
function stepInputs(input: ActionInput): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(input)) if (!CONTROL_KEYS.has(k)) out[k] = v;
  if (input.inputs !== undefined) {
    if (input.inputs === null || typeof input.inputs !== 'object' || Array.isArray(input.inputs)) throw ValidationError.field('inputs', { th: 'ข้อมูลประกอบขั้นตอนต้องเป็นออบเจกต์', en: 'inputs must be an object' });
    Object.assign(out, input.inputs);
  }
  return out;
}

function reasonOf(input: ActionInput): string {
  if (input.reason === undefined || input.reason === null) return '';
  if (typeof input.reason !== 'string') throw ValidationError.field('reason', M.notString());
  return input.reason;
}

async function requireOrg(ctx: ActionContext, ref: unknown) {
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('organization', { th: 'ต้องระบุหน่วยงานที่ยื่นคำขอถึง', en: 'Name the organisation the request goes to' });
  const g = await findGroup(ctx.db, ref.trim(), true);
  if (!g || g.state !== 'active') throw ValidationError.field('organization', { th: 'ไม่พบหน่วยงาน', en: 'Organisation not found' });
  return g;
}

/** Everything a step did, after it: its audit row (same transaction), catalog effects, notifications. */
async function afterStep(ctx: ActionContext, r: TransitionResult): Promise<Record<string, unknown>> {
  const effects = await applyEffects(ctx, r);
  const link = effects.link as { token: string; expires: string } | undefined;
  const { link: _l, ...shown } = effects;
  await ctx.audit({
    action: r.event.from_state === null ? 'case_create' : 'case_transition',
    object_type: 'case',
    object_id: r.case.id,
    detail: { number: r.case.number, process: r.case.process, transition: r.event.transition, from: r.event.from_state, to: r.event.to_state, roles: r.event.roles, reason: r.event.reason, inputs: Object.keys(r.event.inputs), ...(link ? { link_expires: link.expires } : {}), ...shown },
  });
  const answerUrl = link ? `${ctx.services.config.siteUrl}/governance/answer/${link.token}` : null;
  await notifyTransition(ctx, r, answerUrl ? { url: (uid) => (uid === r.case.created_by ? answerUrl : null) } : {});
  return shown;
}

export const caseCreate = defineAction({
  name: 'case_create',
  readOnly: false,
  summary: 'Opens a case: process publication (dataset), information_request, subject_request, annual_review or data_policy (organization); the first step\'s inputs in `inputs` or beside. Process linkage takes linkage_create\'s fields; process cancellation cancels a linkage (linkage) or ends an agreement (agreement) on a §7.2 ground (ground, reason), as linkage_cancel / agreement_terminate do.',
  params: {
    process: { type: 'string', description: 'publication, information_request, subject_request, annual_review, data_policy, linkage or cancellation', required: true },
    dataset: { type: 'string', description: 'publication: the dataset submitted' },
    organization: { type: 'string', description: 'information_request, subject_request: the organisation asked; annual_review, data_policy: the agency' },
    inputs: { type: 'object', description: 'The first step\'s form (see workflow_show)' },
    reason: { type: 'string', description: 'A note for the timeline' },
  },
  async run(ctx, input) {
    ctx.authorize('case_create');
    const process = input.process;
    if (typeof process !== 'string' || !process) throw ValidationError.field('process', M.missing());
    if (process === 'linkage' || process === 'cancellation') return openThroughOwnAction(ctx, process, input);
    workflows().get(process);
    if (!OPEN_PROCESSES.includes(process)) throw ValidationError.field('process', { th: `กระบวนการ "${process}" ยังเปิดเรื่องผ่านช่องทางนี้ไม่ได้`, en: `Process "${process}" cannot be opened here yet` });
    const inputs = stepInputs(input);
    let opts;
    if (process === 'publication') {
      const { row } = await requireDataset(ctx, { id: input.dataset ?? input.id }, 'package_show');
      if (row.state !== 'active') throw new NotFoundError();
      // Whether the dataset is under review, and its case number, are for those who may submit it.
      workflows().startRoles(workflowActor(ctx.actor), process, { process, org_id: row.owner_org, created_by: null } as CaseRecord);
      const open = await ctx.db.selectFrom('cases').select('number').where('process', '=', 'publication').where('closed_at', 'is', null).where(sql<boolean>`subjects @> ${JSON.stringify([{ type: 'dataset', id: row.id }])}::jsonb`).executeTakeFirst();
      if (open) throw ValidationError.field('dataset', { th: `ชุดข้อมูลนี้มีเรื่องขออนุมัติเผยแพร่ค้างอยู่แล้ว (${open.number})`, en: `This dataset already has an open publication case (${open.number})` });
      opts = { inputs, facts: await publicationFacts(ctx, row), subjects: [{ type: 'dataset', id: row.id }], org: row.owner_org };
    } else {
      const org = await requireOrg(ctx, input.organization ?? input.owner_org);
      const facts: Record<string, unknown> = { organization_title: org.title };
      // P7: the memo names its units now, so later replies are checked against the list it was sent to.
      if (process === 'annual_review') Object.assign(facts, { units: await reviewUnits(ctx, org), has_replies: false, replies_count: 0 });
      opts = { inputs, facts, subjects: [{ type: 'organization', id: org.id }], org: org.id };
    }
    const r = await workflows().create(ctx.db, workflowActor(ctx.actor), process, { ...opts, reason: reasonOf(input), now: ctx.now });
    const effects = await afterStep(ctx, r);
    const view = await workflows().show(ctx.db, workflowActor(ctx.actor), r.case.id);
    return caseDict(ctx, view.case, view.events, view.next, { ...(await caseExtras(ctx, view.case)), ...effects });
  },
});

/**
 * Processes whose steps carry effects of their own are stepped only by their own action (agreement:
 * P5's ground, grants revoked, linkages ended, partner told; linkage: the registry; registration: the
 * national copy). case_transition takes the steps of the processes it opens, and no other: a process
 * added later is refused here until it is wired in, not stepped without its effects.
 */
const STEP_ACTIONS: Record<string, string> = { agreement: 'agreement_transition / agreement_terminate', linkage: 'linkage_transition / linkage_cancel', registration: 'registration_transition' };
function stepsHere(c: Pick<CaseRecord, 'process'>): boolean {
  return OPEN_PROCESSES.includes(c.process);
}
function assertStepsHere(c: Pick<CaseRecord, 'process'>): void {
  if (stepsHere(c)) return;
  const other = STEP_ACTIONS[c.process] ?? 'the action of this process';
  throw ValidationError.field('process', { th: `ขั้นตอนของเรื่องนี้ทำได้ที่ ${other} เท่านั้น`, en: `Steps of this case are taken with ${other} only` });
}

/**
 * case_create for P3/P4 (process linkage) and P5 (process cancellation), the names the API promises:
 * their effects belong to their own actions (linkage_create checks the partner assessment and writes
 * the registry; a cancellation revokes grants, ends the agreement and tells the partner), so those
 * actions run here, in this transaction, with their own policies. The answer is the case as
 * case_show gives it, with the action's own answer beside it.
 */
async function openThroughOwnAction(ctx: ActionContext, process: 'linkage' | 'cancellation', input: ActionInput): Promise<Record<string, unknown>> {
  const { process: _p, inputs, ...rest } = input;
  const args: Record<string, unknown> = { ...(inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? (inputs as Record<string, unknown>) : {}), ...rest };
  let answer: Record<string, unknown>;
  let caseId: string | undefined;
  const linkageCase = async (id: unknown) => (await ctx.db.selectFrom('linkages').select('case_id').where('id', '=', String(id)).executeTakeFirst())?.case_id;
  if (process === 'linkage') {
    const { linkageCreate } = await import('./linkage.ts');
    answer = (await linkageCreate.run(ctx, args)) as Record<string, unknown>;
    caseId = await linkageCase(answer.id);
  } else {
    const has = (k: string) => args[k] !== undefined && args[k] !== null && args[k] !== '';
    if (has('linkage') === has('agreement')) {
      throw ValidationError.field(has('linkage') ? 'agreement' : 'linkage', { th: 'ระบุการเชื่อมโยง (linkage) หรือข้อตกลง (agreement) ที่จะยกเลิก อย่างใดอย่างหนึ่ง', en: 'Name the linkage (linkage) or the agreement (agreement) to cancel, one of the two' });
    }
    const cancel = { ground: args.ground, reason: args.reason };
    if (has('linkage')) {
      const { linkageCancel } = await import('./cancellation.ts');
      answer = (await linkageCancel.run(ctx, { id: args.linkage, ...cancel })) as Record<string, unknown>;
      caseId = await linkageCase(answer.id);
    } else {
      const { agreementTerminate } = await import('./agreements.ts');
      answer = (await agreementTerminate.run(ctx, { id: args.agreement, ...cancel })) as Record<string, unknown>;
      caseId = (await ctx.db.selectFrom('agreements').select('case_id').where('id', '=', String(answer.id)).executeTakeFirst())?.case_id;
    }
  }
  if (!caseId) throw new NotFoundError();
  const view = await workflows().show(ctx.db, workflowActor(ctx.actor), caseId);
  // Their later steps are the own actions' too (linkage_transition, agreement_transition): none offered here.
  return caseDict(ctx, view.case, view.events, [], { ...(await caseExtras(ctx, view.case)), [process]: answer });
}

/** Loads a case the caller may see; any other answers exactly as a case that does not exist. */
async function visibleCase(ctx: ActionContext, ref: unknown, rule: string): Promise<CaseRecord> {
  if (typeof ref !== 'string' || !ref.trim() || ref.length > 64) throw ValidationError.field('id', M.missing());
  const q = ctx.db.selectFrom('cases').selectAll();
  const row = (await (/^[0-9a-f-]{36}$/i.test(ref) ? q.where('id', '=', ref) : q.where('number', '=', ref.trim())).executeTakeFirst()) as CaseRecord | undefined;
  if (!row || !ctx.can(rule, row)) {
    try {
      ctx.authorize(rule, { created_by: null, org_id: null });
    } catch {
      /* not found either way */
    }
    throw new NotFoundError(NOT_FOUND);
  }
  ctx.authorize(rule, row);
  return row;
}

export const caseShow = defineAction({
  name: 'case_show',
  readOnly: true,
  summary: 'A case with its state, timeline and `next`: the steps the caller may take now (name, target state, label, inputs).',
  params: { id: { type: 'string', description: 'Case id or number (REQ-2569-000123)', required: true } },
  async run(ctx, input) {
    const c = await visibleCase(ctx, input.id ?? input.number, 'case_show');
    const view = await workflows().show(ctx.db, workflowActor(ctx.actor), c.id);
    // Steps case_transition would refuse are not offered (the agreement, linkage and registration pages take them).
    return caseDict(ctx, view.case, view.events, stepsHere(view.case) ? view.next : [], await caseExtras(ctx, view.case));
  },
});

/** What a case page shows beside the engine's record: the policy documents it applies, P7's replies, its draft. */
async function caseExtras(ctx: ActionContext, c: CaseRecord): Promise<Record<string, unknown>> {
  const kinds = workflows().get(c.process).def.policy ?? [];
  const policies = (await policyLinks(ctx.db, c.org_id, kinds)).map((d) => ({ kind: d.kind, id: d.id, version: d.version, title: ctx.lang === 'en' ? d.title_en : d.title_th }));
  const out: Record<string, unknown> = { policies };
  if (c.process === 'annual_review') out.replies = await reviewReplies(ctx, c.id);
  if (c.process === 'annual_review' || c.process === 'data_policy') {
    const doc = await ctx.db.selectFrom('policy_documents').select(['id', 'kind', 'state', 'version']).where('case_id', '=', c.id).orderBy('created', 'desc').executeTakeFirst();
    out.document = doc ?? null;
  }
  return out;
}

export const caseTransition = defineAction({
  name: 'case_transition',
  readOnly: false,
  summary: 'Takes a step: `id`, `transition` (approve, reject, …), `reason`, step inputs; 409 with `next` when it does not apply, 403 for the wrong role or one\'s own submission.',
  params: {
    id: { type: 'string', description: 'Case id or number', required: true },
    transition: { type: 'string', description: 'Step name from case_show.next', required: true },
    reason: { type: 'string', description: 'Why (required on rejections)' },
    inputs: { type: 'object', description: 'The step\'s form' },
    version: { type: 'integer', description: 'The version the caller saw; another one answers 409' },
  },
  async run(ctx, input) {
    const c = await visibleCase(ctx, input.id, 'case_transition');
    const name = input.transition;
    if (typeof name !== 'string' || !name) throw ValidationError.field('transition', M.missing());
    assertStepsHere(c);
    const expectedVersion = naturalNumber(input, 'version');
    let facts: Record<string, unknown> | undefined;
    if (c.process === 'publication') {
      const id = datasetOf(c);
      const row = id ? await ctx.db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
      if (row) facts = await publicationFacts(ctx, row);
    }
    if (c.process === 'annual_review') facts = await reviewFacts(ctx, c);
    const r = await workflows().transition(ctx.db, workflowActor(ctx.actor), c.id, name, { reason: reasonOf(input), inputs: stepInputs(input), facts, expectedVersion, now: ctx.now });
    const effects = await afterStep(ctx, r);
    const view = await workflows().show(ctx.db, workflowActor(ctx.actor), c.id);
    return caseDict(ctx, view.case, view.events, view.next, { ...(await caseExtras(ctx, view.case)), ...effects });
  },
});

export const caseList = defineAction({
  name: 'case_list',
  readOnly: true,
  summary: 'Cases the caller may see (own requests, cases of organisations where they hold a duty): filters process, state, mine, waiting_for_me; limit, offset.',
  params: {
    process: { type: 'string', description: 'Only this process' },
    state: { type: 'string', description: 'Only this state' },
    mine: { type: 'boolean', description: 'Only cases the caller opened' },
    waiting_for_me: { type: 'boolean', description: 'Only cases waiting for a step the caller may take' },
    open: { type: 'boolean', description: 'Only open (true) or closed (false) cases' },
    limit: { type: 'integer', description: 'At most this many (default 50, max 200)' },
    offset: { type: 'integer', description: 'Skip this many' },
  },
  async run(ctx, input) {
    ctx.authorize('case_list');
    const { limit, offset } = readPaging(input, 50, 200);
    const mine = boolParam(input, 'mine', false);
    const waiting = boolParam(input, 'waiting_for_me', false);
    const me = ctx.actor.kind === 'user' ? ctx.actor.user.id : null;
    if (!me && !isSysadmin(ctx.actor)) return { count: 0, results: [] };
    let q = ctx.db.selectFrom('cases').selectAll();
    // What the caller may see, in SQL: their own cases and those of organisations where they hold a duty.
    q = q.where(visibleCasesSql(ctx.actor, 'cases'));
    const process = filterParam(input, 'process');
    const state = filterParam(input, 'state');
    if (process) q = q.where('process', '=', process);
    if (state) q = q.where('state', '=', state);
    if (mine) q = q.where('created_by', '=', me ?? '00000000-0000-0000-0000-000000000000');
    if (input.open !== undefined) q = boolParam(input, 'open', true) ? q.where('closed_at', 'is', null) : q.where('closed_at', 'is not', null);
    let rows: CaseRecord[];
    let count: number;
    if (waiting) {
      const held = new Set<string>(['creator', 'requester']);
      if (ctx.actor.kind === 'user') for (const s of ctx.actor.duties?.values() ?? []) for (const r of s) held.add(r);
      const pairs = workflows().statesWaitingFor([...held]);
      if (!pairs.length) return { count: 0, results: [] };
      q = q.where('closed_at', 'is', null).where((eb) => eb.or(pairs.map((p) => eb.and([eb('process', '=', p.process), eb('state', '=', p.state)]))));
      // The state waits for a role the caller holds somewhere; keep the cases where they may act now.
      const candidates = (await q.orderBy('modified', 'desc').limit(2000).execute()) as CaseRecord[];
      const actor = workflowActor(ctx.actor);
      const kept: CaseRecord[] = [];
      for (const c of candidates) {
        const roles = new Set(caseRoles(ctx.actor, c));
        if (c.created_by === me) roles.add('creator');
        if (!workflows().waitingRoles(c).some((r) => roles.has(r))) continue;
        const events = await ctx.db.selectFrom('case_events').select(['seq', 'at', 'actor_id', 'actor_name', 'roles', 'transition', 'from_state', 'to_state', 'reason', 'inputs']).where('case_id', '=', c.id).execute();
        if (workflows().next(c, events as never, actor).length) kept.push(c);
      }
      count = kept.length;
      rows = kept.slice(offset, offset + limit);
    } else {
      const n = await q.clearSelect().select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
      count = Number(n?.n ?? 0);
      rows = (await q.orderBy('modified', 'desc').orderBy('id').limit(limit).offset(offset).execute()) as CaseRecord[];
    }
    return {
      count,
      results: rows.map((c) => {
        const d = caseDict(ctx, c, [], []);
        const { events: _e, next: _n, facts, ...rest } = d;
        return { ...rest, title: caseTitle(c, facts) };
      }),
    };
  },
});

/** One line that names the case in lists: the dataset, the purpose, the subject's name. */
export function caseTitle(c: CaseRecord, facts: Record<string, unknown> = c.facts): string {
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  if (c.process === 'publication') return s(facts.dataset_title) || s(facts.dataset_name);
  if (c.process === 'information_request') return s(facts.purpose).slice(0, 200);
  if (c.process === 'subject_request') return s(facts.details).slice(0, 200);
  if (c.process === 'annual_review') return `${s(facts.organization_title)} ${String(facts.review_year ?? '')}`.trim();
  if (c.process === 'data_policy') return s(facts.title_th) || s(facts.title_en);
  if (c.process === 'registration') return s(facts.title).slice(0, 200);
  return '';
}

export const caseActions: ActionDef[] = [workflowList, workflowShow, caseCreate, caseShow, caseList, caseTransition];
