import { can, isSysadmin } from '../access/actor.ts';
import type { DatasetSubject } from './dataset.ts';
import type { PolicySet } from './types.ts';

export interface OrgSubject {
  org_id: string | null;
}

const orgAdmin = (a: Parameters<typeof isSysadmin>[0], s: OrgSubject) => isSysadmin(a) || (!!s.org_id && can(a, 'manage_members', s.org_id));

/**
 * A score is as visible as its dataset; organisation lists filter their rows in SQL, so anyone
 * may ask. Queuing a link check spends outbound requests: sysadmins, or an organisation's admins
 * for their own organisation. OIT items are public disclosures: anyone reads the checklist (with
 * only the datasets they may see), only the agency's admins link and unlink.
 */
export const qualityPolicies: PolicySet = {
  package_quality_show: (_a, d: DatasetSubject) => d.visible === true,
  organization_quality_list: () => true,
  linkcheck_queue: (a, s: OrgSubject) => orgAdmin(a, s),
  oit_checklist_show: () => true,
  oit_item_link: (a, s: OrgSubject) => orgAdmin(a, s),
  oit_item_unlink: (a, s: OrgSubject) => orgAdmin(a, s),
};
