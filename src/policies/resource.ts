import { isSysadmin, orgsWith } from '../access/actor.ts';
import type { PolicySet } from './types.ts';
import { datasetPolicies, type DatasetSubject } from './dataset.ts';

/** What the upload gate knows before a body is read: whether the caller edits some dataset as a collaborator. */
export interface UploadSubject {
  collaboratorEditor?: boolean;
}

/** A resource is governed by its dataset: seeing, editing and downloading follow the dataset's rules. */
export const resourcePolicies: PolicySet = {
  resource_show: (a, d: DatasetSubject) => datasetPolicies.package_show!(a, d),
  resource_create: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_update: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_patch: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  resource_delete: (a, d: DatasetSubject) => datasetPolicies.package_update!(a, d),
  /**
   * Asked before a multipart file is read (src/files/upload-gate.ts): could this caller edit the
   * resources of any dataset at all? The action still asks resource_create/update of the dataset.
   */
  resource_upload_somewhere: (a, s: UploadSubject) => isSysadmin(a) || orgsWith(a, 'update_dataset').length > 0 || s?.collaboratorEditor === true,
  resource_download: (a, d: DatasetSubject) => datasetPolicies.dataset_files!(a, d),
};
