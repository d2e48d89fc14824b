import { isSysadmin } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

export const sitePolicies: PolicySet = {
  status_show: () => true,
  help_show: () => true,
  license_list: () => true,
  tag_list: () => true,
  tag_show: () => true,
  tag_autocomplete: () => true,
  standard_show: () => true,
  audit_verify: (a) => isSysadmin(a),
  audit_search: (a) => isSysadmin(a),
  audit_export: (a) => isSysadmin(a),
  search_reindex: (a) => isSysadmin(a),
};
