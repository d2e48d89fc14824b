import { can, isSysadmin } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

export interface GroupSubject {
  id: string;
  state: string;
  is_organization: boolean;
}

/** member_list also knows what is listed, and whether the caller belongs to the (theme) group. */
export interface MemberListSubject extends GroupSubject {
  object_type?: string;
  member?: boolean;
}

export interface ReparentSubject {
  from: string | null;
  to: string | null;
}

export const organizationPolicies: PolicySet = {
  organization_list: () => true,
  organization_show: (a, g: GroupSubject) => g.state === 'active' || isSysadmin(a),
  organization_create: (a) => isSysadmin(a),
  organization_update: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_patch: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  /**
   * Moving an organisation in the hierarchy needs admin rights on its old parent and on its new one
   * (besides its own): a department's admin cannot take it out from under its ministry. Only a
   * sysadmin makes an organisation top-level.
   */
  organization_reparent: (a, s: ReparentSubject) => isSysadmin(a) || (s.to !== null && can(a, 'manage_members', s.to) && (s.from === null || can(a, 'manage_members', s.from))),
  organization_delete: (a) => isSysadmin(a),
  /** The `agency` extra decides where agency duties (CDO, DPO, committee …) may be given and whom they reach: sysadmins only. */
  organization_mark_agency: (a) => isSysadmin(a),
  organization_member_create: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_member_delete: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_list_for_user: (a) => a.kind !== 'anonymous',
  /** Checked again inside: the action authorises the concrete membership or group change. */
  member_create: (a) => a.kind !== 'anonymous',
  member_delete: (a) => a.kind !== 'anonymous',
  /**
   * Datasets of a group are listed to everyone (filtered by the visibility SQL); who the members are is
   * staff information (ckan.auth.public_user_details=false): the organisation's own people, a theme
   * group's own members, and sysadmins.
   */
  member_list: (a, g: MemberListSubject) =>
    (g.state === 'active' || isSysadmin(a)) && (g.object_type === 'package' || isSysadmin(a) || (g.is_organization ? can(a, 'read', g.id) : g.member === true)),
};

export const groupPolicies: PolicySet = {
  group_list: () => true,
  group_show: (a, g: GroupSubject) => g.state === 'active' || isSysadmin(a),
  group_create: (a) => isSysadmin(a),
  group_update: (a) => isSysadmin(a),
  group_patch: (a) => isSysadmin(a),
  group_delete: (a) => isSysadmin(a),
  /** Putting a dataset into a theme group: editors of the dataset's organisation (thai_gdc allows editors). */
  group_dataset_add: (a, d: { owner_org: string | null }) => can(a, 'manage_group', d.owner_org),
};
