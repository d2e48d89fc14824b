import type { DatasetSubject } from './dataset.ts';
import type { PolicySet } from './types.ts';

/** Search actions filter by visibility in SQL; a dataset page's neighbours need the page itself visible. */
export const searchPolicies: PolicySet = {
  package_similar: (_a, d: DatasetSubject) => d.visible === true,
};
