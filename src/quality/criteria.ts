import fs from 'node:fs';
import path from 'node:path';
import type { Msg } from '../actions/errors.ts';

/** The criteria file as written (src/quality/criteria.json): data, read once and checked at load. */
export interface CriterionDef {
  key: string;
  kind: 'fields' | 'dictionary' | 'formats' | 'freshness' | 'links';
  weight: number;
  pass_at: number;
  partial_at: number;
  label: Msg;
  scope?: 'required' | 'recommended';
  exclude?: string[];
  structured_formats?: string[];
  /** A dictionary published as a file (a resource named so) earns this ratio when no structured one exists. */
  file_credit?: number;
  file_names?: string[];
  open?: string[];
  closed?: string[];
  cycle_days?: Record<string, number>;
  never_updated?: string[];
  grace?: number;
  late_factor?: number;
}

export interface CriteriaFile {
  version: number;
  criteria: CriterionDef[];
}

const KINDS = ['fields', 'dictionary', 'formats', 'freshness', 'links'];

/** Refuses a criteria file that cannot score (weights not totalling 100, an unknown kind, thresholds out of order). */
export function checkCriteria(file: CriteriaFile): CriteriaFile {
  const total = file.criteria.reduce((s, c) => s + c.weight, 0);
  if (total !== 100) throw new Error(`quality criteria weights total ${total}, not 100`);
  const keys = new Set<string>();
  for (const c of file.criteria) {
    if (keys.has(c.key)) throw new Error(`quality criterion ${c.key} listed twice`);
    keys.add(c.key);
    if (!KINDS.includes(c.kind)) throw new Error(`quality criterion ${c.key}: unknown kind ${c.kind}`);
    if (!(c.partial_at <= c.pass_at && c.pass_at <= 1 && c.partial_at >= 0)) throw new Error(`quality criterion ${c.key}: thresholds out of order`);
    if (!c.label?.th || !c.label?.en) throw new Error(`quality criterion ${c.key}: needs a Thai and an English label`);
  }
  return file;
}

export const CRITERIA: CriteriaFile = checkCriteria(JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'criteria.json'), 'utf8')) as CriteriaFile);

/** The open, machine-readable formats of the criteria file: the registry's automatic checks read the same list. */
export const OPEN_FORMATS: ReadonlySet<string> = new Set(CRITERIA.criteria.find((c) => c.kind === 'formats')?.open ?? []);
