import { registerActions } from './registry.ts';
import { datasetActions } from './datasets/actions.ts';
import { resourceActions } from './resources/actions.ts';
import { organizationActions } from './organizations/actions.ts';
import { userActions } from './users/actions.ts';
import { siteActions } from './site.ts';
import { searchActions } from '../search/actions.ts';
import { authActions } from './auth/actions.ts';
import { packageImport } from '../import/action.ts';
import { packageTemplateImport } from '../import/template/action.ts';
// governance: agreements, grants, partners, linkage registry, cancellation, KPI
import { agreementActions } from './governance/agreements.ts';
import { grantList } from './governance/grants.ts';
import { partnerActions } from './governance/partners.ts';
import { linkageActions } from './governance/linkage.ts';
import { cancellationActions } from './governance/cancellation.ts';
import { kpiReportAction } from './governance/kpi.ts';
import { auditExport, auditSearch } from './audit-search.ts';
import { ckanActions } from './ckan/index.ts';
// governance cases (issue 11)
import { governanceCaseActions } from './governance/cases-index.ts';
import { datastoreActions } from '../datastore/index.ts';
import { harvestActions } from '../harvest/actions.ts';
import { opendataActions } from '../opendata/actions.ts';
import { exchangeActions } from '../exchange/gateway/actions.ts';
import { mtlsActions } from '../exchange/gateway/mtls-actions.ts';
import { registryActions } from '../registry/index.ts';
import { exchangeActions as exchangeDataActions } from '../exchange/index.ts';
import { usageActions } from '../usage/actions.ts';
import { followActions } from '../lists/follows.ts';
import { listActions } from '../lists/lists.ts';
import { areaActions } from '../area/reference.ts';
import { qualityActions } from '../quality/index.ts';

let loaded = false;

/** Registers every action once; the API, the pages and the CLI all read the same registry. */
export function loadActions(): void {
  if (loaded) return;
  loaded = true;
  registerActions([...datasetActions, ...resourceActions, ...organizationActions, ...userActions, ...siteActions, ...searchActions, packageImport, packageTemplateImport, ...authActions]);
  // CKAN client compatibility (issue 12)
  registerActions(ckanActions);
  // accounts (issue 12)
  registerActions([auditSearch, auditExport]);
  // governance (issue 11): cases, duties, notifications, letters; agreements, grants, partners, linkage, KPI
  registerActions(governanceCaseActions);
  registerActions([...agreementActions, grantList, ...partnerActions, ...linkageActions, ...cancellationActions, kpiReportAction]);
  // DataStore (issue 9) and harvest (issue 8)
  registerActions(datastoreActions);
  registerActions(harvestActions);
  // open-data push (issue 8)
  registerActions(opendataActions);
  // exchange gateway (issue 9)
  registerActions([...exchangeActions, ...mtlsActions]);
  // national registration (issue 8): registry side, status API, agency side
  registerActions(registryActions);
  // exchange data items, citizen look-up, integration monitoring (issue 9)
  registerActions(exchangeDataActions);
  // usage statistics, follows and personal lists (issue 8)
  registerActions([...usageActions, ...followActions, ...listActions, ...areaActions]);
  // metadata quality, link checker, OIT checklist (issue 8)
  registerActions(qualityActions);
}
