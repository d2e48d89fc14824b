import { can, isSysadmin, userId } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

export interface UserSubject {
  id: string;
  /** Organisations the user is a member of (set by user_show). */
  orgs?: string[];
}

/** Organisations whose staff are concerned (the owner of a dataset, a user's memberships). */
export interface StaffSubject {
  orgs: Array<string | null | undefined>;
}

/** Colleagues: the caller holds a role (any) in one of the organisations. */
const colleague = (a: Parameters<typeof can>[0], orgs: Array<string | null | undefined>) => a.kind === 'user' && orgs.some((o) => !!o && can(a, 'read', o));

export const userPolicies: PolicySet = {
  /**
   * Government catalogs do not publish who their staff are (ckan.auth.public_user_details=false):
   * a user is shown to themself, to sysadmins and to signed-in colleagues of one of their organisations.
   */
  user_show: (a, u: UserSubject) => isSysadmin(a) || (!!u.id && userId(a) === u.id) || colleague(a, u.orgs ?? []),
  /** Who edited or created an entry (activity user, creator_user_id): colleagues only; others see the organisation. */
  staff_identities: (a, s: StaffSubject) => isSysadmin(a) || colleague(a, s.orgs),
  user_show_private: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  /** CKAN with public_user_details=false: not anonymous; the action lists colleagues only to non-sysadmins. */
  user_list: (a) => a.kind !== 'anonymous',
  user_create: (a) => isSysadmin(a),
  user_update: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  /** CKAN's name for the same action (it asks user_update's rule). */
  user_patch: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  user_set_sysadmin: (a) => isSysadmin(a),
  user_delete: (a, u: UserSubject) => isSysadmin(a) && userId(a) !== u.id,
  api_token_create: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  api_token_list: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
  api_token_revoke: (a, u: UserSubject) => isSysadmin(a) || userId(a) === u.id,
};
