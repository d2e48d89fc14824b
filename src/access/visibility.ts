import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { isSysadmin, orgsWith, memberOrgs, userId, type Actor } from './actor.ts';
import { rules } from '../standard/index.ts';
import { grantUsable } from './grants.ts';

export interface VisibilityOptions {
  includePrivate?: boolean;
  includeDrafts?: boolean;
  includeDeleted?: boolean;
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

/** Open data in the national sense: public category at the open level, published. */
export function isOpenData(ds: { data_category: string; data_classification: string; private: boolean; state: string }): boolean {
  return ds.state === 'active' && !ds.private && ds.data_category === rules.public_category && ds.data_classification === rules.open_level;
}
