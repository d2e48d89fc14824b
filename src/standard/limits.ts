import type { Standard } from './index.ts';

/**
 * How many items a list may hold: one dataset with 60,000 tags made every later write to it take
 * seconds. The numbers are data (`rules.limits` of the standard file); these defaults apply to a
 * standard file that names none, and sit well above anything the national catalog holds.
 */
export interface ListLimits {
  /** Tags (keywords) of a dataset. */
  tags: number;
  /** Active resources of a dataset. */
  resources: number;
  /** Theme groups of a dataset. */
  groups: number;
  /** Free extras of a dataset or an organisation. */
  extras: number;
  /** Values of one multiple-choice field. */
  multiselect_values: number;
  /** Fields of one resource's data dictionary. */
  data_dictionary_fields: number;
  /** Free extra keys of one resource. */
  resource_extras: number;
}

export const DEFAULT_LIMITS: ListLimits = {
  tags: 100,
  resources: 500,
  groups: 100,
  extras: 100,
  multiselect_values: 100,
  data_dictionary_fields: 2000,
  resource_extras: 100,
};

export function limitsOf(std: Standard): ListLimits {
  return { ...DEFAULT_LIMITS, ...(std.rules.limits ?? {}) };
}
