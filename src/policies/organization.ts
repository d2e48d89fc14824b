import { can, isSysadmin } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

export interface GroupSubject {
  id: string;
  state: string;
  is_organization: boolean;
}

export const organizationPolicies: PolicySet = {
  organization_list: () => true,
  organization_show: (a, g: GroupSubject) => g.state === 'active' || isSysadmin(a),
  organization_create: (a) => isSysadmin(a),
  organization_update: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_patch: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_delete: (a) => isSysadmin(a),
  organization_member_create: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_member_delete: (a, g: GroupSubject) => can(a, 'manage_members', g.id),
  organization_list_for_user: (a) => a.kind !== 'anonymous',
  /** Checked again inside: the action authorises the concrete membership or group change. */
  member_create: (a) => a.kind !== 'anonymous',
  member_delete: (a) => a.kind !== 'anonymous',
  member_list: (a, g: GroupSubject) => g.state === 'active' && (g.is_organization ? can(a, 'read', g.id) : true),
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
