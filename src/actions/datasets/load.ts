import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ActionContext } from '../context.ts';
import type { DatasetRow, GroupRow } from '../../store/schema.ts';
import type { Db, Tx } from '../../store/db.ts';
import { isSensitiveCategory, visibleDatasets } from '../../access/visibility.ts';
import { grantUsable } from '../../access/grants.ts';
import type { DatasetSubject } from '../../policies/dataset.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { PREPARED_SQL } from '../../store/prepared.ts';
import { recordHiddenClashes } from '../../access/probe-budget.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findDataset(db: Tx | Db, ref: string): Promise<DatasetRow | undefined> {
  const q = db.selectFrom('datasets').selectAll();
  return UUID.test(ref) ? q.where('id', '=', ref.toLowerCase()).executeTakeFirst() : q.where('name', '=', ref).executeTakeFirst();
}

export async function findGroup(db: Tx | Db, ref: string, isOrganization: boolean): Promise<GroupRow | undefined> {
  const q = db.selectFrom('groups').selectAll().where('is_organization', '=', isOrganization);
  return UUID.test(ref) ? q.where('id', '=', ref.toLowerCase()).executeTakeFirst() : q.where('name', '=', ref).executeTakeFirst();
}

/** Asks the visibility SQL about one dataset, so single reads and lists can never disagree. */
export async function isVisible(ctx: ActionContext, id: string): Promise<boolean> {
  const row = await ctx.db
    .selectFrom('datasets as d')
    .select('d.id')
    .where('d.id', '=', id)
    .where(visibleSql(ctx, 'd'))
    .executeTakeFirst();
  return !!row;
}

/**
 * A uniqueness check found the dataset `id` already holding what the caller asked for (a name, an
 * id, a referenced address). May the answer name it? Yes when the caller may see it. Otherwise the
 * answer must be neutral, and it is one of the caller's rationed hidden-clash answers
 * (access/probe-budget.ts): every check that can meet an entry the caller may not see asks here.
 */
export async function clashDisclosable(ctx: ActionContext, id: string): Promise<boolean> {
  if (await isVisible(ctx, id)) return true;
  recordHiddenClashes(ctx, 1);
  return false;
}

/** The condition isVisible asks (single reads see drafts and deleted entries the caller may edit). */
function visibleSql(ctx: ActionContext, alias: string): RawBuilder<SqlBool> {
  return visibleDatasets(ctx.actor, alias, { includeDrafts: true, includeDeleted: true });
}

/**
 * Does the caller hold a usable `files` grant on the dataset whose id is `id` (a value or a column)?
 * An agreement's grant serves whole files only while its fields still cover every field of the
 * dataset's data dictionaries, as when it was approved: a field added since (personal data, say)
 * was never agreed, so the files then go through the exchange's field rules instead.
 */
function fileGrantSql(ctx: ActionContext, id: RawBuilder<unknown> | string): RawBuilder<SqlBool> {
  if (ctx.actor.kind !== 'user') return sql<SqlBool>`false`;
  const orgs = [...ctx.actor.roles.keys()];
  return sql<SqlBool>`EXISTS (
    SELECT 1 FROM dataset_grants gr
    WHERE gr.dataset_id = ${id} AND gr.scope = 'files' AND ${grantUsable('gr')}
      AND (gr.grantee_user_id = ${ctx.actor.user.id} OR gr.grantee_org_id = ANY(${orgs}::uuid[]))
      AND (gr.agreement_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM resources rs
          CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(rs.data_dictionary) = 'array' THEN rs.data_dictionary ELSE '[]'::jsonb END) AS dd(f)
        WHERE rs.dataset_id = gr.dataset_id AND rs.state = 'active' AND jsonb_typeof(dd.f) = 'object' AND dd.f->>'name' IS NOT NULL
          AND NOT (coalesce(gr.fields, '[]'::jsonb) ? (dd.f->>'name')))))`;
}

/** The caller's capacity as a collaborator on the dataset `id` (a value or a column), or NULL. */
function collaboratorSql(ctx: ActionContext, id: RawBuilder<unknown> | string): RawBuilder<string | null> {
  if (ctx.actor.kind !== 'user') return sql<null>`NULL::text`;
  return sql<string | null>`(SELECT co.capacity FROM dataset_collaborators co WHERE co.dataset_id = ${id} AND co.user_id = ${ctx.actor.user.id})`;
}

export async function hasFileGrant(ctx: ActionContext, id: string): Promise<boolean> {
  if (ctx.actor.kind !== 'user') return false;
  const row = await sql<{ ok: boolean }>`SELECT ${fileGrantSql(ctx, id)} AS ok`.execute(ctx.db);
  return row.rows[0]?.ok === true;
}

export async function datasetSubject(ctx: ActionContext, row: DatasetRow): Promise<DatasetSubject> {
  const [visible, fileGrant, collaborator] = await Promise.all([isVisible(ctx, row.id), hasFileGrant(ctx, row.id), collaboratorCapacity(ctx, row.id)]);
  return { ...row, visible, fileGrant, collaborator };
}

export type LoadedDataset<E> = { row: DatasetRow; subject: DatasetSubject; extra: E };

/**
 * The subject columns loadDatasetSubject asks beside `d.*`, for a statement of another reader that
 * reads the dataset in the same round trip (the gateway, with its agreement). Read back with
 * readDatasetSubject.
 */
export function datasetSubjectColumns(ctx: ActionContext, extra?: RawBuilder<unknown>, opts: { visibleOnly?: boolean } = {}): RawBuilder<unknown> {
  const d = sql.ref('d.id');
  // visibleOnly: a reader whose only right is a grant it names (the gateway) is never judged by a
  // file grant or a collaboration; those columns answer false / NULL and cost nothing to plan.
  const fileGrant = opts.visibleOnly ? sql`false` : fileGrantSql(ctx, d);
  const collaborator = opts.visibleOnly ? sql`NULL::text` : collaboratorSql(ctx, d);
  return sql`coalesce(${visibleSql(ctx, 'd')}, false) AS __visible, ${fileGrant} AS __file_grant, ${collaborator} AS __collaborator${extra ? sql`, ${extra}` : sql``}`;
}

/** A row of `d.*` and datasetSubjectColumns (other columns already taken out) as the dataset, its subject and the `__x_` extras. */
export function readDatasetSubject<E>(row: Record<string, unknown>): LoadedDataset<E> {
  const { __visible, __file_grant, __collaborator, ...rest } = row;
  const plain: Record<string, unknown> = {};
  const more: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) (k.startsWith('__x_') ? more : plain)[k] = v;
  const dataset = plain as unknown as DatasetRow;
  return { row: dataset, subject: { ...dataset, visible: __visible === true, fileGrant: __file_grant === true, collaborator: (__collaborator as string | null) ?? null }, extra: more as E };
}

/**
 * findDataset by id and datasetSubject in one statement (the DataStore and the gateway open a
 * table on every call): the same three conditions, asked as columns of the dataset's row. `extra`
 * adds columns over the alias `d`, named `__x_…` (the gateway's grants), answered beside the subject.
 */
export async function loadDatasetSubject<E extends Record<string, unknown> = Record<string, never>>(ctx: ActionContext, id: string, extra?: RawBuilder<unknown>, opts: { visibleOnly?: boolean } = {}): Promise<LoadedDataset<E> | undefined> {
  // A named prepared statement (src/store/prepared.ts): its text depends only on the caller's shape
  // (roles, not ids), so a connection keeps a handful, and the plan is not made on every call.
  const r = await sql<Record<string, unknown>>`${PREPARED_SQL}
    SELECT d.*, ${datasetSubjectColumns(ctx, extra, opts)}
    FROM datasets d WHERE d.id = ${id}`.execute(ctx.db);
  const row = r.rows[0];
  return row ? readDatasetSubject<E>(row) : undefined;
}

/** The caller's capacity as a collaborator on this dataset (package_collaborator_create), if any. */
async function collaboratorCapacity(ctx: ActionContext, id: string): Promise<string | null> {
  if (ctx.actor.kind !== 'user') return null;
  const c = await sql<{ capacity: string | null }>`SELECT ${collaboratorSql(ctx, id)} AS capacity`.execute(ctx.db);
  return c.rows[0]?.capacity ?? null;
}

/**
 * Loads a dataset the caller names, or answers as if it did not exist: for personal, confidential
 * and security data (and drafts without a category yet) even the entry's name is disclosed only by
 * right, so "forbidden" would leak it.
 */
export async function requireDataset(ctx: ActionContext, input: Record<string, unknown>, rule: string, field = 'id'): Promise<{ row: DatasetRow; subject: DatasetSubject }> {
  const ref = input[field] ?? (field === 'id' ? input.name : undefined);
  // A repeated ?id=a&id=b arrives as a list: that is one value too many, not a missing one.
  if (ref !== undefined && ref !== null && typeof ref !== 'string') throw ValidationError.field(field, M.notString());
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field(field, M.missing());
  // The row and the three subject conditions in one round trip (every dataset read starts here).
  const key = ref.trim();
  const byId = UUID.test(key);
  const r = await sql<Record<string, unknown>>`${PREPARED_SQL}
    SELECT d.*, ${datasetSubjectColumns(ctx)}
    FROM datasets d WHERE ${byId ? sql`d.id = ${key.toLowerCase()}::uuid` : sql`d.name = ${key}`}`.execute(ctx.db);
  if (!r.rows[0]) {
    markChecked(ctx, rule, { owner_org: null, visible: false });
    throw new NotFoundError();
  }
  const { row, subject } = readDatasetSubject(r.rows[0]);
  if (!subject.visible) {
    if (row.state === 'deleted' || isSensitiveCategory(row.data_category)) {
      markChecked(ctx, rule, subject);
      throw new NotFoundError();
    }
  }
  ctx.authorize(rule, subject);
  return { row, subject };
}

/** Records that a policy was consulted even though the answer is a 404, not a 403. */
function markChecked(ctx: ActionContext, rule: string, subject: DatasetSubject): void {
  try {
    ctx.authorize(rule, subject);
  } catch (e) {
    if (!(e instanceof AuthorizationError)) throw e;
  }
}
