import { core } from './th/core.ts';
import { datasets } from './th/datasets.ts';
import { accounts } from './th/accounts.ts';
import { lists } from './th/lists.ts';
import { quality } from './th/quality.ts';

/**
 * Thai labels of the portal (the default language), one file per domain under th/; every key must exist
 * in the matching en/ file too (the types check it). A new domain adds its pair of files and one line here.
 */
export const th = { ...core, ...datasets, ...accounts, ...lists, ...quality } as const;
