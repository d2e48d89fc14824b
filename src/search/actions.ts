import type { ActionDef } from '../actions/registry.ts';
import { packageSearch } from './package-search.ts';

export const searchActions: ActionDef[] = [packageSearch];
