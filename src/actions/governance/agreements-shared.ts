import { sql } from 'kysely';
import codes from './data/codes.json' with { type: 'json' };
import grounds from './data/cancellation-grounds.json' with { type: 'json' };
import type { ActionContext } from '../context.ts';
import type { Tx } from '../../store/db.ts';
import { ErrorBag, NotFoundError, type Msg } from '../errors.ts';
import { hasDuty } from '../../access/duties.ts';
import { isSysadmin, type Actor } from '../../access/actor.ts';
import { loadWorkflows, type TransitionResult, type Workflows } from '../../workflow/engine.ts';
import { queueTransitionMail, type Recipient } from '../../workflow/notify.ts';
import type { CaseRecord, WorkflowActor } from '../../workflow/types.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import { readTimestamp } from '../../standard/values.ts';

/** Shared by agreements, grants, linkages and cancellation: code lists, the engine, duty roles, checks. */
export interface Code {
  value: string;
  label: Msg;
}

export const CODES = codes as unknown as Record<'technology' | 'frequency_unit' | 'agreement_kind' | 'delivery_frequency' | 'linkage_direction', Code[]>;
export const GROUNDS: Code[] = grounds.grounds as Code[];

let engine: Workflows | null = null;
export function workflows(): Workflows {
  return (engine ??= loadWorkflows());
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The engine's view of the caller: the duties they hold in the case's organisation (agency duties reach down). */
export function workflowActor(actor: Actor): WorkflowActor {
  if (actor.kind === 'system') return { id: null, name: 'system', roles: [], system: true };
  if (actor.kind !== 'user') return { id: null, name: '', roles: [] };
  return { id: actor.user.id, name: actor.user.name, roles: (c: CaseRecord) => ROLE_KEYS.filter((r) => hasDuty(actor, r, c.org_id)) };
}

/** Any governance duty in the organisation: who may read its agreements and registry. */
export function hasAnyDuty(actor: Actor, org: string | null | undefined): boolean {
  return isSysadmin(actor) || ROLE_KEYS.some((r) => hasDuty(actor, r, org));
}

export function codeLabel(list: Code[], value: string | null | undefined): Msg | null {
  return list.find((c) => c.value === value)?.label ?? null;
}

export function checkCode(bag: ErrorBag, field: string, list: Code[], value: unknown, required = true): string | null {
  if (value === undefined || value === null || value === '') {
    if (required) bag.add(field, { th: 'กรุณาเลือกค่า', en: 'Choose a value' });
    return null;
  }
  if (typeof value !== 'string' || !list.some((c) => c.value === value)) {
    const allowed = list.map((c) => c.value).join(', ');
    bag.add(field, { th: `ค่า "${String(value).slice(0, 80)}" ไม่อยู่ในรายการ (${allowed})`, en: `"${String(value).slice(0, 80)}" is not one of ${allowed}` });
    return null;
  }
  return value;
}

export function checkText(bag: ErrorBag, field: string, value: unknown, opts: { required?: boolean; max?: number } = {}): string {
  const max = opts.max ?? 4000;
  if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) {
    if (opts.required) bag.add(field, { th: 'กรุณากรอกข้อมูลนี้', en: 'Missing value' });
    return '';
  }
  if (typeof value !== 'string') {
    bag.add(field, { th: 'ต้องเป็นข้อความ', en: 'Must be text' });
    return '';
  }
  const s = value.trim();
  if (s.length > max) bag.add(field, { th: `ยาวได้ไม่เกิน ${max} ตัวอักษร`, en: `At most ${max} characters` });
  return s;
}

/**
 * A time, or a bare date. With `edge`, a bare date is a Bangkok calendar day taken whole: 'start'
 * is its first moment, 'end' the first moment after it (an access window "to 31 December" still
 * runs through that day in Thailand, not until 07:00 when UTC's 31 December begins).
 */
export function checkTime(bag: ErrorBag, field: string, value: unknown, required = true, edge?: 'start' | 'end'): Date | null {
  if (value === undefined || value === null || value === '') {
    if (required) bag.add(field, { th: 'กรุณาระบุวันที่', en: 'A date is required' });
    return null;
  }
  let d = readTimestamp(value);
  // Date reads 2026-02-30 as 2 March: a day the calendar does not have is refused, not moved.
  const day = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2})/.exec(value.trim())?.[1] : undefined;
  if (d && day && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) d = undefined;
  if (d && edge && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.trim())) {
    d = new Date(new Date(`${value.trim()}T00:00:00+07:00`).getTime() + (edge === 'end' ? 86400_000 : 0));
  }
  if (!d) bag.add(field, { th: 'วันที่ไม่ถูกต้อง (เช่น 2026-01-31 หรือ 2026-01-31T08:00:00Z)', en: 'Not a valid date (e.g. 2026-01-31 or 2026-01-31T08:00:00Z)' });
  return d ?? null;
}

/** An organisation by id or name (partner or owner), or a field error. */
export async function findOrg(tx: Tx, bag: ErrorBag, field: string, ref: unknown): Promise<{ id: string; name: string; title: string } | null> {
  if (typeof ref !== 'string' || !ref.trim()) {
    bag.add(field, { th: 'กรุณาระบุหน่วยงาน', en: 'An organisation is required' });
    return null;
  }
  const q = tx.selectFrom('groups').select(['id', 'name', 'title']).where('is_organization', '=', true).where('state', '=', 'active');
  const row = await (UUID.test(ref.trim()) ? q.where('id', '=', ref.trim().toLowerCase()) : q.where('name', '=', ref.trim())).executeTakeFirst();
  if (!row) bag.add(field, { th: 'ไม่พบหน่วยงานนี้', en: 'Organisation not found' });
  return row ?? null;
}

/** Holders of a role for a case: the creator, or duty holders at the case's organisation or an agency above it. */
export async function recipients(tx: Tx, role: string, c: CaseRecord): Promise<Recipient[]> {
  if (role === 'creator') {
    if (!c.created_by) return [];
    const u = await tx.selectFrom('users').select(['email', 'fullname', 'name', 'locale']).where('id', '=', c.created_by).executeTakeFirst();
    return u?.email ? [{ email: u.email, name: u.fullname || u.name, lang: u.locale === 'en' ? 'en' : 'th' }] : [];
  }
  if (!c.org_id) return [];
  const rows = await sql<{ email: string; fullname: string; name: string; locale: string }>`
    WITH RECURSIVE up(id, parent_id) AS (
      SELECT id, parent_id FROM groups WHERE id = ${c.org_id}
      UNION ALL SELECT g.id, g.parent_id FROM groups g JOIN up ON g.id = up.parent_id
    )
    SELECT DISTINCT u.email, u.fullname, u.name, u.locale FROM duties d JOIN users u ON u.id = d.user_id
    WHERE d.role = ${role} AND d.group_id IN (SELECT id FROM up) AND u.state = 'active' AND u.email <> ''`.execute(tx);
  return rows.rows.map((u) => ({ email: u.email, name: u.fullname || u.name, lang: u.locale === 'en' ? ('en' as const) : ('th' as const) }));
}

/** Admins and editors of an organisation (the partner's contacts). */
export async function orgContacts(tx: Tx, org: string): Promise<Recipient[]> {
  const rows = await tx
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.email', 'u.fullname', 'u.name', 'u.locale'])
    .where('m.group_id', '=', org)
    .where('m.role', 'in', ['admin', 'editor'])
    .where('u.state', '=', 'active')
    .execute();
  return rows.filter((u) => u.email).map((u) => ({ email: u.email, name: u.fullname || u.name, lang: u.locale === 'en' ? ('en' as const) : ('th' as const) }));
}

export async function notifyStep(ctx: ActionContext, r: TransitionResult, path: string): Promise<void> {
  await queueTransitionMail(ctx.db, workflows(), r, (role, c) => recipients(ctx.db, role, c), {
    siteTitle: ctx.services.config.siteTitle,
    caseUrl: () => `${ctx.services.config.siteUrl}${path}`,
  });
}

export function notFound(): NotFoundError {
  return new NotFoundError({ th: 'ไม่พบรายการนี้', en: 'Not found' });
}
