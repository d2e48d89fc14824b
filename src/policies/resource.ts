import type { PolicySet } from './types.ts';
import { datasetPolicies, type DatasetSubject } from './dataset.ts';

/** A resource is governed by its dataset: seeing, editing and downloading follow the dataset's rules. */
export const resourcePolicies: PolicySet = {
  resource_show: (a, d: DatasetSubject) => datasetPolicies.package_show!(a, d),
  resource_create: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_update: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_patch: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_delete: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_download: (a, d: DatasetSubject) => datasetPolicies.dataset_files!(a, d),
};
