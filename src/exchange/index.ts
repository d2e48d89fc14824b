import type { ActionDef } from '../actions/registry.ts';
import { itemCreate, itemList, itemShow, itemUpdate } from './items/registry.ts';
import { mappingSet, mappingShow } from './items/mapping.ts';
import { sourceCreate, sourceList, sourcesAvailable, sourceUpdate } from './lookup/sources.ts';
import { lookupFinish, lookupStart } from './lookup/run.ts';
import { monitoringActions } from './monitoring/actions.ts';
import { integrationActions } from './integration/actions.ts';

/** Exchange data items, citizen look-up (P9), integration monitoring (P10) and data integration pulls. */
export const exchangeActions: ActionDef[] = [
  itemList, itemShow, itemCreate, itemUpdate, mappingShow, mappingSet,
  sourceCreate, sourceUpdate, sourceList, sourcesAvailable, lookupStart, lookupFinish,
  ...monitoringActions,
  ...integrationActions,
];
