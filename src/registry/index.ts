import { registryActions as registrySide } from './actions.ts';
import { agencyActions } from './agency-actions.ts';
import { registryUsageActions } from './usage.ts';

/** Every registration action: the registry's (states, queue, status API) and the agency catalog's (client side). */
export const registryActions = [...registrySide, ...agencyActions, ...registryUsageActions];
