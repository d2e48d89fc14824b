import { isSysadmin, userId } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

export interface UserSubject {
  id: string;
}

export const userPolicies: PolicySet = {
  /** Government catalogs do not publish who their users are (ckan.auth.public_user_details=false). */
  user_show: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id || a.kind === 'user',
  user_show_private: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  user_list: (a) => isSysadmin(a),
  user_create: (a) => isSysadmin(a),
  user_update: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  user_set_sysadmin: (a) => isSysadmin(a),
  user_delete: (a, u: UserSubject) => isSysadmin(a) && userId(a) !== u.id,
  api_token_create: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  api_token_list: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  api_token_revoke: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
};
