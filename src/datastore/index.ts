import { datastoreInfo, datastoreLoad, datastoreSearch, datastoreSearchSql } from './actions.ts';
import { datastoreCreate, datastoreDelete, datastoreUpsert } from './actions-write.ts';
import { datastoreApiKeyCreate, datastoreApiKeyList, datastoreApiKeyRevoke, datastoreKeySearch, datastoreOpenapi } from './actions-keys.ts';

/** The DataStore's actions (CKAN names), registered by src/actions/index.ts. */
export const datastoreActions = [
  datastoreCreate, datastoreUpsert, datastoreDelete, datastoreInfo, datastoreSearch, datastoreSearchSql, datastoreLoad,
  datastoreApiKeyCreate, datastoreApiKeyList, datastoreApiKeyRevoke, datastoreKeySearch, datastoreOpenapi,
];
