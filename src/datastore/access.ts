import { sql, type RawBuilder } from 'kysely';
import { noteRead } from '../actions/disclosure.ts';
import type { ActionContext } from '../actions/context.ts';
import { NotFoundError, ValidationError } from '../actions/errors.ts';
import { can, type Actor } from '../access/actor.ts';
import { datasetSubject, findDataset } from '../actions/datasets/load.ts';
import type { DatasetSubject } from '../policies/dataset.ts';
import type { DatasetRow, ResourceRow } from '../store/schema.ts';
import type { Tx } from '../store/db.ts';
import { isResourceId } from './ident.ts';
import { getTable, type DsField, type DsTable } from './meta.ts';

export const NOT_FOUND = { th: 'ไม่พบทรัพยากรหรือตาราง DataStore', en: 'Not found: Resource "{id}" was not found.' };

export interface DatastoreSubject extends DatasetSubject {
  /** The resource is marked private within its dataset (CKAN's resource_private). */
  resource_private?: boolean;
}

export interface TableAccess {
  resource: ResourceRow;
  dataset: DatasetRow;
  subject: DatastoreSubject;
  table: DsTable | undefined;
  /** Columns this caller may read (personal data and grant limits already applied). */
  fields: DsField[];
  /** Rows this caller may read: a condition over the table, or null for all rows. */
  rows: RawBuilder<unknown> | null;
}

export function readResourceId(input: Record<string, unknown>, key = 'resource_id'): string {
  const id = input[key] ?? (key === 'resource_id' ? input.id : undefined);
  if (typeof id !== 'string' || !id) throw ValidationError.field(key, { th: 'ต้องระบุ resource_id', en: 'Missing value' });
  if (!isResourceId(id.toLowerCase())) throw new NotFoundError({ th: NOT_FOUND.th, en: NOT_FOUND.en.replace('{id}', id.slice(0, 100)) });
  return id.toLowerCase();
}

/**
 * The grant hook (governance, src/access/grants.ts `grantFor(db, actor, datasetId, now)`): a caller
 * whose right comes from an agreement sees only the agreed fields and the rows matching its
 * condition. Until grants are merged, callers without a role read through resource_download only,
 * so this returns "no restriction"; the gateway wires `grantFor` in here.
 */
export async function grantRestriction(_db: Tx, _actor: Actor, _datasetId: string, _now: Date): Promise<{ fields: string[] | null; rows: RawBuilder<unknown> | null } | null> {
  return null;
}

/** Personal-data columns are for the owning organisation's read_sensitive holders only. */
export function mayReadPersonal(actor: Actor, ownerOrg: string | null): boolean {
  return can(actor, 'read_sensitive', ownerOrg);
}

/**
 * Loads a resource and its DataStore table for `rule`, answering 404 alike for a resource that
 * does not exist, one the caller may not see, and one without a table (so nothing is disclosed).
 */
export async function openTable(ctx: ActionContext, resourceId: string, rule: string, opts: { needTable?: boolean; personal?: boolean; write?: boolean } = {}): Promise<TableAccess> {
  const notFound = () => new NotFoundError({ th: NOT_FOUND.th, en: NOT_FOUND.en.replace('{id}', resourceId) });
  const resource = await ctx.db.selectFrom('resources').selectAll().where('id', '=', resourceId).executeTakeFirst();
  const dataset = resource ? await findDataset(ctx.db, resource.dataset_id) : undefined;
  const base = dataset ? await datasetSubject(ctx, dataset) : undefined;
  if (!resource || !dataset || !base || resource.state === 'deleted' || dataset.state === 'deleted' || !base.visible) {
    try {
      ctx.authorize(rule, base ?? { owner_org: null, visible: false });
    } catch {
      /* the answer is the same 404 either way */
    }
    throw notFound();
  }
  const subject: DatastoreSubject = { ...base, resource_private: (resource.metadata as Record<string, unknown>).resource_private === true };
  // A write on an entry the caller can see is refused as such (403); a read of a table whose file
  // the caller may not download looks like a table that does not exist.
  if (opts.write) ctx.authorize(rule, subject);
  if (!ctx.can(rule, subject)) {
    // Forbidden and absent look the same to a caller without the file right.
    try {
      ctx.authorize(rule, subject);
    } catch {
      /* same 404 */
    }
    throw notFound();
  }
  ctx.authorize(rule, subject);
  if (!opts.write) noteRead(ctx, dataset, 'data', { type: 'resource', id: resource.id });
  const table = await getTable(ctx.db, resourceId);
  if (opts.needTable !== false && (!table || !table.active)) throw notFound();
  let fields = table?.fields ?? [];
  if (!opts.personal && !mayReadPersonal(ctx.actor, dataset.owner_org)) fields = fields.filter((f) => !f.personal_data);
  let rows: RawBuilder<unknown> | null = null;
  const grant = await grantRestriction(ctx.db, ctx.actor, dataset.id, ctx.now);
  if (grant) {
    if (grant.fields) fields = fields.filter((f) => grant.fields!.includes(f.id));
    rows = grant.rows;
  }
  return { resource, dataset, subject, table, fields, rows };
}

export const TRUE = sql`true`;
