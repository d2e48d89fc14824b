import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../registry.ts';
import type { ActionContext } from '../context.ts';
import { NotFoundError, ValidationError, pick } from '../errors.ts';
import { boolParam, filterParam } from '../params.ts';
import { findGroup } from '../datasets/load.ts';
import { isSysadmin, type Actor } from '../../access/actor.ts';
import { DOCUMENT_KINDS } from '../../workflow/definitions.ts';
import { ckanTime } from '../../util/time.ts';
import type { Tx } from '../../store/db.ts';
import type { PolicyDocumentsTable } from '../../store/schema-governance.ts';
import type { Selectable } from 'kysely';

/**
 * The agency's versioned governance documents: the data policy in three parts (seed 002: security
 * and privacy, quality assurance, exchange) and the integration manual (seed 000, renewed by P7).
 * A draft belongs to the case that proposes it; only the workflow's last approval publishes it,
 * numbering the version and superseding the one before. Published and superseded versions are
 * public; drafts are for the governance office of the agency.
 */
type DocRow = Selectable<PolicyDocumentsTable>;

export const KIND_LABELS: Record<string, { th: string; en: string }> = {
  security_privacy: { th: 'นโยบายความมั่นคงปลอดภัยและความเป็นส่วนตัวของข้อมูล', en: 'Data security and privacy policy' },
  quality: { th: 'นโยบายการประกันคุณภาพข้อมูล', en: 'Data quality assurance policy' },
  exchange: { th: 'นโยบายการแลกเปลี่ยนข้อมูล', en: 'Data exchange policy' },
  integration_manual: { th: 'คู่มือการบูรณาการเชื่อมโยงข้อมูลและการดำเนินงานร่วมกัน', en: 'Integration and joint operation manual' },
};

/** Duties of the governance office: who reads drafts and the cases that make them. */
const OFFICE = ['cdo', 'dpo', 'it_officer', 'governance_committee', 'data_steward', 'legal_officer'];

export function isGovernanceOffice(actor: Actor, agencyId: string): boolean {
  if (isSysadmin(actor)) return true;
  if (actor.kind !== 'user') return false;
  const held = actor.duties?.get(agencyId);
  return !!held && OFFICE.some((r) => held.has(r));
}

const PUBLIC_STATES = ['published', 'superseded'] as const;

/** The draft a case proposes: created at its first step, rewritten when the case is revised. */
export async function saveDraft(ctx: ActionContext, caseId: string, agencyId: string, kind: string, inputs: Record<string, unknown>): Promise<string> {
  const text = (k: string) => (typeof inputs[k] === 'string' ? (inputs[k] as string) : '');
  const values = { title_th: text('title_th'), title_en: text('title_en'), body_th: text('body_th'), body_en: text('body_en'), change_note: text('change_note') };
  const existing = await ctx.db.selectFrom('policy_documents').select('id').where('case_id', '=', caseId).where('state', '=', 'draft').executeTakeFirst();
  if (existing) {
    await ctx.db.updateTable('policy_documents').set({ ...values, modified: ctx.now }).where('id', '=', existing.id).execute();
    return existing.id;
  }
  const id = crypto.randomUUID();
  await ctx.db
    .insertInto('policy_documents')
    .values({ id, agency_id: agencyId, kind, version: null, state: 'draft', ...values, case_id: caseId, created_by: ctx.actor.kind === 'user' ? ctx.actor.user.id : null, created: ctx.now, modified: ctx.now, published_at: null })
    .execute();
  return id;
}

/**
 * Publishes a case's draft as the next version of its kind. One publisher per agency and kind at a
 * time (a transaction-scoped advisory lock), so two approvals at once cannot take the same number.
 */
export async function publishDraft(ctx: ActionContext, caseId: string): Promise<{ id: string; kind: string; version: number; state: 'published' } | null> {
  const draft = await ctx.db.selectFrom('policy_documents').selectAll().where('case_id', '=', caseId).where('state', '=', 'draft').executeTakeFirst();
  if (!draft) return null;
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`policy:${draft.agency_id}:${draft.kind}`}))`.execute(ctx.db);
  const last = await ctx.db.selectFrom('policy_documents').select((eb) => eb.fn.max<number>('version').as('v')).where('agency_id', '=', draft.agency_id).where('kind', '=', draft.kind).executeTakeFirst();
  const version = Number(last?.v ?? 0) + 1;
  await ctx.db.updateTable('policy_documents').set({ state: 'superseded', modified: ctx.now }).where('agency_id', '=', draft.agency_id).where('kind', '=', draft.kind).where('state', '=', 'published').execute();
  await ctx.db.updateTable('policy_documents').set({ state: 'published', version, published_at: ctx.now, modified: ctx.now }).where('id', '=', draft.id).execute();
  return { id: draft.id, kind: draft.kind, version, state: 'published' };
}

export async function withdrawDraft(ctx: ActionContext, caseId: string): Promise<void> {
  await ctx.db.updateTable('policy_documents').set({ state: 'withdrawn', modified: ctx.now }).where('case_id', '=', caseId).where('state', '=', 'draft').execute();
}

/**
 * The current published document of each kind that applies to an organisation: its own, or the
 * nearest agency's above it (a department follows its ministry's policy until it publishes its own).
 */
export async function policyLinks(db: Tx, orgId: string | null, kinds: readonly string[]): Promise<{ kind: string; id: string; version: number; title_th: string; title_en: string }[]> {
  if (!orgId || !kinds.length) return [];
  const r = await sql<{ kind: string; id: string; version: number; title_th: string; title_en: string; depth: number }>`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM groups WHERE id = ${orgId}::uuid
      UNION ALL
      SELECT g.id, g.parent_id, up.depth + 1 FROM groups g JOIN up ON g.id = up.parent_id WHERE up.depth < 20
    )
    SELECT d.kind, d.id, d.version, d.title_th, d.title_en, up.depth FROM policy_documents d JOIN up ON up.id = d.agency_id
    WHERE d.state = 'published' AND d.kind IN (${sql.join([...kinds])}) ORDER BY up.depth`.execute(db);
  const out = new Map<string, { kind: string; id: string; version: number; title_th: string; title_en: string }>();
  for (const row of r.rows) if (!out.has(row.kind)) out.set(row.kind, { kind: row.kind, id: row.id, version: row.version, title_th: row.title_th, title_en: row.title_en });
  return kinds.filter((k) => out.has(k)).map((k) => out.get(k)!);
}

function docDict(ctx: ActionContext, d: DocRow & { agency_name?: string; agency_title?: string; case_number?: string | null }, full: boolean) {
  const office = isGovernanceOffice(ctx.actor, d.agency_id);
  return {
    id: d.id, kind: d.kind, kind_label: pick(KIND_LABELS[d.kind] ?? { th: d.kind, en: d.kind }, ctx.lang), version: d.version, state: d.state,
    title: ctx.lang === 'en' ? d.title_en || d.title_th : d.title_th || d.title_en, title_th: d.title_th, title_en: d.title_en,
    organization_id: d.agency_id, organization: d.agency_name ?? null, organization_title: d.agency_title ?? null,
    change_note: d.change_note, published_at: d.published_at ? ckanTime(d.published_at) : null, modified: ckanTime(d.modified),
    // The approving case is the office's record; the public sees the published text and its date.
    ...(office ? { case_id: d.case_id, case_number: d.case_number ?? null } : {}),
    ...(full ? { body_th: d.body_th, body_en: d.body_en } : {}),
  };
}

function withAgency(db: Tx) {
  return db
    .selectFrom('policy_documents as d')
    .innerJoin('groups as g', 'g.id', 'd.agency_id')
    .leftJoin('cases as c', 'c.id', 'd.case_id')
    .selectAll('d')
    .select(['g.name as agency_name', 'g.title as agency_title', 'c.number as case_number']);
}

function kindParam(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || !DOCUMENT_KINDS.includes(v)) throw ValidationError.field('kind', { th: `ประเภทเอกสารต้องเป็นหนึ่งใน ${DOCUMENT_KINDS.join(', ')}`, en: `kind must be one of ${DOCUMENT_KINDS.join(', ')}` });
  return v;
}

export const policyDocumentList = defineAction({
  name: 'policy_document_list',
  readOnly: true,
  summary: 'The agencies\' published data policy documents and integration manuals (current versions; `history` for every published version; `drafts` for the governance office).',
  params: {
    organization: { type: 'string', description: 'Only this agency (name or id)' },
    kind: { type: 'string', description: 'security_privacy, quality, exchange or integration_manual' },
    history: { type: 'boolean', description: 'Every published version, not only the current ones' },
    drafts: { type: 'boolean', description: 'Also drafts under approval (governance office of the agency only)' },
  },
  async run(ctx, input) {
    ctx.authorize('policy_document_list');
    const kind = kindParam(input.kind);
    const history = boolParam(input, 'history', false);
    const drafts = boolParam(input, 'drafts', false);
    let q = withAgency(ctx.db);
    const organization = filterParam(input, 'organization');
    if (organization) {
      const g = await findGroup(ctx.db, organization, true);
      if (!g) return { count: 0, results: [] };
      q = q.where('d.agency_id', '=', g.id);
    }
    if (kind) q = q.where('d.kind', '=', kind);
    // Drafts only of agencies where the caller is in the governance office: in SQL, like every list.
    const officeOrgs = ctx.actor.kind === 'user' ? [...(ctx.actor.duties ?? [])].filter(([o]) => isGovernanceOffice(ctx.actor, o)).map(([o]) => o) : [];
    const states: DocRow['state'][] = history ? [...PUBLIC_STATES] : ['published'];
    q = q.where((eb) => {
      const open = eb('d.state', 'in', states);
      if (!drafts) return open;
      if (isSysadmin(ctx.actor)) return eb.or([open, eb('d.state', '=', 'draft')]);
      return officeOrgs.length ? eb.or([open, eb.and([eb('d.state', '=', 'draft'), eb('d.agency_id', 'in', officeOrgs)])]) : open;
    });
    const rows = await q.orderBy('g.title').orderBy('d.kind').orderBy('d.version', 'desc').limit(1000).execute();
    return { count: rows.length, results: rows.map((r) => docDict(ctx, r as never, false)) };
  },
});

export const policyDocumentShow = defineAction({
  name: 'policy_document_show',
  readOnly: true,
  summary: 'One document version with its text in Thai and English and the history of its kind (published versions; drafts for the governance office).',
  params: { id: { type: 'string', description: 'Document id', required: true } },
  async run(ctx, input) {
    const id = input.id;
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw ValidationError.field('id', { th: 'ต้องระบุรหัสเอกสาร', en: 'Give the document id' });
    const d = await withAgency(ctx.db).where('d.id', '=', id).executeTakeFirst();
    if (!d || !ctx.can('policy_document_show', d)) {
      ctx.authorize('policy_document_list');
      throw new NotFoundError({ th: 'ไม่พบเอกสาร', en: 'Document not found' });
    }
    ctx.authorize('policy_document_show', d);
    const office = isGovernanceOffice(ctx.actor, d.agency_id);
    const versions = await withAgency(ctx.db)
      .where('d.agency_id', '=', d.agency_id)
      .where('d.kind', '=', d.kind)
      .where('d.state', 'in', office ? ['published', 'superseded', 'draft'] : [...PUBLIC_STATES])
      .orderBy('d.version', 'desc')
      .orderBy('d.created', 'desc')
      .execute();
    return { ...docDict(ctx, d as never, true), history: versions.map((v) => docDict(ctx, v as never, false)) };
  },
});

export const documentActions: ActionDef[] = [policyDocumentList, policyDocumentShow];
