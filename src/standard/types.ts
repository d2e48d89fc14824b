import type { Msg } from '../actions/errors.ts';

export type FieldType =
  | 'text'
  | 'markdown'
  | 'email'
  | 'url'
  | 'date'
  | 'year'
  | 'number'
  | 'select'
  | 'multiselect'
  | 'flag'
  | 'tags'
  | 'slug'
  | 'organization';

export interface StandardField {
  name: string;
  label: Msg;
  help?: Msg;
  type: FieldType;
  code_list?: string;
  required?: boolean;
  /** Data type keys the field applies to, or '*' for all. */
  types: '*' | string[];
  other_field?: string;
  max_length?: number;
  group?: string;
  core?: boolean;
  flag_labels?: { true: Msg; false: Msg };
}

export interface CodeValue {
  value: string;
  label: Msg;
}

export interface DataTypeDef {
  key: string;
  value: string;
  label: Msg;
}

export interface StandardRules {
  public_category: string;
  open_level: string;
  category_levels: Record<string, string[]>;
  sensitive_categories: string[];
  public_default_access_condition: string;
  other_value: string;
  /** List sizes (see limits.ts); missing keys take the defaults there. */
  limits?: Partial<import('./limits.ts').ListLimits>;
}

/** The standard file as written: data, versioned, no code. */
export interface StandardFile {
  id: string;
  version: number;
  title: Msg;
  notes?: string;
  data_types: DataTypeDef[];
  code_lists: Record<string, CodeValue[]>;
  rules: StandardRules;
  dataset_fields: StandardField[];
  resource_fields: StandardField[];
}
