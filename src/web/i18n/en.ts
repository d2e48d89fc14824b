import type { th } from './th.ts';
import { core } from './en/core.ts';
import { datasets } from './en/datasets.ts';
import { accounts } from './en/accounts.ts';
import { lists } from './en/lists.ts';
import { quality } from './en/quality.ts';

/** English labels of the portal, one file per domain under en/. */
export const en: Record<keyof typeof th, string> = { ...core, ...datasets, ...accounts, ...lists, ...quality };
