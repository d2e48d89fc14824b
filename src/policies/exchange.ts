import type { PolicySet } from './types.ts';
import type { DatastoreSubject } from '../datastore/access.ts';

/** The exchange gateway (issue 9): the action checks the agreement's terms; these admit the parties. */
export const exchangePolicies: PolicySet = {
  /** A member of the agreement's partner organisation, calling with its own credentials. */
  exchange_records: (a, s: { party?: boolean }) => a.kind === 'user' && s.party === true,
  /** The table read under the one agreement called: only through its usable grant. */
  exchange_read: (a, d: DatastoreSubject) => a.kind === 'user' && d.visible === true && d.dataGrant === true && !d.resource_private,
  exchange_agreements: (a) => a.kind === 'user',
  /** The consumer's own record of what it received (the client runs as a user or the system). */
  exchange_receipt_record: (a) => a.kind === 'user' || a.kind === 'system',
};
