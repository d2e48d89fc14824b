import { datasetPolicies } from './dataset.ts';
import { organizationPolicies, groupPolicies } from './organization.ts';
import { resourcePolicies } from './resource.ts';
import { sitePolicies } from './site.ts';
import { userPolicies } from './user.ts';
import { authPolicies } from './auth.ts';
import { searchPolicies } from './search.ts';
import type { PolicySet } from './types.ts';
import { agreementPolicies } from './agreement.ts';
import { ckanPolicies } from './ckan.ts';
// governance cases (issue 11)
import { casePolicies, dutyPolicies, notificationPolicies } from './case.ts';
import { datastorePolicies } from './datastore.ts';
import { harvestPolicies } from './harvest.ts';
import { opendataPolicies } from './opendata.ts';
import { exchangePolicies } from './exchange.ts';
import { registrationPolicies } from './registration.ts';
import { exchangeItemPolicies } from './exchange-item.ts';
import { lookupPolicies } from './lookup.ts';
import { monitoringPolicies } from './monitoring.ts';
import { usagePolicies } from './usage.ts';
import { qualityPolicies } from './quality.ts';

/** Every allow-rule by name. A name missing here denies (see runAction), and a test lists actions without one. */
export const policies: PolicySet = {
  ...datasetPolicies,
  ...resourcePolicies,
  ...organizationPolicies,
  ...groupPolicies,
  ...userPolicies,
  ...sitePolicies,
  ...searchPolicies,
  ...authPolicies,
  // governance: agreements, grants, partners, linkages, KPI
  ...agreementPolicies,
  // h-ckan
  ...ckanPolicies,
  // governance cases (issue 11)
  ...casePolicies,
  ...dutyPolicies,
  ...notificationPolicies,
  ...datastorePolicies,
  ...harvestPolicies,
  ...opendataPolicies,
  ...exchangePolicies,
  ...registrationPolicies,
  // exchange: data items, citizen look-up, monitoring (issue 9)
  ...exchangeItemPolicies,
  ...lookupPolicies,
  ...monitoringPolicies,
  // usage statistics, follows and personal lists (issue 8)
  ...usagePolicies,
  // metadata quality, link checker, OIT checklist (issue 8)
  ...qualityPolicies,
};
