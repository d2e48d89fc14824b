import fs from 'node:fs';
import path from 'node:path';
import type { StandardField, StandardFile, StandardRules } from './types.ts';

/** BANCHI_STANDARDS_DIR points at another folder of version files (tests, or an agency's own profile). */
const VERSIONS_DIR = process.env.BANCHI_STANDARDS_DIR || path.join(import.meta.dirname, 'versions');

/** A loaded standard version with look-ups built once. */
export class Standard {
  readonly file: StandardFile;
  readonly datasetFields: ReadonlyMap<string, StandardField>;
  readonly resourceFields: ReadonlyMap<string, StandardField>;
  readonly codeSets: ReadonlyMap<string, ReadonlySet<string>>;
  /** Companion free-text fields (`<field>_other`) → the field they belong to. */
  readonly otherFields: ReadonlyMap<string, string>;

  constructor(file: StandardFile) {
    this.file = file;
    this.datasetFields = new Map(file.dataset_fields.map((f) => [f.name, f]));
    this.resourceFields = new Map(file.resource_fields.map((f) => [f.name, f]));
    this.codeSets = new Map(Object.entries(file.code_lists).map(([k, v]) => [k, new Set(v.map((c) => c.value))]));
    const others = new Map<string, string>();
    for (const f of [...file.dataset_fields, ...file.resource_fields]) if (f.other_field) others.set(f.other_field, f.name);
    this.otherFields = others;
  }

  get id(): string {
    return this.file.id;
  }
  get version(): number {
    return this.file.version;
  }
  get rules(): StandardRules {
    return this.file.rules;
  }

  dataTypeKey(value: string): string | undefined {
    return this.file.data_types.find((t) => t.value === value)?.key;
  }

  dataTypeValue(keyOrValue: string): string | undefined {
    return this.file.data_types.find((t) => t.key === keyOrValue || t.value === keyOrValue)?.value;
  }

  appliesTo(field: StandardField, dataTypeValue: string): boolean {
    if (field.types === '*') return true;
    const key = this.dataTypeKey(dataTypeValue);
    return key !== undefined && field.types.includes(key);
  }

  datasetFieldsFor(dataTypeValue: string): StandardField[] {
    return this.file.dataset_fields.filter((f) => this.appliesTo(f, dataTypeValue));
  }

  resourceFieldsFor(dataTypeValue: string): StandardField[] {
    return this.file.resource_fields.filter((f) => this.appliesTo(f, dataTypeValue));
  }

  codeLabel(list: string, value: string, lang: 'th' | 'en'): string {
    const v = this.file.code_lists[list]?.find((c) => c.value === value);
    return v ? v.label[lang] : value;
  }
}

function loadAll(dir: string): Standard[] {
  const out: Standard[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    const file = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as StandardFile;
    out.push(new Standard(file));
  }
  if (!out.length) throw new Error(`No metadata standard found in ${dir}`);
  return out;
}

const all = loadAll(VERSIONS_DIR);

/** Every version on disk; a new file in versions/ is a new version, with no code change. */
export function standards(): readonly Standard[] {
  return all;
}

export function getStandard(id: string, version: number): Standard | undefined {
  return all.find((s) => s.id === id && s.version === version);
}

/** The version new and updated datasets are validated against: the highest of the configured id. */
export function currentStandard(): Standard {
  const id = process.env.BANCHI_STANDARD || all[0]!.id;
  const candidates = all.filter((s) => s.id === id).sort((a, b) => b.version - a.version);
  if (!candidates.length) throw new Error(`BANCHI_STANDARD=${id} names no standard in ${VERSIONS_DIR}`);
  return candidates[0]!;
}

export const rules: StandardRules = currentStandard().rules;
