import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../store/schema.ts';
import { isSysadmin, orgsWith, memberOrgs, userId, type Actor } from './actor.ts';
import { rules } from '../standard/index.ts';
import { grantUsable } from './grants.ts';

export interface VisibilityOptions {
  includePrivate?: boolean;
  includeDrafts?: boolean;
  includeDeleted?: boolean;
  /**
   * The caller's grants and collaborations, looked up beforehand (rowRights): the condition then
   * names ids instead of probing dataset_grants per row, and leaves out every clause that gives
   * this caller nothing, so a signed-in user without memberships or grants gets the anonymous
   * condition and its plan.
   */
  rights?: RowRights;
  /** The id column of `alias` (dataset_search calls it dataset_id). */
  idColumn?: string;
}

/** Datasets a caller reaches through a grant or as a collaborator, at this moment. */
export interface RowRights {
  granted: string[];
  collaborator: string[];
  /** Collaborations as editor: these also show the dataset's draft and deleted copies. */
  collaboratorEditor: string[];
}

/** One query: the ids the grant and collaborator clauses of visibleDatasets would accept for this caller. */
export async function rowRights(db: Kysely<Database>, actor: Actor): Promise<RowRights> {
  const me = userId(actor);
  if (!me || isSysadmin(actor)) return { granted: [], collaborator: [], collaboratorEditor: [] };
  const r = await sql<{ granted: string[]; collaborator: string[]; editor: string[] }>`
    SELECT
      ARRAY(SELECT DISTINCT gr.dataset_id FROM dataset_grants gr WHERE ${grantUsable('gr')} AND (gr.grantee_user_id = ${me} OR gr.grantee_org_id = ANY(${memberOrgs(actor)}::uuid[]))) AS granted,
      ARRAY(SELECT co.dataset_id FROM dataset_collaborators co WHERE co.user_id = ${me}) AS collaborator,
      ARRAY(SELECT co.dataset_id FROM dataset_collaborators co WHERE co.user_id = ${me} AND co.capacity = 'editor') AS editor`.execute(db);
  const row = r.rows[0]!;
  return { granted: row.granted, collaborator: row.collaborator, collaboratorEditor: row.editor };
}

/**
 * Categories whose entries a plain member of the organisation may see. Deny by default: an unknown
 * or empty category (a draft saved without one) counts as sensitive.
 */
export const NON_SENSITIVE_CATEGORIES: readonly string[] = Object.keys(rules.category_levels).filter((c) => !rules.sensitive_categories.includes(c));

export function isSensitiveCategory(category: string | null | undefined): boolean {
  return !NON_SENSITIVE_CATEGORIES.includes(category ?? '');
}

/**
 * The one SQL condition for "which datasets may this caller see", over a datasets alias (or any
 * relation with the columns id, state, private, data_category, owner_org — history judges old
 * versions with it). Every list, count, facet, autocomplete, file check and history entry goes
 * through it, so a leak test of this function covers them all. Deny by default: each clause adds a
 * right, none removes one. Authorship is no clause: only a current role or a grant gives rights.
 */
export function visibleDatasets(actor: Actor, alias = 'd', opts: VisibilityOptions = {}): RawBuilder<SqlBool> {
  const d = sql.raw(alias);
  const states = ['active'];
  if (opts.includeDrafts) states.push('draft');
  if (opts.includeDeleted) states.push('deleted');
  const stateCond = sql<SqlBool>`${d}.state = ANY(${states}::text[])`;

  if (isSysadmin(actor)) {
    if (opts.includePrivate === false) return sql<SqlBool>`(${stateCond} AND NOT ${d}.private)`;
    return stateCond;
  }
  const openToAll = sql<SqlBool>`(${d}.state = 'active' AND NOT ${d}.private AND ${d}.data_category = ${rules.public_category})`;
  const me = userId(actor);
  if (!me || opts.includePrivate === false) return openToAll;

  const readOrgs = orgsWith(actor, 'read');
  const sensitiveOrgs = orgsWith(actor, 'read_sensitive');
  const editOrgs = orgsWith(actor, 'update_dataset');
  const allOrgs = memberOrgs(actor);
  // Drafts and deleted entries are working copies: only those who may edit the organisation's datasets see them.
  const orgRead = sql<SqlBool>`(
      ${d}.owner_org = ANY(${readOrgs}::uuid[])
      AND (${d}.data_category = ANY(${NON_SENSITIVE_CATEGORIES}::text[]) OR ${d}.owner_org = ANY(${sensitiveOrgs}::uuid[]))
      AND (${d}.state = 'active' OR ${d}.owner_org = ANY(${editOrgs}::uuid[]))
    )`;
  if (opts.rights) return resolvedCondition(alias, opts.rights, opts.idColumn ?? 'id', stateCond, openToAll, { readOrgs, sensitiveOrgs, editOrgs });
  const granted = sql<SqlBool>`EXISTS (
      SELECT 1 FROM dataset_grants gr
      WHERE gr.dataset_id = ${d}.id AND ${grantUsable('gr')}
        AND (gr.grantee_user_id = ${me} OR gr.grantee_org_id = ANY(${allOrgs}::uuid[]))
        AND ${d}.state = 'active'
    )`;
  // Collaborators (package_collaborator_create): a right on one dataset; editors also see its drafts and deleted copy.
  const collaborator = sql<SqlBool>`EXISTS (
      SELECT 1 FROM dataset_collaborators co
      WHERE co.dataset_id = ${d}.id AND co.user_id = ${me} AND (${d}.state = 'active' OR co.capacity = 'editor')
    )`;
  return sql<SqlBool>`(${stateCond} AND (${openToAll} OR ${orgRead} OR ${granted} OR ${collaborator}))`;
}

/** visibleDatasets with the caller's grants and collaborations given as ids; clauses that give nothing are left out. */
function resolvedCondition(
  alias: string,
  rights: RowRights,
  idColumn: string,
  stateCond: RawBuilder<SqlBool>,
  openToAll: RawBuilder<SqlBool>,
  orgs: { readOrgs: string[]; sensitiveOrgs: string[]; editOrgs: string[] },
): RawBuilder<SqlBool> {
  const d = sql.raw(alias);
  const id = sql.raw(`${alias}.${idColumn}`);
  const clauses: RawBuilder<SqlBool>[] = [openToAll];
  if (orgs.readOrgs.length) {
    const sensitive = orgs.sensitiveOrgs.length ? sql<SqlBool>` OR ${d}.owner_org = ANY(${orgs.sensitiveOrgs}::uuid[])` : sql``;
    const working = orgs.editOrgs.length ? sql<SqlBool>` OR ${d}.owner_org = ANY(${orgs.editOrgs}::uuid[])` : sql``;
    clauses.push(sql<SqlBool>`(${d}.owner_org = ANY(${orgs.readOrgs}::uuid[])
      AND (${d}.data_category = ANY(${NON_SENSITIVE_CATEGORIES}::text[])${sensitive})
      AND (${d}.state = 'active'${working}))`);
  }
  if (rights.granted.length) clauses.push(sql<SqlBool>`(${id} = ANY(${rights.granted}::uuid[]) AND ${d}.state = 'active')`);
  if (rights.collaborator.length) {
    const editing = rights.collaboratorEditor.length ? sql<SqlBool>` OR ${id} = ANY(${rights.collaboratorEditor}::uuid[])` : sql``;
    clauses.push(sql<SqlBool>`(${id} = ANY(${rights.collaborator}::uuid[]) AND (${d}.state = 'active'${editing}))`);
  }
  // Open data is active by definition: alone, it needs no state condition.
  if (clauses.length === 1) return openToAll;
  return sql<SqlBool>`(${stateCond} AND (${sql.join(clauses, sql` OR `)}))`;
}

/** Open data in the national sense: public category at the open level, published. */
export function isOpenData(ds: { data_category: string; data_classification: string; private: boolean; state: string }): boolean {
  return ds.state === 'active' && !ds.private && ds.data_category === rules.public_category && ds.data_classification === rules.open_level;
}

/**
 * visibleDatasets as data, clause for clause, for the in-memory search (src/search/memindex),
 * which must see exactly the rows the SQL condition lets through. `rights` as runSearch passes
 * them (looked up whenever a signed-in caller asks for private entries).
 */
export type VisibilityRule =
  | { kind: 'states'; states: string[]; excludePrivate: boolean }
  | { kind: 'open'; publicCategory: string }
  | {
      kind: 'resolved';
      states: string[];
      publicCategory: string;
      readOrgs: string[];
      sensitiveOrgs: string[];
      editOrgs: string[];
      nonSensitive: readonly string[];
      granted: string[];
      collaborator: string[];
      collaboratorEditor: string[];
    };

/** Null where only SQL can decide (a signed-in caller asking for private entries without `rights`). */
export function visibilityRule(actor: Actor, opts: VisibilityOptions = {}): VisibilityRule | null {
  const states = ['active'];
  if (opts.includeDrafts) states.push('draft');
  if (opts.includeDeleted) states.push('deleted');
  if (isSysadmin(actor)) return { kind: 'states', states, excludePrivate: opts.includePrivate === false };
  const open = { kind: 'open' as const, publicCategory: rules.public_category };
  const me = userId(actor);
  if (!me || opts.includePrivate === false) return open;
  if (!opts.rights) return null;
  const readOrgs = orgsWith(actor, 'read');
  const r = opts.rights;
  if (!readOrgs.length && !r.granted.length && !r.collaborator.length) return open;
  return {
    kind: 'resolved',
    states,
    publicCategory: rules.public_category,
    readOrgs,
    sensitiveOrgs: orgsWith(actor, 'read_sensitive'),
    editOrgs: orgsWith(actor, 'update_dataset'),
    nonSensitive: NON_SENSITIVE_CATEGORIES,
    granted: r.granted,
    collaborator: r.collaborator,
    collaboratorEditor: r.collaboratorEditor,
  };
}
