import { isSysadmin, can, type Actor } from '../access/actor.ts';
import { hasDuty, orgsWithDuty } from '../access/duties.ts';
import type { PolicySet } from './types.ts';
import type { DatasetSubject } from './dataset.ts';

/**
 * Exchange data items (issue 9). The registry is the hub's data standard: anyone may read it; data
 * stewards (a governance duty in any organisation) and sysadmins edit it. A resource's mapping
 * is shown to whoever may see the resource and set by the owning organisation's data stewards
 * or editors (those who keep its data dictionary).
 */
const steward = (a: Actor) => a.kind === 'system' || isSysadmin(a) || orgsWithDuty(a, 'data_steward').length > 0;

export const exchangeItemPolicies: PolicySet = {
  exchange_item_list: () => true,
  exchange_item_show: () => true,
  exchange_item_create: steward,
  exchange_item_update: steward,
  exchange_item_mapping_show: (_a, d: DatasetSubject) => d.visible === true,
  exchange_item_mapping_set: (a, d: DatasetSubject) => d.visible === true && (isSysadmin(a) || hasDuty(a, 'data_steward', d.owner_org) || can(a, 'update_dataset', d.owner_org)),
};
