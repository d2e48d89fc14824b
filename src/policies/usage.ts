import { can, isSysadmin, type Actor } from '../access/actor.ts';
import type { DatasetSubject } from './dataset.ts';
import type { PolicySet } from './types.ts';

/**
 * Usage statistics are as visible as the dataset (an organisation's sums filter in SQL); following
 * and personal lists need a signed-in user, and a dataset they may see to follow or add it.
 */
const signedIn = (a: Actor) => a.kind === 'user';

export const usagePolicies: PolicySet = {
  usage_stats_show: (_a, d: DatasetSubject) => d.visible === true,
  usage_stats_list: () => true,
  unfollow_dataset: signedIn,
  dataset_followee_count: signedIn,
  followee_count: signedIn,
  dataset_followee_list: signedIn,
  followee_list: signedIn,
  user_list_create: signedIn,
  user_list_update: signedIn,
  user_list_delete: signedIn,
  user_list_dataset_remove: signedIn,
  user_list_list: signedIn,
  user_list_show: signedIn,
  follow_dataset: (a, d: DatasetSubject) => a.kind === 'user' && d.visible === true,
  am_following_dataset: (a, d: DatasetSubject) => a.kind === 'user' && d.visible === true,
  dataset_follower_count: (_a, d: DatasetSubject) => d.visible === true,
  dataset_follower_list: (a, d: DatasetSubject) => isSysadmin(a) && d.visible === true,
  user_list_dataset_add: (a, d: DatasetSubject) => a.kind === 'user' && d.visible === true,
  /** The registry's store step is the collection job's own; the summary as the registration dashboard. */
  registry_usage_store: (a) => a.kind === 'system',
  /** Area catalogs: referencing another catalog's dataset is creating one here. */
  package_reference_create: (a, d: DatasetSubject) => can(a, 'create_dataset', d.owner_org),
  registry_usage_summary: (a) => a.kind === 'user' || a.kind === 'system',
};
