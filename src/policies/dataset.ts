import { can, isSysadmin, orgsWith, type Actor } from '../access/actor.ts';
import { isOpenData } from '../access/visibility.ts';
import type { PolicySet } from './types.ts';

export interface DatasetSubject {
  id?: string;
  owner_org: string | null;
  creator_user_id?: string | null;
  state?: string;
  private?: boolean;
  data_category?: string;
  data_classification?: string;
  /** Set by the action from the visibility SQL: the caller may see this entry. */
  visible?: boolean;
  /** Set by the action: the caller holds an active file grant for this dataset. */
  fileGrant?: boolean;
  /** Set by the action: the caller's collaborator capacity on this dataset ("editor" or "member"). */
  collaborator?: string | null;
}

/** Writing needs a current role in the owning organisation: having created the entry gives no right. */
const mayEdit = (a: Actor, d: DatasetSubject) => can(a, 'update_dataset', d.owner_org) || (d.visible === true && d.collaborator === 'editor');

export const datasetPolicies: PolicySet = {
  package_list: () => true,
  package_search: () => true,
  package_autocomplete: () => true,
  package_show: (_a, d: DatasetSubject) => d.visible === true,
  package_activity_list: (_a, d: DatasetSubject) => d.visible === true,
  package_create: (a, d: DatasetSubject) => can(a, 'create_dataset', d.owner_org),
  package_update: (a, d: DatasetSubject) => mayEdit(a, d),
  package_patch: (a, d: DatasetSubject) => mayEdit(a, d),
  package_delete: (a, d: DatasetSubject) => can(a, 'delete_dataset', d.owner_org),
  /** Moving a dataset to another organisation needs create rights there too. */
  package_move: (a, d: DatasetSubject) => can(a, 'create_dataset', d.owner_org),
  /** Files of open data are for everyone who can see the entry; shared data needs a role or a grant. */
  dataset_files: (a, d: DatasetSubject) =>
    d.visible === true &&
    ((d.state !== undefined && isOpenData(d as Required<Pick<DatasetSubject, 'data_category' | 'data_classification' | 'private' | 'state'>>)) ||
      can(a, 'read_files', d.owner_org) ||
      d.fileGrant === true),
  package_import: (a, d: DatasetSubject) => can(a, 'create_dataset', d.owner_org),
  package_template_import: (a, d: DatasetSubject) => can(a, 'create_dataset', d.owner_org),
  dataset_grant_create: (a, d: DatasetSubject) => isSysadmin(a) || can(a, 'manage_members', d.owner_org),
  dataset_grant_list: (a, d: DatasetSubject) => isSysadmin(a) || can(a, 'manage_members', d.owner_org),
  dataset_grant_revoke: (a, d: DatasetSubject) => isSysadmin(a) || can(a, 'manage_members', d.owner_org),
  // portal round 2: restoring undoes a delete, so it takes the delete right; package_create asks
  // "may add somewhere" to report every field error at once before an organisation is chosen.
  package_restore: (a, d: DatasetSubject) => can(a, 'delete_dataset', d.owner_org),
  package_create_somewhere: (a) => isSysadmin(a) || orgsWith(a, 'create_dataset').length > 0,
};
