import { sql } from 'kysely';
import type { ActionContext } from '../context.ts';
import type { DatasetRow, GroupRow } from '../../store/schema.ts';
import type { Db, Tx } from '../../store/db.ts';
import { isSensitiveCategory, visibleDatasets } from '../../access/visibility.ts';
import { grantUsable } from '../../access/grants.ts';
import type { DatasetSubject } from '../../policies/dataset.ts';
import { AuthorizationError, NotFoundError, ValidationError } from '../errors.ts';
import { M } from '../../standard/messages.ts';

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
    .where(visibleDatasets(ctx.actor, 'd', { includeDrafts: true, includeDeleted: true }))
    .executeTakeFirst();
  return !!row;
}

export async function hasFileGrant(ctx: ActionContext, id: string): Promise<boolean> {
  if (ctx.actor.kind !== 'user') return false;
  const orgs = [...ctx.actor.roles.keys()];
  const row = await sql<{ ok: number }>`
    SELECT 1 AS ok FROM dataset_grants gr
    WHERE gr.dataset_id = ${id} AND gr.scope = 'files' AND ${grantUsable('gr')}
      AND (gr.grantee_user_id = ${ctx.actor.user.id} OR gr.grantee_org_id = ANY(${orgs}::uuid[]))
    LIMIT 1`.execute(ctx.db);
  return row.rows.length > 0;
}

export async function datasetSubject(ctx: ActionContext, row: DatasetRow): Promise<DatasetSubject> {
  const [visible, fileGrant, collaborator] = await Promise.all([isVisible(ctx, row.id), hasFileGrant(ctx, row.id), collaboratorCapacity(ctx, row.id)]);
  return { ...row, visible, fileGrant, collaborator };
}

/** The caller's capacity as a collaborator on this dataset (package_collaborator_create), if any. */
async function collaboratorCapacity(ctx: ActionContext, id: string): Promise<string | null> {
  if (ctx.actor.kind !== 'user') return null;
  const c = await ctx.db.selectFrom('dataset_collaborators').select('capacity').where('dataset_id', '=', id).where('user_id', '=', ctx.actor.user.id).executeTakeFirst();
  return c?.capacity ?? null;
}

/**
 * Loads a dataset the caller names, or answers as if it did not exist: for personal, confidential
 * and security data (and drafts without a category yet) even the entry's name is disclosed only by
 * right, so "forbidden" would leak it.
 */
export async function requireDataset(ctx: ActionContext, input: Record<string, unknown>, rule: string, field = 'id'): Promise<{ row: DatasetRow; subject: DatasetSubject }> {
  const ref = input[field] ?? (field === 'id' ? input.name : undefined);
  if (typeof ref !== 'string' || !ref.trim()) throw ValidationError.field(field, M.missing());
  const row = await findDataset(ctx.db, ref.trim());
  if (!row) {
    markChecked(ctx, rule, { owner_org: null, visible: false });
    throw new NotFoundError();
  }
  const subject = await datasetSubject(ctx, row);
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
