import crypto from 'node:crypto';
import { sql } from 'kysely';
import { NotFoundError, ValidationError, type FieldErrors, type Msg } from '../actions/errors.ts';
import type { Tx } from '../store/db.ts';
import { loadProcessDir, type CompiledProcess, type CompiledTransition } from './definitions.ts';
import { TransitionNotAllowedError, WorkflowForbiddenError } from './errors.ts';
import { validateInputs } from './inputs.ts';
import { buddhistYear } from './numbers.ts';
import type { CaseEvent, CaseRecord, NextStep, ProcessDef, SubjectRef, WorkflowActor } from './types.ts';

export interface CreateOptions {
  /** What the person typed into the first step's form; checked against the definition. */
  inputs?: Record<string, unknown>;
  /** Facts the caller computed itself (e.g. `category` from the datasets, `has_data_dictionary`); trusted. */
  facts?: Record<string, unknown>;
  subjects?: SubjectRef[];
  org?: string | null;
  reason?: string;
  now?: Date;
}

export interface TransitionOptions {
  reason?: string;
  inputs?: Record<string, unknown>;
  facts?: Record<string, unknown>;
  /** The version the caller's page showed; a different current version is a 409, not a silent overwrite. */
  expectedVersion?: number;
  now?: Date;
}

export interface TransitionResult {
  case: CaseRecord;
  event: CaseEvent;
  /** Role keys the definition asks to notify about this step, for the caller's after-commit notifier. */
  notify: string[];
}

export interface CaseView {
  case: CaseRecord;
  events: CaseEvent[];
  next: NextStep[];
}

const NOT_FOUND: Msg = { th: 'ไม่พบเรื่องนี้', en: 'Case not found' };

/**
 * The one engine for every process. Built once at boot from the process files; every function takes
 * the caller's transaction, so a case's state change, its event row and the caller's own effects
 * commit or roll back together. Authorization beyond roles and separation of duties (who may see a
 * case at all) is the caller's policy.
 */
export class Workflows {
  readonly processes: ReadonlyMap<string, CompiledProcess>;

  constructor(processes: ReadonlyMap<string, CompiledProcess>) {
    this.processes = processes;
  }

  list(): ProcessDef[] {
    return [...this.processes.values()].map((p) => p.def);
  }

  get(name: string): CompiledProcess {
    const p = this.processes.get(name);
    if (!p) {
      const known = [...this.processes.keys()].join(', ');
      throw ValidationError.field('process', { th: `ไม่รู้จักกระบวนการ "${name}" (มี ${known})`, en: `Unknown process "${name}" (known: ${known})` });
    }
    return p;
  }

  /** Opens a case: the start step's roles, guards and inputs apply; the case gets its number. */
  async create(tx: Tx, actor: WorkflowActor, process: string, opts: CreateOptions = {}): Promise<TransitionResult> {
    const proc = this.get(process);
    const now = opts.now ?? new Date();
    const draft: CaseRecord = {
      id: crypto.randomUUID(), process, number: '', state: '', version: 0, subjects: opts.subjects ?? [],
      facts: { ...(opts.facts ?? {}) }, created_by: actor.id, org_id: opts.org ?? null, created: now, modified: now, closed_at: null,
    };
    const t = proc.start;
    const roles = this.startRoles(actor, process, draft);
    const { values, facts } = this.checkStep(t, draft, opts.inputs ?? {}, opts.reason ?? '');
    const to = t.routes[0]!.to;
    draft.number = await nextNumber(tx, proc.def.number_prefix, now);
    draft.state = to;
    draft.version = 1;
    draft.facts = facts;
    if (proc.states.get(to)?.terminal) draft.closed_at = now;
    await tx
      .insertInto('cases')
      .values({ ...draft, subjects: JSON.stringify(draft.subjects), facts: JSON.stringify(draft.facts) })
      .execute();
    const event = await insertEvent(tx, draft, actor, roles, t.name, null, to, opts.reason ?? '', values, now);
    return { case: draft, event, notify: t.notify ?? [] };
  }

  /**
   * The roles the actor may open a case of this process with (for a case of `c.org_id`), or 403.
   * Callers ask before they look anything up about the case's subjects, so a refusal tells nothing.
   */
  startRoles(actor: WorkflowActor, process: string, c: CaseRecord): string[] {
    const proc = this.get(process);
    const roles = this.actingRoles(actor, c, proc.start, true);
    if (!roles) throw new WorkflowForbiddenError({ th: `ท่านไม่มีบทบาทที่เริ่ม "${proc.def.label.th}" ได้`, en: `You hold no role that may start "${proc.def.label.en}"` }, []);
    return roles;
  }

  /** The case with its timeline and the steps this caller may take now. */
  async show(tx: Tx, actor: WorkflowActor, id: string): Promise<CaseView> {
    const c = await loadCase(tx, id, false);
    const events = await loadEvents(tx, c.id);
    return { case: c, events, next: this.next(c, events, actor) };
  }

  /** Transitions the caller may take now, given their roles, separation of duties and the case's facts. */
  next(c: CaseRecord, events: readonly CaseEvent[], actor: WorkflowActor): NextStep[] {
    const proc = this.get(c.process);
    const out: NextStep[] = [];
    for (const t of proc.outgoing.get(c.state) ?? []) {
      if (!this.actingRoles(actor, c, t, false)) continue;
      if (this.separationProblem(actor, c, t, events)) continue;
      if (t.guards.some((g) => !g.message && !g.test({ facts: c.facts, input: {} }))) continue;
      const to = t.routes.find((r) => !r.when || r.when({ facts: c.facts, input: {} }))!.to;
      out.push({ name: t.name, label: t.label, to, to_label: proc.states.get(to)!.label, inputs: t.inputs.map(({ requiredWhen: _r, regex: _x, ...i }) => i), reason_required: !!t.reason_required });
    }
    return out;
  }

  /**
   * Takes one step. The case row is locked (SELECT … FOR UPDATE) and its version bumped with a
   * compare-and-set, and the event's UNIQUE(case, seq) backs both: of two approvers acting at once,
   * the second sees the new state and gets a 409 listing what is left to do.
   */
  async transition(tx: Tx, actor: WorkflowActor, id: string, name: string, opts: TransitionOptions = {}): Promise<TransitionResult> {
    const c = await loadCase(tx, id, true);
    const proc = this.get(c.process);
    const events = await loadEvents(tx, c.id);
    const now = opts.now ?? new Date();
    const next = () => this.next(c, events, actor);
    const stateLabel = proc.states.get(c.state)!.label;
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== c.version) {
      throw new TransitionNotAllowedError(
        { th: `เรื่องนี้เปลี่ยนไปแล้ว (ขณะนี้อยู่ที่ "${stateLabel.th}") กรุณาเปิดดูใหม่`, en: `The case has changed meanwhile (now "${stateLabel.en}"); reload it` },
        c.state, next(), 'version',
      );
    }
    const t = proc.outgoing.get(c.state)?.find((x) => x.name === name);
    if (!t) {
      throw new TransitionNotAllowedError(
        { th: `ขั้นตอน "${name}" ใช้ไม่ได้ขณะเรื่องอยู่ที่ "${stateLabel.th}"`, en: `Step "${name}" does not apply while the case is at "${stateLabel.en}"` },
        c.state, next(),
      );
    }
    const roles = this.actingRoles(actor, c, t, false);
    if (!roles) {
      throw new WorkflowForbiddenError(
        { th: `ขั้นตอน "${t.label.th}" ต้องดำเนินการโดย ${t.roles.join(', ')}`, en: `Step "${t.label.en}" must be taken by ${t.roles.join(', ')}` },
        next(),
      );
    }
    const sod = this.separationProblem(actor, c, t, events);
    if (sod) throw new WorkflowForbiddenError(sod, next());
    const blocked = t.guards.find((g) => !g.message && !g.test({ facts: { ...c.facts, ...(opts.facts ?? {}) }, input: opts.inputs ?? {} }));
    if (blocked) {
      throw new TransitionNotAllowedError(
        { th: `ขั้นตอน "${t.label.th}" ใช้ไม่ได้กับเรื่องนี้ (${blocked.when})`, en: `Step "${t.label.en}" does not apply to this case (${blocked.when})` },
        c.state, next(),
      );
    }
    const { values, facts } = this.checkStep(t, { ...c, facts: { ...c.facts, ...(opts.facts ?? {}) } }, opts.inputs ?? {}, opts.reason ?? '');
    const to = t.routes.find((r) => !r.when || r.when({ facts, input: values }))!.to;
    const closed = proc.states.get(to)!.terminal ? now : null;
    const updated = await tx
      .updateTable('cases')
      .set({ state: to, version: c.version + 1, facts: JSON.stringify(facts), modified: now, closed_at: closed })
      .where('id', '=', c.id)
      .where('version', '=', c.version)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) {
      throw new TransitionNotAllowedError({ th: 'มีผู้ดำเนินการกับเรื่องนี้ไปก่อนแล้ว', en: 'Someone else acted on this case first' }, c.state, [], 'version');
    }
    const after: CaseRecord = { ...c, state: to, version: c.version + 1, facts, modified: now, closed_at: closed };
    const event = await insertEvent(tx, after, actor, roles, t.name, c.state, to, opts.reason ?? '', values, now);
    return { case: after, event, notify: t.notify ?? [] };
  }

  /** Role keys the case waits for in its current state (optional ways out such as withdraw do not count). */
  waitingRoles(c: CaseRecord): string[] {
    const proc = this.get(c.process);
    return [...new Set((proc.outgoing.get(c.state) ?? []).filter((t) => !t.optional).flatMap((t) => t.roles))];
  }

  /**
   * The (process, state) pairs that wait for one of these roles, for a "waiting for me" list:
   * `WHERE (process, state) IN (…)`, then the caller's own check of each case's organisation.
   */
  statesWaitingFor(roles: readonly string[]): { process: string; state: string }[] {
    const out: { process: string; state: string }[] = [];
    for (const [name, p] of this.processes) {
      for (const [state, ts] of p.outgoing) {
        if (ts.some((t) => !t.optional && t.roles.some((r) => roles.includes(r)))) out.push({ process: name, state });
      }
    }
    return out;
  }

  /** Open cases whose state locks this subject (e.g. a dataset under publication review may not be edited). */
  async lockingCases(tx: Tx, subject: SubjectRef): Promise<CaseRecord[]> {
    const rows = await tx
      .selectFrom('cases')
      .selectAll()
      .where('closed_at', 'is', null)
      .where(sql<boolean>`subjects @> ${JSON.stringify([subject])}::jsonb`)
      .execute();
    return (rows as CaseRecord[]).filter((c) => this.processes.get(c.process)?.states.get(c.state)?.locks_subject);
  }

  private actingRoles(actor: WorkflowActor, c: CaseRecord, t: CompiledTransition, starting: boolean): string[] | null {
    if (actor.system) return ['system'];
    const held = new Set(typeof actor.roles === 'function' ? actor.roles(c) : actor.roles);
    if (!starting && actor.id && actor.id === c.created_by) held.add('creator');
    const acting = t.roles.filter((r) => held.has(r));
    return acting.length ? acting : null;
  }

  private separationProblem(actor: WorkflowActor, c: CaseRecord, t: CompiledTransition, events: readonly CaseEvent[]): Msg | null {
    if (actor.system || !t.separation) return null;
    if (t.separation.not_creator && actor.id && actor.id === c.created_by) {
      return { th: 'ผู้ยื่นเรื่องอนุมัติเรื่องของตนเองไม่ได้ (แบ่งแยกหน้าที่)', en: 'You may not approve your own submission (separation of duties)' };
    }
    // Whoever (re)submitted the case is its submitter too: resubmitting someone else's case does not make it approvable by oneself.
    if (t.separation.not_creator && actor.id) {
      const proc = this.get(c.process);
      const sent = events.find((e) => e.actor_id === actor.id && (e.from_state === null ? proc.start.name === e.transition : proc.outgoing.get(e.from_state)?.find((x) => x.name === e.transition)?.submits));
      if (sent) {
        return {
          th: `ท่านเป็นผู้ส่งเรื่องนี้เข้าพิจารณา (ขั้นตอน "${sent.transition}") จึงอนุมัติหรือพิจารณาเรื่องนี้ไม่ได้ (แบ่งแยกหน้าที่)`,
          en: `You submitted this case for review (step "${sent.transition}") and may not decide on it (separation of duties)`,
        };
      }
    }
    const earlier = t.separation.not_actor_of ?? [];
    const took = events.find((e) => e.actor_id && e.actor_id === actor.id && e.from_state && earlier.includes(e.from_state));
    if (took) {
      return {
        th: `ท่านดำเนินการขั้นตอน "${took.transition}" ในเรื่องนี้แล้ว จึงอนุมัติขั้นตอนนี้ไม่ได้ (แบ่งแยกหน้าที่)`,
        en: `You already took the step "${took.transition}" in this case and may not approve this one (separation of duties)`,
      };
    }
    return null;
  }

  /** Inputs, field-bound guards and the reason; every problem at once, field by field. */
  private checkStep(t: CompiledTransition, c: CaseRecord, raw: Record<string, unknown>, reason: string): { values: Record<string, unknown>; facts: Record<string, unknown> } {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw ValidationError.field('inputs', { th: 'ข้อมูลประกอบขั้นตอนต้องเป็นออบเจกต์', en: 'inputs must be an object' });
    const { values, errors } = validateInputs(t.inputs, raw, c.facts);
    const facts = { ...c.facts };
    for (const i of t.inputs) if (i.fact && i.name in values) facts[i.name] = values[i.name];
    const all: FieldErrors = { ...errors };
    if (t.reason_required && !reason.trim()) (all.reason ??= []).push({ th: 'ต้องระบุเหตุผล', en: 'A reason is required' });
    if (reason.length > 4000) (all.reason ??= []).push({ th: 'เหตุผลยาวได้ไม่เกิน 4000 ตัวอักษร', en: 'The reason may be at most 4000 characters' });
    for (const g of t.guards) {
      if (g.message && !g.test({ facts, input: values })) (all[g.field ?? 'transition'] ??= []).push(g.message);
    }
    if (Object.keys(all).length) throw new ValidationError(all);
    return { values, facts };
  }
}

export function loadWorkflows(dir?: string): Workflows {
  return new Workflows(loadProcessDir(dir));
}

async function loadCase(tx: Tx, id: string, forUpdate: boolean): Promise<CaseRecord> {
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) {
    // A case number works too (REQ-2569-000123), as people quote it.
    const byNumber = await tx.selectFrom('cases').select('id').where('number', '=', String(id)).executeTakeFirst();
    if (!byNumber) throw new NotFoundError(NOT_FOUND);
    id = byNumber.id;
  }
  let q = tx.selectFrom('cases').selectAll().where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(NOT_FOUND);
  return row as CaseRecord;
}

async function loadEvents(tx: Tx, caseId: string): Promise<CaseEvent[]> {
  const rows = await tx
    .selectFrom('case_events')
    .select(['seq', 'at', 'actor_id', 'actor_name', 'roles', 'transition', 'from_state', 'to_state', 'reason', 'inputs'])
    .where('case_id', '=', caseId)
    .orderBy('seq')
    .execute();
  return rows as CaseEvent[];
}

async function insertEvent(tx: Tx, c: CaseRecord, actor: WorkflowActor, roles: string[], transition: string, from: string | null, to: string, reason: string, inputs: Record<string, unknown>, now: Date): Promise<CaseEvent> {
  const event: CaseEvent = { seq: c.version, at: now, actor_id: actor.id, actor_name: actor.name, roles, transition, from_state: from, to_state: to, reason, inputs };
  await tx.insertInto('case_events').values({ ...event, case_id: c.id, inputs: JSON.stringify(inputs) }).execute();
  return event;
}

/** PREFIX-<Buddhist year>-NNNNNN, counted per prefix and year in the caller's transaction. */
export async function nextNumber(tx: Tx, prefix: string, now: Date): Promise<string> {
  const year = buddhistYear(now);
  const r = await sql<{ last: number }>`
    INSERT INTO case_numbers (prefix, year, last) VALUES (${prefix}, ${year}, 1)
    ON CONFLICT (prefix, year) DO UPDATE SET last = case_numbers.last + 1
    RETURNING last`.execute(tx);
  return `${prefix}-${year}-${String(r.rows[0]!.last).padStart(6, '0')}`;
}
