import { can, isSysadmin } from '../access/actor.ts';
import type { PolicySet } from './types.ts';
import { datasetPolicies, type DatasetSubject } from './dataset.ts';
import type { GroupSubject } from './organization.ts';

/** Rules of the CKAN client actions (src/actions/ckan). Lists filter with the visibility SQL themselves. */
export const ckanPolicies: PolicySet = {
  current_package_list_with_resources: () => true,
  format_autocomplete: () => true,
  organization_autocomplete: () => true,
  member_roles_list: () => true,
  vocabulary_list: () => true,
  resource_search: () => true,
  group_package_show: (a, g: GroupSubject) => g.state === 'active' || isSysadmin(a),
  organization_activity_list: (a, g: GroupSubject) => g.state === 'active' || isSysadmin(a),
  recently_changed_packages_activity_list: () => true,
  dashboard_activity_list: (a) => a.kind === 'user',
  bulk_update_private: (a, d: { owner_org: string | null }) => can(a, 'update_dataset', d.owner_org),
  bulk_update_public: (a, d: { owner_org: string | null }) => can(a, 'update_dataset', d.owner_org),
  bulk_update_delete: (a, d: { owner_org: string | null }) => can(a, 'delete_dataset', d.owner_org),
  package_owner_org_update: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  package_revise: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  dataset_purge: (a) => isSysadmin(a),
  /** Who may work on a dataset is decided by the organisation's admins (CKAN's default). */
  package_collaborator_create: (a, d: DatasetSubject) => d.visible === true && can(a, 'manage_members', d.owner_org),
  package_collaborator_delete: (a, d: DatasetSubject) => d.visible === true && can(a, 'manage_members', d.owner_org),
  /** Feeds and the sitemap list only what anonymous visitors see (the actions query as anonymous). */
  feed_datasets: () => true,
  sitemap_entries: () => true,
  package_collaborator_list: (a, d: DatasetSubject) => d.visible === true && can(a, 'manage_members', d.owner_org),
};
