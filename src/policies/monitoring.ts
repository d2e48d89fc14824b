import { isSysadmin } from '../access/actor.ts';
import { hasDuty } from '../access/duties.ts';
import type { PolicySet } from './types.ts';

/** Integration monitoring (P10): the dashboard filters items in SQL by the linkage registry's rule; flags are the owner's IT officers' and data owners'. */
export const monitoringPolicies: PolicySet = {
  monitor_dashboard: (a) => a.kind !== 'anonymous',
  monitor_flag_set: (a, s: { owner_org: string | null }) => a.kind === 'system' || isSysadmin(a) || hasDuty(a, 'it_officer', s.owner_org) || hasDuty(a, 'data_owner', s.owner_org),
  monitor_late_check: (a) => a.kind === 'system',
};
