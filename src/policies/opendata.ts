import { can } from '../access/actor.ts';
import type { DatasetSubject } from './dataset.ts';
import type { PolicySet } from './types.ts';

/** The push state is as visible as the dataset; pushing again is an editor's act. */
export const opendataPolicies: PolicySet = {
  opendata_push_status: (_a, d: DatasetSubject) => d.visible === true,
  opendata_push: (a, d: DatasetSubject) => d.visible === true && can(a, 'update_dataset', d.owner_org),
};
