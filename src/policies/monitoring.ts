import { can, isSysadmin, type Actor } from '../access/actor.ts';
import { hasDuty } from '../access/duties.ts';
import type { PolicySet } from './types.ts';
import { agreementPolicies } from './agreement.ts';

/** Integration monitoring (P10) and data integration: the dashboard filters items in SQL by the linkage registry's rule; flags are the owner's IT officers' and data owners'. */
export const monitoringPolicies: PolicySet = {
  monitor_dashboard: (a) => a.kind !== 'anonymous',
  monitor_flag_set: (a, s: { owner_org: string | null }) => a.kind === 'system' || isSysadmin(a) || hasDuty(a, 'it_officer', s.owner_org) || hasDuty(a, 'data_owner', s.owner_org),
  monitor_late_check: (a) => a.kind === 'system',
  /** Whoever may see the linkage (the registry's own rule). */
  delivery_list: (a, s) => agreementPolicies.linkage_show!(a, s),
  // Data integration: pulls into a resource are its editors' and the organisation's IT officers'.
  integration_source_create: (a, s: { owner_org: string | null }) => keeps(a, s.owner_org),
  integration_run: (a, s: { owner_org: string | null }) => keeps(a, s.owner_org),
  integration_source_list: (a) => a.kind !== 'anonymous',
};

function keeps(a: Actor, org: string | null): boolean {
  return a.kind === 'system' || isSysadmin(a) || can(a, 'update_dataset', org) || hasDuty(a, 'it_officer', org);
}
