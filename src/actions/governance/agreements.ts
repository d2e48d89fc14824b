import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { ErrorBag, ValidationError } from '../errors.ts';
import { attachUpload } from '../../files/lifecycle.ts';
import { FileRef } from '../../files/upload.ts';
import { isSysadmin, memberOrgs } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { queueMail } from '../../mail/outbox.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import { formatRowCondition, type RowCondition } from '../../access/row-condition.ts';
import { filterParam, naturalNumber } from '../params.ts';
import { readAgreement, type AgreementValues } from './agreements-input.ts';
import { writeGrants, revokeGrants, listGrants } from './grants.ts';
import { listClientCerts } from '../../exchange/gateway/mtls.ts';
import { CODES, GROUNDS, UUID, checkCode, checkText, notFound, notifyStep, orgContacts, recipients, workflowActor, workflows } from './agreements-shared.ts';

/** Agreements (rule 3, §5 2.2(1)): the terms, a lifecycle case run by the engine, and the grants they own. */

type Row = Awaited<ReturnType<typeof loadRow>>;

async function loadRow(ctx: ActionContext, ref: unknown, lock = false) {
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field('id', { th: 'กรุณาระบุสัญญา', en: 'An agreement id is required' });
  let q = ctx.db.selectFrom('agreements as a').innerJoin('cases as c', 'c.id', 'a.case_id').selectAll('a').select(['c.state', 'c.number', 'c.version']);
  q = UUID.test(ref.trim()) ? q.where('a.id', '=', ref.trim().toLowerCase()) : q.where('c.number', '=', ref.trim());
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Loads an agreement the caller may see, or answers 404 as if it did not exist (also the gateway's certificate actions). */
export async function requireAgreement(ctx: ActionContext, ref: unknown, rule: string, lock = false): Promise<NonNullable<Row>> {
  const row = await loadRow(ctx, ref, lock);
  const subject = row ? { owner_org: row.owner_org, partner_org: row.partner_org } : { owner_org: null };
  if (!row || !ctx.can('agreement_show', subject)) {
    try { ctx.authorize(rule, subject); } catch { /* a 404 either way */ }
    throw notFound();
  }
  ctx.authorize(rule, subject);
  return row;
}

/** The state people read: an active agreement past its window is expired, before it not yet in force. */
export function effectiveStatus(row: { state: string; access_from: Date; access_to: Date }, now: Date): string {
  if (row.state !== 'active') return row.state;
  if (now >= new Date(row.access_to)) return 'expired';
  if (now < new Date(row.access_from)) return 'scheduled';
  return 'active';
}

async function present(ctx: ActionContext, row: NonNullable<Row>, full: boolean) {
  const orgs = await ctx.db.selectFrom('groups').select(['id', 'name', 'title']).where('id', 'in', [row.owner_org, row.partner_org]).execute();
  const org = (id: string) => orgs.find((o) => o.id === id) ?? null;
  const out: Record<string, unknown> = {
    id: row.id, number: row.number, kind: row.kind, state: row.state, status: effectiveStatus(row, ctx.now), version: row.version,
    organization: org(row.owner_org), partner: org(row.partner_org), case_id: row.request_case_id, lifecycle_case_id: row.case_id,
    title: row.title, purpose: row.purpose, scope_of_use: row.scope_of_use,
    access_from: new Date(row.access_from).toISOString(), access_to: new Date(row.access_to).toISOString(),
    frequency: row.frequency, service_level: row.service_level, period_of_use: row.period_of_use,
    technology: row.technology, technology_note: row.technology_note, legal_basis: row.legal_basis, legal_file: row.legal_file,
    items: (row.items as { dataset_id: string; dataset_name: string; fields: string[]; row_condition: RowCondition | null }[]).map((i) => ({ ...i, row_condition_text: i.row_condition ? formatRowCondition(i.row_condition) : '' })),
    termination_ground: row.termination_ground, termination_note: row.termination_note, terminated_at: row.terminated_at?.toISOString() ?? null, mtls_required: row.mtls_required,
    created: new Date(row.created).toISOString(), modified: new Date(row.modified).toISOString(),
  };
  if (full) {
    const view = await workflows().show(ctx.db, workflowActor(ctx.actor), row.case_id);
    out.events = view.events;
    out.next = view.next;
    out.grants = await listGrants(ctx, { agreement_id: row.id, limit: 100, offset: 0 });
    // Mutual TLS for the gateway (src/exchange/gateway/mtls-actions.ts): the certificates its partner calls with.
    out.client_certs = await listClientCerts(ctx.db, row.id);
    out.can_manage_client_certs = ctx.can('agreement_client_cert_add', { owner_org: row.owner_org, partner_org: row.partner_org });
  }
  return out;
}

function itemsJson(v: AgreementValues) {
  return JSON.stringify(v.items.map(({ dataset_id, dataset_name, fields, row_condition, row_condition_text, whole }) => ({ dataset_id, dataset_name, fields, row_condition, row_condition_text, whole })));
}

function legalFile(ctx: ActionContext, v: AgreementValues): { legal_file: string; legal_file_key: string } | Record<string, never> {
  if (!v.upload) return {};
  const meta = { filename: v.upload.filename.slice(0, 200), size: v.upload.size, sha256: v.upload.sha256 };
  return { legal_file: JSON.stringify(meta), legal_file_key: attachUpload(ctx, v.upload) };
}

export const agreementCreate = defineAction({
  name: 'agreement_create',
  uploadRule: 'agreement_upload_somewhere',
  readOnly: false,
  summary: 'Draft an agreement (purpose, scope of use, access window, frequency, service level, period of use, accessible fields and records per dataset, technology, legal basis or consent letter as "upload"); an MOU goes through legal review.',
  params: {
    kind: { type: 'string', description: 'agreement or mou' }, organization: { type: 'string', description: 'owner organisation (id or name)', required: true },
    partner: { type: 'string', description: 'partner organisation (id or name)', required: true }, case_id: { type: 'string', description: 'the information request it answers' },
    title: { type: 'string', description: 'title', required: true }, purpose: { type: 'string', description: 'purpose of use', required: true }, scope_of_use: { type: 'string', description: 'scope of use', required: true },
    access_from: { type: 'string', description: 'access window start', required: true }, access_to: { type: 'string', description: 'access window end', required: true },
    frequency_unit: { type: 'string', description: 'calls_per_day, deliveries_per_day/week/month/year', required: true }, frequency_count: { type: 'integer', description: 'how many per unit', required: true },
    service_level: { type: 'string', description: 'service level', required: true }, period_of_use: { type: 'string', description: 'period of use', required: true },
    technology: { type: 'string', description: 'rest, soap, file_transfer, …', required: true }, legal_basis: { type: 'string', description: 'legal basis' },
    items: { type: 'array', description: '[{dataset, fields: [...], row_condition: "field op value AND …"}]', required: true }, upload: { type: 'file', description: 'consent letter / legal basis document' },
  },
  async run(ctx, input) {
    const subject = { owner_org: typeof input.organization === 'string' ? (await ctx.db.selectFrom('groups').select('id').where(UUID.test(input.organization) ? 'id' : 'name', '=', input.organization).executeTakeFirst())?.id ?? null : null };
    ctx.authorize('agreement_create', subject);
    const v = await readAgreement(ctx, input);
    if (v.owner_org !== subject.owner_org) ctx.authorize('agreement_create', { owner_org: v.owner_org });
    const id = crypto.randomUUID();
    const r = await workflows().create(ctx.db, workflowActor(ctx.actor), 'agreement', { facts: { kind: v.kind }, subjects: [{ type: 'agreement', id }, ...v.items.map((i) => ({ type: 'dataset', id: i.dataset_id }))], org: v.owner_org, now: ctx.now });
    await ctx.db.insertInto('agreements').values({
      id, case_id: r.case.id, kind: v.kind, owner_org: v.owner_org, partner_org: v.partner_org, request_case_id: v.request_case_id, title: v.title, purpose: v.purpose,
      scope_of_use: v.scope_of_use, access_from: v.access_from, access_to: v.access_to, frequency: JSON.stringify(v.frequency), service_level: v.service_level,
      period_of_use: v.period_of_use, technology: v.technology, technology_note: v.technology_note, legal_basis: v.legal_basis, legal_file: null, legal_file_key: null,
      ...legalFile(ctx, v), items: itemsJson(v), termination_ground: null, terminated_at: null, created_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null, created: ctx.now, modified: ctx.now,
    }).execute();
    const grants = await writeGrants(ctx, { id, number: r.case.number, partner_org: v.partner_org, access_from: v.access_from, access_to: v.access_to, frequency: v.frequency }, v.items);
    await ctx.audit({ action: 'agreement_create', object_type: 'agreement', object_id: id, detail: { number: r.case.number, kind: v.kind, partner: v.partner_org, grants, datasets: v.items.map((i) => i.dataset_id) } });
    return present(ctx, (await loadRow(ctx, id))!, true);
  },
});

export const agreementUpdate = defineAction({
  name: 'agreement_update',
  uploadRule: 'agreement_upload_somewhere',
  readOnly: false,
  summary: 'Change a draft agreement (only while it is a draft; a sent-back agreement is a draft again). Fields left out keep their value.',
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_update', true);
    if (row.state !== 'draft') {
      throw ValidationError.field('state', { th: `แก้ไขได้เฉพาะร่าง (ขณะนี้สถานะ "${row.state}")`, en: `Only a draft may be changed (it is "${row.state}")` });
    }
    const prevItems = (row.items as { dataset_id: string; fields: string[]; row_condition_text: string }[]).map((i) => ({ dataset: i.dataset_id, fields: i.fields, row_condition: i.row_condition_text }));
    const prev = { ...row, organization: row.owner_org, partner: row.partner_org, case_id: row.request_case_id, frequency: row.frequency, items_input: prevItems } as Record<string, unknown>;
    const { id: _i, organization: _o, ...rest } = input;
    const v = await readAgreement(ctx, { ...rest, organization: row.owner_org }, prev);
    const oldKey = v.upload ? row.legal_file_key : null;
    await ctx.db.updateTable('agreements').set({
      kind: v.kind, partner_org: v.partner_org, request_case_id: v.request_case_id, title: v.title, purpose: v.purpose, scope_of_use: v.scope_of_use,
      access_from: v.access_from, access_to: v.access_to, frequency: JSON.stringify(v.frequency), service_level: v.service_level, period_of_use: v.period_of_use,
      technology: v.technology, technology_note: v.technology_note, legal_basis: v.legal_basis, ...legalFile(ctx, v), items: itemsJson(v), modified: ctx.now,
    }).where('id', '=', row.id).execute();
    await ctx.db.updateTable('cases').set({ facts: JSON.stringify({ kind: v.kind }), modified: ctx.now }).where('id', '=', row.case_id).execute();
    const grants = await writeGrants(ctx, { id: row.id, number: row.number, partner_org: v.partner_org, access_from: v.access_from, access_to: v.access_to, frequency: v.frequency }, v.items);
    if (oldKey) ctx.afterCommit(() => ctx.services.files.remove(oldKey).catch(() => undefined));
    await ctx.audit({ action: 'agreement_update', object_type: 'agreement', object_id: row.id, detail: { number: row.number, grants } });
    return present(ctx, (await loadRow(ctx, row.id))!, true);
  },
});

export const agreementShow = defineAction({
  name: 'agreement_show',
  readOnly: true,
  summary: 'An agreement with its terms, state, timeline, the steps the caller may take (next) and its grants.',
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_show');
    return present(ctx, row, true);
  },
});

export const agreementList = defineAction({
  name: 'agreement_list',
  readOnly: true,
  summary: 'Agreements the caller is party to (governance duties of the owner, members of the partner). Filters: state, partner, organization.',
  async run(ctx, input) {
    ctx.authorize('agreement_list');
    const limit = naturalNumber(input, 'limit', 1000) ?? 100;
    const offset = naturalNumber(input, 'offset') ?? 0;
    let q = ctx.db.selectFrom('agreements as a').innerJoin('cases as c', 'c.id', 'a.case_id').selectAll('a').select(['c.state', 'c.number', 'c.version']);
    if (!isSysadmin(ctx.actor)) {
      const duty = [...new Set(ROLE_KEYS.flatMap((r) => orgsWithDuty(ctx.actor, r)))];
      const mine = memberOrgs(ctx.actor);
      const none = ['00000000-0000-0000-0000-000000000000'];
      q = q.where((eb) => eb.or([eb('a.owner_org', 'in', duty.length ? duty : none), eb('a.partner_org', 'in', mine.length ? mine : none)]));
    }
    for (const k of ['partner', 'organization'] as const) {
      const v = input[k];
      if (v === undefined || v === '') continue;
      if (typeof v !== 'string' || !UUID.test(v)) throw ValidationError.field(k, { th: 'ต้องเป็นรหัสหน่วยงาน (uuid)', en: 'Must be an organisation id (uuid)' });
      q = q.where(k === 'partner' ? 'a.partner_org' : 'a.owner_org', '=', v);
    }
    const state = filterParam(input, 'state');
    if (state) q = q.where('c.state', '=', state);
    const rows = await q.orderBy('a.created', 'desc').limit(limit).offset(offset).execute();
    return Promise.all(rows.map((r) => present(ctx, r, false)));
  },
});

export const agreementTransition = defineAction({
  name: 'agreement_transition',
  readOnly: false,
  summary: 'Take a step of the agreement process: submit, approve / reject (legal review for an MOU, then approval), activate, cancel. 409 with the allowed steps when it does not apply. Termination: agreement_terminate.',
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_transition', true);
    const name = typeof input.transition === 'string' ? input.transition : '';
    if (name === 'terminate') throw ValidationError.field('transition', { th: 'ใช้ agreement_terminate พร้อมเหตุแห่งการยกเลิก', en: 'Use agreement_terminate with a ground' });
    // Approving or putting into force an agreement whose window has passed would issue dead grants.
    if (['approve', 'activate'].includes(name) && ctx.now >= new Date(row.access_to)) {
      throw ValidationError.field('access_to', { th: 'ช่วงเวลาการเข้าถึงของสัญญานี้สิ้นสุดแล้ว อนุมัติหรือเริ่มใช้ไม่ได้ ให้แก้ไขร่างหรือจัดทำใหม่', en: 'The access window of this agreement has ended; it cannot be approved or put into force' });
    }
    const reason = typeof input.reason === 'string' ? input.reason : '';
    const r = await workflows().transition(ctx.db, workflowActor(ctx.actor), row.case_id, name, { reason, expectedVersion: typeof input.version === 'number' ? input.version : undefined, now: ctx.now });
    if (r.case.state === 'terminated') {
      await ctx.db.updateTable('agreements').set({ terminated_at: ctx.now, termination_note: reason, modified: ctx.now }).where('id', '=', row.id).execute();
      await revokeGrants(ctx, row.id);
    } else await ctx.db.updateTable('agreements').set({ modified: ctx.now }).where('id', '=', row.id).execute();
    await notifyStep(ctx, r, `/governance/agreements/${row.id}`);
    await ctx.audit({ action: 'agreement_transition', object_type: 'agreement', object_id: row.id, detail: { number: row.number, transition: name, from: row.state, to: r.case.state, reason } });
    return present(ctx, (await loadRow(ctx, row.id))!, true);
  },
});

/** P5 for an agreement: ends it with a §7.2 ground, revokes its grants at once, cancels its linkages, tells the partner and the units concerned. */
export async function terminateAgreement(ctx: ActionContext, row: NonNullable<Row>, ground: string, note: string, cascade = true): Promise<string[]> {
  const actor = ctx.actor.kind === 'user' ? { id: ctx.actor.user.id, name: ctx.actor.user.name, roles: [], system: true } : workflowActor(ctx.actor);
  const r = await workflows().transition(ctx.db, cascade ? workflowActor(ctx.actor) : actor, row.case_id, row.state === 'active' ? 'terminate' : 'cancel', { reason: note, now: ctx.now });
  await ctx.db.updateTable('agreements').set({ terminated_at: ctx.now, termination_ground: ground, termination_note: note, modified: ctx.now }).where('id', '=', row.id).execute();
  const revoked = await revokeGrants(ctx, row.id);
  if (cascade) {
    const { cancelLinkagesOf } = await import('./cancellation.ts');
    await cancelLinkagesOf(ctx, row.id, ground, note);
  }
  const groundLabel = GROUNDS.find((g) => g.value === ground)!.label;
  const people = [...(await orgContacts(ctx.db, row.partner_org)), ...(await recipients(ctx.db, 'data_owner', r.case)), ...(await recipients(ctx.db, 'it_officer', r.case))];
  const seen = new Set<string>();
  for (const p of people) {
    if (seen.has(p.email.toLowerCase())) continue;
    seen.add(p.email.toLowerCase());
    const lang = p.lang ?? 'th';
    await queueMail(ctx.db, { to: p.email, template: 'case_closed', lang, vars: {
      name: p.name, number: row.number, process: lang === 'en' ? 'Data exchange agreement' : 'สัญญา/ข้อตกลงการแลกเปลี่ยนข้อมูล',
      state: lang === 'en' ? 'Terminated' : 'ยกเลิก/สิ้นสุดแล้ว', reason: `${lang === 'en' ? groundLabel.en : groundLabel.th}${note ? ` — ${note}` : ''}`,
      url: `${ctx.services.config.siteUrl}/governance/agreements/${row.id}`, site: ctx.services.config.siteTitle,
    } });
  }
  await ctx.audit({ action: 'agreement_terminate', object_type: 'agreement', object_id: row.id, detail: { number: row.number, ground, note, from: row.state, revoked_grants: revoked, notified: seen.size } });
  return revoked;
}

export const agreementTerminate = defineAction({
  name: 'agreement_terminate',
  readOnly: false,
  summary: 'End an agreement (P5) on a ground of §7.2 (cancellation_grounds_list): its grants stop at once, its linkages are cancelled in the registry, the partner and the units concerned are notified.',
  params: { id: { type: 'string', description: 'agreement id or number', required: true }, ground: { type: 'string', description: 'a §7.2 ground', required: true }, reason: { type: 'string', description: 'note', required: true } },
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_terminate', true);
    const bag = new ErrorBag();
    const ground = checkCode(bag, 'ground', GROUNDS, input.ground);
    const note = checkText(bag, 'reason', input.reason, { required: true });
    if (!['active', 'approved', 'draft'].includes(row.state)) bag.add('state', { th: `สัญญานี้สิ้นสุดแล้ว (สถานะ "${row.state}")`, en: `This agreement has already ended ("${row.state}")` });
    bag.throwIfAny();
    const revoked = await terminateAgreement(ctx, row, ground!, note);
    return { ...(await present(ctx, (await loadRow(ctx, row.id))!, true)), revoked_grants: revoked };
  },
});

export const agreementActions: ActionDef<any>[] = [agreementCreate, agreementUpdate, agreementShow, agreementList, agreementTransition, agreementTerminate];
export { CODES };
void sql;

/** The consent letter / legal-basis document for the page's download route (internal: hands over an opaque handle, never a key). */
export const agreementLegalFile = defineAction({
  name: 'agreement_legal_file',
  readOnly: true,
  internal: true,
  summary: "Authorise a download of an agreement's consent letter (used by /governance/agreements/<id>/legal-file).",
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_legal_file');
    if (!row.legal_file_key || !row.legal_file) throw notFound();
    await ctx.audit({ action: 'agreement_legal_file', object_type: 'agreement', object_id: row.id, detail: { number: row.number } });
    return { file: FileRef.of(row.legal_file_key), filename: String((row.legal_file as { filename?: string }).filename ?? 'legal-basis') };
  },
});
agreementActions.push(agreementLegalFile);
