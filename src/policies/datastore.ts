import { datasetPolicies } from './dataset.ts';
import type { PolicySet } from './types.ts';
import type { DatastoreSubject } from '../datastore/access.ts';

/** Reading a table is downloading its file in another shape: the same right (resource_download), and a private resource needs an editor. */
const mayRead = (a: Parameters<NonNullable<PolicySet[string]>>[0], d: DatastoreSubject) =>
  (datasetPolicies.dataset_files!(a, d) && (!d.resource_private || datasetPolicies.package_update!(a, d))) ||
  // A grant holder reads the agreed fields and rows only (openTable applies them); a private resource stays the editors'.
  (d.visible === true && d.dataGrant === true && !d.resource_private);
const mayWrite = (a: Parameters<NonNullable<PolicySet[string]>>[0], d: DatastoreSubject) => d.visible === true && datasetPolicies.package_update!(a, d);

export const datastorePolicies: PolicySet = {
  datastore_search: mayRead,
  datastore_info: mayRead,
  datastore_search_sql: mayRead,
  datastore_openapi: mayRead,
  datastore_create: mayWrite,
  datastore_upsert: mayWrite,
  datastore_delete: mayWrite,
  datastore_load: mayWrite,
  datastore_api_key_create: mayWrite,
  datastore_api_key_list: mayWrite,
  datastore_api_key_revoke: mayWrite,
  /** A key scoped to one resource, checked by the action against the key table. */
  datastore_key_search: (_a, s: { keyValid?: boolean }) => s.keyValid === true,
  /** datastore_search_sql itself: anyone may ask; each table it names is checked with datastore_search. */
  datastore_search_sql_any: () => true,
};
