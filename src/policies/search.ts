import type { DatasetSubject } from './dataset.ts';
import { isSysadmin } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

/** Search actions filter by visibility in SQL; a dataset page's neighbours need the page itself visible. */
export const searchPolicies: PolicySet = {
  package_similar: (_a, d: DatasetSubject) => d.visible === true,
  // The synonym table changes every caller's results: sysadmins only, audited by the actions.
  search_synonym_list: (a) => isSysadmin(a),
  search_synonym_create: (a) => isSysadmin(a),
  search_synonym_delete: (a) => isSysadmin(a),
};
