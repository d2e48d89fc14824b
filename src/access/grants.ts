import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Db, Tx } from '../store/db.ts';
import { memberOrgs, userId, type Actor } from './actor.ts';
import type { RowCondition } from './row-condition.ts';

/**
 * THE answer to "may this grant be used now", as one SQL condition over a dataset_grants alias.
 * Every reader of grants (visibility of metadata, file downloads, grantFor for the exchange,
 * grant_list's status) uses it, so they cannot disagree. A grant an agreement owns is usable only
 * while that agreement's lifecycle case is `active` and `now` lies inside the agreement's window
 * (and the grant's own): terminating or passing `access_to` stops access in the same instant, with
 * no job. `now` defaults to the transaction's clock; tests and callers with a clock pass theirs.
 */
export function grantUsable(alias = 'gr', now?: Date): RawBuilder<SqlBool> {
  const g = sql.raw(alias);
  const t = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
  return sql<SqlBool>`(
    ${g}.revoked_at IS NULL
    AND (${g}.expires_at IS NULL OR ${g}.expires_at > ${t})
    AND (${g}.starts_at IS NULL OR ${g}.starts_at <= ${t})
    AND (${g}.agreement_id IS NULL OR EXISTS (
      SELECT 1 FROM agreements ag JOIN cases agc ON agc.id = ag.case_id
      WHERE ag.id = ${g}.agreement_id AND agc.state = 'active' AND ag.terminated_at IS NULL
        AND ag.access_from <= ${t} AND ag.access_to > ${t}
    ))
  )`;
}

/** The grant is held by this caller: to them by name, or to an organisation they belong to. */
export function grantHeldBy(actor: Actor, alias = 'gr'): RawBuilder<SqlBool> {
  const g = sql.raw(alias);
  const me = userId(actor);
  if (!me) return sql<SqlBool>`false`;
  return sql<SqlBool>`(${g}.grantee_user_id = ${me} OR ${g}.grantee_org_id = ANY(${memberOrgs(actor)}::uuid[]))`;
}

export interface GrantTerms {
  id: string;
  agreement_id: string | null;
  scope: string;
  /** null: every field (a grant made by hand, not by an agreement). */
  fields: string[] | null;
  /** null: every record. */
  row_condition: RowCondition | null;
  frequency: Record<string, unknown> | null;
  expires_at: Date | null;
}

export interface GrantAnswer {
  /** Each usable grant with its own terms: apply them one by one (fields of one grant go with its rows). */
  grants: GrantTerms[];
  /** Union of the grants' fields (null when one of them allows every field). */
  fields: string[] | null;
  /** The grants' row conditions joined with OR (null when one of them allows every record). */
  row_condition: RowCondition | null;
}

/**
 * What the caller may use of a dataset at `now` through grants: null when nothing. The exchange /
 * DataStore work calls this at the moment of each access and filters fields and records with it.
 */
export async function grantFor(db: Db | Tx, actor: Actor, datasetId: string, now: Date): Promise<GrantAnswer | null> {
  if (!userId(actor)) return null;
  const rows = await db
    .selectFrom('dataset_grants as gr')
    .select(['gr.id', 'gr.agreement_id', 'gr.scope', 'gr.fields', 'gr.row_condition', 'gr.frequency', 'gr.expires_at'])
    .where('gr.dataset_id', '=', datasetId)
    .where(grantHeldBy(actor))
    .where(grantUsable('gr', now))
    .orderBy('gr.created')
    .execute();
  return grantAnswer(rows);
}

/**
 * grantFor's rows as one jsonb column over a dataset id expression (the DataStore reads them in the
 * statement that loads the dataset): the same conditions, in the same order.
 */
export function grantForSql(actor: Actor, datasetId: RawBuilder<unknown>, now: Date): RawBuilder<unknown> {
  if (!userId(actor)) return sql`'[]'::jsonb`;
  return sql`(SELECT coalesce(jsonb_agg(jsonb_build_object('id', gr.id, 'agreement_id', gr.agreement_id, 'scope', gr.scope, 'fields', gr.fields,
      'row_condition', gr.row_condition, 'frequency', gr.frequency, 'expires_at', gr.expires_at) ORDER BY gr.created), '[]'::jsonb)
    FROM dataset_grants gr WHERE gr.dataset_id = ${datasetId} AND ${grantHeldBy(actor)} AND ${grantUsable('gr', now)})`;
}

/** grantForSql's column read back: grantFor's answer. */
export function grantsFromJson(v: unknown): GrantAnswer | null {
  const rows = (Array.isArray(v) ? v : []) as Array<Record<string, unknown>>;
  return grantAnswer(rows.map((r) => ({ ...r, expires_at: r.expires_at == null ? null : new Date(String(r.expires_at)) })) as never);
}

function grantAnswer(rows: Array<{ id: string; agreement_id: string | null; scope: string; fields: unknown; row_condition: unknown; frequency: unknown; expires_at: Date | null }>): GrantAnswer | null {
  if (!rows.length) return null;
  const grants = rows.map((r) => ({
    id: r.id, agreement_id: r.agreement_id, scope: r.scope, fields: (r.fields as string[] | null) ?? null,
    row_condition: (r.row_condition as RowCondition | null) ?? null, frequency: (r.frequency as Record<string, unknown> | null) ?? null, expires_at: r.expires_at,
  }));
  const fields = grants.some((g) => !g.fields) ? null : [...new Set(grants.flatMap((g) => g.fields!))];
  const conds = grants.map((g) => g.row_condition);
  const row_condition = conds.some((c) => !c) ? null : conds.length === 1 ? conds[0]! : { op: 'or' as const, args: conds as RowCondition[] };
  return { grants, fields, row_condition };
}
