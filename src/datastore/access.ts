import { sql, type RawBuilder } from 'kysely';
import { noteRead } from '../actions/disclosure.ts';
import type { ActionContext } from '../actions/context.ts';
import { NotFoundError, ValidationError } from '../actions/errors.ts';
import { can, type Actor } from '../access/actor.ts';
import { loadDatasetSubject, type LoadedDataset } from '../actions/datasets/load.ts';
import type { DatasetSubject } from '../policies/dataset.ts';
import type { DatasetRow, ResourceRow } from '../store/schema.ts';
import type { Tx } from '../store/db.ts';
import { isResourceId } from './ident.ts';
import { tableColumns, tableFromColumns, type DsField, type DsTable } from './meta.ts';
import { grantFor, grantForSql, grantsFromJson, type GrantAnswer, type GrantTerms } from '../access/grants.ts';
import { conditionSql } from '../exchange/gateway/row-sql.ts';

export const NOT_FOUND = { th: 'ไม่พบทรัพยากรหรือตาราง DataStore', en: 'Not found: Resource "{id}" was not found.' };

export interface DatastoreSubject extends DatasetSubject {
  /** The resource is marked private within its dataset (CKAN's resource_private). */
  resource_private?: boolean;
  /** Set by openTable: the caller's right to read comes from usable grants (fields and rows limited). */
  dataGrant?: boolean;
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
  /** The grants that limit this read (null: the caller's own right). */
  grant?: GrantLimit | null;
}

export function readResourceId(input: Record<string, unknown>, key = 'resource_id'): string {
  const id = input[key] ?? (key === 'resource_id' ? input.id : undefined);
  if (typeof id !== 'string' || !id) throw ValidationError.field(key, { th: 'ต้องระบุ resource_id', en: 'Missing value' });
  if (!isResourceId(id.toLowerCase())) throw new NotFoundError({ th: NOT_FOUND.th, en: NOT_FOUND.en.replace('{id}', id.slice(0, 100)) });
  return id.toLowerCase();
}

/** What a grant holder may read of one table: the agreed columns and a condition on the rows. */
export interface GrantLimit {
  fields: DsField[];
  rows: RawBuilder<unknown> | null;
  /** The grants applied (ids, their agreements). */
  grants: GrantTerms[];
}

interface DictEntry { name?: string; personal_data?: boolean }

/**
 * The table's columns under their data-dictionary names (agreements name dictionary fields; the
 * load matched the dictionary to the header by name, else by position), with the personal-data flag
 * from the load or the dictionary as it is now, whichever says so.
 */
export function dictionaryView(fields: DsField[], dictionary: unknown): Array<{ field: DsField; name: string; personal: boolean }> {
  const dict = (Array.isArray(dictionary) ? dictionary : []) as DictEntry[];
  const byName = new Map(dict.filter((d) => typeof d?.name === 'string').map((d) => [d.name!.trim(), d]));
  return fields.map((f, i) => {
    const d = byName.get(f.label.trim()) ?? byName.get(f.id) ?? (dict.length === fields.length ? dict[i] : undefined);
    return { field: f, name: d?.name?.trim() || f.label, personal: f.personal_data === true || d?.personal_data === true };
  });
}

/**
 * The grant hook: a caller whose right comes from agreements (grantFor, src/access/grants.ts, at
 * `now`) reads only the agreed fields and the rows matching the agreed condition, compiled from the
 * parsed tree to parameterised SQL. A personal-data field goes only to a grant that lists it by
 * name (a grant made by hand, with no field list, never gets one). With several usable grants on one
 * dataset, a column is shown only if every one of them lists it and a row if any condition admits
 * it, so no row is shown with a column its own grant did not agree to. `agreementId` narrows to the
 * grant of that one agreement (the exchange gateway answers per agreement). null: no usable grant.
 */
export async function grantRestriction(db: Tx, actor: Actor, datasetId: string, now: Date, table: DsField[], dictionary: unknown, opts: { agreementId?: string; answer?: GrantAnswer | null } = {}): Promise<GrantLimit | null> {
  const answer = opts.answer !== undefined ? opts.answer : await grantFor(db, actor, datasetId, now);
  const grants = (answer?.grants ?? []).filter((g) => !opts.agreementId || g.agreement_id === opts.agreementId);
  if (!grants.length) return null;
  const view = dictionaryView(table, dictionary);
  const byName = new Map(view.map((v) => [v.name, v.field]));
  let allowed = null as Set<string> | null;
  for (const g of grants) {
    const mine = new Set(view.filter((v) => (g.fields ? g.fields.includes(v.name) : !v.personal)).map((v) => v.field.id));
    allowed = allowed ? new Set([...allowed].filter((id) => mine.has(id))) : mine;
  }
  const conds = grants.map((g) => g.row_condition);
  const rows = conds.some((c) => !c) ? null : sql`(${sql.join(conds.map((c) => conditionSql(c!, (n) => byName.get(n))), sql` OR `)})`;
  return { fields: table.filter((f) => allowed!.has(f.id)), rows, grants };
}

/** Personal-data columns are for the owning organisation's read_sensitive holders only. */
export function mayReadPersonal(actor: Actor, ownerOrg: string | null): boolean {
  return can(actor, 'read_sensitive', ownerOrg);
}

/**
 * Loads a resource and its DataStore table for `rule`, answering 404 alike for a resource that
 * does not exist, one the caller may not see, and one without a table (so nothing is disclosed).
 */
/**
 * A select-list column that limits how long the statements after it in the caller's transaction may
 * run: set in a statement that is sent anyway, so the limit costs no round trip. PGlite cannot
 * interrupt a statement, so nothing there. (`timeoutMs` of openTable.)
 */
export function timeoutColumn(ctx: ActionContext, ms: number): RawBuilder<unknown> {
  return ctx.services.store.kind === 'postgres' ? sql`, set_config('statement_timeout', ${String(Math.floor(ms))}, true) AS __timeout` : sql``;
}

export async function openTable(ctx: ActionContext, resourceId: string, rule: string, opts: { needTable?: boolean; personal?: boolean; write?: boolean; agreementId?: string; timeoutMs?: number; loaded?: { row: ResourceRow; table: DsTable | undefined; dataset?: LoadedDataset<{ __x_grants?: unknown }> | null } } = {}): Promise<TableAccess> {
  const notFound = () => new NotFoundError({ th: NOT_FOUND.th, en: NOT_FOUND.en.replace('{id}', resourceId) });
  // Two statements: the resource with its table's description, then the dataset with the caller's
  // subject (visibility, file grant, collaboration) and, for the gateway, the grants in force now.
  // (`loaded`: the gateway read the resource and its table with the agreement, in its own statement.)
  const timeout = opts.timeoutMs ? timeoutColumn(ctx, opts.timeoutMs) : sql``;
  const row = opts.loaded?.row.id === resourceId ? undefined : (await sql<ResourceRow & Record<string, unknown>>`SELECT r.*, ${tableColumns('t')}${timeout} FROM resources r LEFT JOIN datastore_tables t ON t.resource_id = r.id WHERE r.id = ${resourceId}`.execute(ctx.db)).rows[0];
  if (row) delete row.__timeout;
  const split = row ? tableFromColumns(row) : undefined;
  const resource = opts.loaded?.row.id === resourceId ? opts.loaded.row : (split?.rest as ResourceRow | undefined);
  const table = opts.loaded?.row.id === resourceId ? opts.loaded.table : split?.table;
  // (`loaded.dataset`: the gateway read the dataset and the caller's subject in that statement too.)
  const given = opts.loaded?.row.id === resourceId && opts.loaded.dataset !== undefined;
  const loaded = given ? opts.loaded!.dataset ?? undefined : resource
    ? await loadDatasetSubject<{ __x_grants?: unknown }>(ctx, resource.dataset_id, opts.agreementId ? sql`${grantForSql(ctx.actor, sql.ref('d.id'), ctx.now)} AS __x_grants` : undefined, { visibleOnly: !!opts.agreementId })
    : undefined;
  const base = loaded?.subject;
  const dataset = loaded?.row;
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
  // A right of one's own (a role, open data) reads the table whole; a right that comes only from
  // grants (a whole-file grant included) reads what the grants agreed. The gateway always answers
  // under the one agreement called.
  let grant: GrantLimit | null = null;
  if (!opts.write && !opts.personal && (opts.agreementId || !ctx.can(rule, { ...subject, fileGrant: false, dataGrant: false }))) {
    const answer = loaded?.extra.__x_grants !== undefined ? grantsFromJson(loaded.extra.__x_grants) : undefined;
    grant = await grantRestriction(ctx.db, ctx.actor, dataset.id, ctx.now, table?.fields ?? [], resource.data_dictionary, { agreementId: opts.agreementId, answer });
    subject.fileGrant = false;
    subject.dataGrant = !!grant;
  }
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
  if (opts.needTable !== false && (!table || !table.active)) throw notFound();
  let fields = table?.fields ?? [];
  let rows: RawBuilder<unknown> | null = null;
  if (grant) {
    fields = grant.fields;
    rows = grant.rows;
  } else if (!opts.personal && !mayReadPersonal(ctx.actor, dataset.owner_org)) fields = fields.filter((f) => !f.personal_data);
  return { resource, dataset, subject, table, fields, rows, grant };
}

export const TRUE = sql`true`;
