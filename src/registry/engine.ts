import crypto from 'node:crypto';
import { sql } from 'kysely';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { AuthorizationError, NotFoundError, type Msg } from '../actions/errors.ts';
import type { ActionContext } from '../actions/context.ts';
import { loadWorkflows, type Workflows } from '../workflow/engine.ts';
import type { CaseRecord, WorkflowActor } from '../workflow/types.ts';
import { policies } from '../policies/index.ts';
import type { HarvestSourceRow } from '../harvest/schema.ts';
import type { RegistrationRow } from './schema.ts';
import { UUID } from '../actions/datasets/load.ts';
import { publishCopy, unpublishCopy } from './publish.ts';
import { NATIONAL_ROLES, nationalRoles } from './roles.ts';
import { notifyTransition } from '../actions/governance/notifications.ts';
import type { TransitionResult } from '../workflow/engine.ts';
export { NATIONAL_ROLES, nationalRoles, officerOrgs } from './roles.ts';

export const PROCESS = 'registration';

/** States in which a national copy is published (the status API's "registered"). */
export const PUBLISHED_STATES = new Set(['COMPLETED', 'VALIDATE_MODIFIED', 'WAIT_REVOKE', 'REVOKE']);

let engine: Workflows | null = null;
export function registrationWorkflow(): Workflows {
  return (engine ??= loadWorkflows());
}

/** The engine's view of a caller: national duties everywhere, the officer duty in the case's organisation. */
export function registrationActor(actor: Actor): WorkflowActor {
  if (actor.kind === 'system') return { id: null, name: 'system', roles: [], system: true };
  if (actor.kind !== 'user') return { id: null, name: 'anonymous', roles: [] };
  const national = nationalRoles(actor);
  return {
    id: actor.user.id,
    name: actor.user.name,
    roles: (c: CaseRecord) => (c.org_id && actor.duties?.get(c.org_id)?.has('registration_officer') ? [...national, 'registration_officer'] : national),
  };
}

/** Host (with port) of a URL or a bare host, lower case: how the status API names an agency catalog. */
export function siteOf(url: string): string {
  const s = url.trim().toLowerCase();
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//.test(s) ? s : `http://${s}`).host;
  } catch {
    return s;
  }
}

/** A context acting as the system for the registry's own writes (the national copy), audited as the caller. */
export function systemContext(ctx: ActionContext): ActionContext {
  const check = (rule: string, subject: unknown) => !!policies[rule]?.(SYSTEM, subject);
  return {
    ...ctx,
    actor: SYSTEM,
    authorize(rule, subject) {
      if (!check(rule, subject)) throw new AuthorizationError();
    },
    can: check,
  };
}

export interface RegistrationView extends RegistrationRow {
  state: string;
  version: number;
  number: string;
}

export async function loadRegistration(ctx: ActionContext, id: string, forUpdate = false): Promise<RegistrationView> {
  const ok = UUID.test(id);
  let q = ctx.db
    .selectFrom('registrations as r')
    .innerJoin('cases as c', 'c.id', 'r.case_id')
    .selectAll('r')
    .select(['c.state', 'c.version', 'c.number'])
    .where(ok ? 'r.id' : 'c.number', '=', id);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError({ th: 'ไม่พบรายการลงทะเบียนนี้', en: 'Registration not found' });
  return row as RegistrationView;
}

export interface StepOptions {
  reason?: string;
  facts?: Record<string, unknown>;
  expectedVersion?: number;
}

/**
 * One registration step through the workflow engine, with its effects in the same transaction:
 * the national copy on COMPLETED (created or updated) and removed on DELETED, validate_time when a
 * reviewer acts, the "(revised)" flag, the audit row.
 */
export async function step(ctx: ActionContext, reg: RegistrationView, transition: string, opts: StepOptions = {}, actor: Actor = ctx.actor): Promise<RegistrationView> {
  const wf = registrationWorkflow();
  // The row's flag is the truth; the case's fact is refreshed from it so guards ("revised is true") read it.
  const facts: Record<string, unknown> = { ...(opts.facts ?? {}), revised: transition === 'revise' ? true : reg.revised };
  const r = await wf.transition(ctx.db, registrationActor(actor), reg.case_id, transition, { reason: opts.reason, facts, expectedVersion: opts.expectedVersion, now: ctx.now });
  const from = r.event.from_state!;
  const to = r.case.state;
  const set: Record<string, unknown> = { state_changed: ctx.now };
  if (transition === 'revise') set.revised = true;
  if (to === 'REJECT' && transition !== 'revise') set.revised = false;
  if (to === 'VALIDATE' || to === 'VALIDATE_MODIFIED' || to === 'WAIT_REVOKE') set.validate_time = null;
  if ((transition === 'approve' || transition === 'reject') && ['VALIDATE', 'VALIDATE_MODIFIED', 'WAIT_REVOKE', 'REJECT'].includes(from)) set.validate_time = ctx.now;
  if (to === 'COMPLETED' && from === 'APPROVAL') {
    set.published_id = await publishCopy(systemContext(ctx), reg);
    set.published_at = ctx.now;
  }
  if (to === 'DELETED') {
    if (reg.published_id) await unpublishCopy(systemContext(ctx), reg.published_id);
    set.published_at = null;
  }
  await ctx.db.updateTable('registrations').set(set).where('id', '=', reg.id).execute();
  await notifyStep(ctx, r);
  await ctx.audit({ action: `registration_${transition}`, object_type: 'registration', object_id: reg.id, detail: { number: r.case.number, from, to, reason: r.event.reason, remote: reg.remote_name, site: reg.site } });
  return { ...reg, ...(set as Partial<RegistrationView>), state: to, version: r.case.version };
}

/**
 * Inbox rows and mail for the roles the step names (`notify`), in the step's transaction: agency
 * officers through the case's organisation (their duty reaches down to it), NSO duty holders in
 * whichever organisation they hold the duty.
 */
async function notifyStep(ctx: ActionContext, r: TransitionResult): Promise<void> {
  const url = { url: () => `${ctx.services.config.siteUrl}/registry/entry/${encodeURIComponent(r.case.number)}` };
  const agency = r.notify.filter((x) => !(NATIONAL_ROLES as readonly string[]).includes(x));
  if (agency.length) await notifyTransition(ctx, { ...r, notify: agency }, url);
  const national = r.notify.filter((x) => (NATIONAL_ROLES as readonly string[]).includes(x));
  if (!national.length) return;
  const where = await ctx.db.selectFrom('duties').select(['group_id', 'role']).distinct().where('role', 'in', national).execute();
  for (const w of where) await notifyTransition(ctx, { ...r, case: { ...r.case, org_id: w.group_id }, notify: [w.role] }, url);
}

/** Opens a registration case (WAIT) for a harvested record, or a new one when the last case ended (DELETED). */
async function openCase(ctx: ActionContext, orgId: string, subject: string, title: string): Promise<CaseRecord> {
  const wf = registrationWorkflow();
  const r = await wf.create(ctx.db, registrationActor(SYSTEM), PROCESS, { org: orgId, subjects: [{ type: 'registration', id: subject }], facts: { revised: false, title }, now: ctx.now });
  return r.case;
}

export interface HarvestedRecord {
  guid: string;
  datasetId: string | null;
  raw: Record<string, unknown> | null;
  orgId: string;
  report: 'added' | 'updated' | 'deleted' | 'not modified' | 'skipped';
}

/**
 * The import stage's hook on a registry (src/harvest/import-stage.ts): every harvested record gets a
 * registration (WAIT); a changed record moves REJECT → revised and COMPLETED → VALIDATE_MODIFIED; a
 * record the source withdrew asks for revocation (registered) or ends (not yet registered).
 */
export async function onHarvested(ctx: ActionContext, source: HarvestSourceRow, rec: HarvestedRecord): Promise<void> {
  const existing = await ctx.db
    .selectFrom('registrations as r')
    .innerJoin('cases as c', 'c.id', 'r.case_id')
    .selectAll('r')
    .select(['c.state', 'c.version', 'c.number'])
    .where('r.source_id', '=', source.id)
    .where('r.guid', '=', rec.guid)
    .forUpdate()
    .executeTakeFirst() as RegistrationView | undefined;
  const raw = rec.raw ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const remote = {
    remote_id: str(raw.id) || rec.guid,
    remote_name: str(raw.name).slice(0, 200),
    remote_title: str(raw.title).slice(0, 1000),
    remote_modified: str(raw.metadata_modified) || null,
  };
  if (rec.report === 'deleted' || rec.report === 'skipped') {
    if (!existing) return;
    if (['COMPLETED', 'VALIDATE_MODIFIED'].includes(existing.state)) await step(ctx, existing, 'request_revoke', { reason: 'withdrawn at the source' }, SYSTEM);
    else if (['WAIT', 'VALIDATE', 'APPROVAL', 'REJECT'].includes(existing.state)) await step(ctx, existing, 'source_withdrawn', {}, SYSTEM);
    return;
  }
  if (!existing) {
    const id = crypto.randomUUID();
    const c = await openCase(ctx, rec.orgId, id, remote.remote_title);
    await ctx.db
      .insertInto('registrations')
      .values({ id, source_id: source.id, guid: rec.guid, case_id: c.id, org_id: rec.orgId, dataset_id: rec.datasetId, published_id: null, site: siteOf(source.url), ...remote, validate_time: null, published_at: null, state_changed: ctx.now, categories: '[]', created: ctx.now })
      .execute();
    return;
  }
  const changed = rec.report === 'updated' || rec.report === 'added';
  await ctx.db.updateTable('registrations').set({ ...remote, dataset_id: rec.datasetId ?? existing.dataset_id, org_id: rec.orgId }).where('id', '=', existing.id).execute();
  const reg = { ...existing, ...remote };
  // A revoked entry stays revoked while the agency leaves it as it is; a changed or returning record starts again (WAIT).
  if (existing.state === 'DELETED' && changed) {
    const c = await openCase(ctx, rec.orgId, existing.id, remote.remote_title);
    await ctx.db.updateTable('registrations').set({ case_id: c.id, state_changed: ctx.now, validate_time: null, revised: false }).where('id', '=', existing.id).execute();
    return;
  }
  if (!changed) return;
  if (existing.state === 'REJECT') await step(ctx, reg, 'revise', {}, SYSTEM);
  else if (existing.state === 'COMPLETED') await step(ctx, reg, 'modified', {}, SYSTEM);
}

/** Thai display of a state as the agency catalog shows it (thai_gdc's .po), "(ปรับปรุงแล้ว)" on a revised rejection. */
export function stateText(state: string | null, revised: boolean, lang: 'th' | 'en'): string {
  const t: Record<string, Msg> = {
    NONE: { th: 'ยังไม่ได้ลงทะเบียน', en: 'Not registered' },
    WAIT: { th: 'พร้อมลงทะเบียน', en: 'Ready to register' },
    VALIDATE: { th: 'อยู่ระหว่างกระบวนการอนุมัติ ควรหลีกเลี่ยงการแก้ไข', en: 'Under approval; avoid editing' },
    VALIDATE_MODIFIED: { th: 'อยู่ระหว่างกระบวนการอนุมัติ ควรหลีกเลี่ยงการแก้ไข', en: 'Under approval (change); avoid editing' },
    APPROVAL: { th: 'อยู่ระหว่างกระบวนการอนุมัติ ควรหลีกเลี่ยงการแก้ไข', en: 'Awaiting approval; avoid editing' },
    REJECT: { th: 'ไม่ผ่านเกณฑ์', en: 'Rejected' },
    COMPLETED: { th: 'ลงทะเบียนแล้ว', en: 'Registered' },
    WAIT_REVOKE: { th: 'อยู่ระหว่างกระบวนการเพิกถอน', en: 'Revocation in progress' },
    REVOKE: { th: 'อยู่ระหว่างกระบวนการเพิกถอน', en: 'Revocation in progress' },
    DELETED: { th: 'เพิกถอนแล้ว', en: 'Revoked' },
  };
  const m = t[state ?? 'NONE'] ?? { th: state ?? '', en: state ?? '' };
  const base = m[lang];
  return state === 'REJECT' && revised ? `${base} ${lang === 'en' ? '(revised)' : '(ปรับปรุงแล้ว)'}` : base;
}

/** Registrations of one agency catalog (site host), for the status API and the agency's pull page. */
export function bySite(ctx: ActionContext, site: string) {
  return ctx.db
    .selectFrom('registrations as r')
    .innerJoin('cases as c', 'c.id', 'r.case_id')
    .selectAll('r')
    .select(['c.state', 'c.version', 'c.number'])
    .where('r.site', '=', site);
}

export const countSql = sql<number>`count(*)::int`;
