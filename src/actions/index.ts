import { registerActions } from './registry.ts';
import { datasetActions } from './datasets/actions.ts';
import { resourceActions } from './resources/actions.ts';
import { organizationActions } from './organizations/actions.ts';
import { userActions } from './users/actions.ts';
import { siteActions } from './site.ts';
import { searchActions } from '../search/actions.ts';
import { authActions } from './auth/actions.ts';
import { packageImport } from '../import/action.ts';
import { harvestActions } from '../harvest/actions.ts';

let loaded = false;

/** Registers every action once; the API, the pages and the CLI all read the same registry. */
export function loadActions(): void {
  if (loaded) return;
  loaded = true;
  registerActions([...datasetActions, ...resourceActions, ...organizationActions, ...userActions, ...siteActions, ...searchActions, packageImport, ...authActions]);
  registerActions(harvestActions);
}
