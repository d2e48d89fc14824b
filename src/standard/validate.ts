import { ErrorBag, fieldMap } from '../actions/errors.ts';
import type { Standard } from './index.ts';
import type { StandardField } from './types.ts';
import { M } from './messages.ts';
import { isEmail, isHttpUrl, readDate, readFlag, readList, readText } from './values.ts';
import { DEFAULT_LIMITS, limitsOf } from './limits.ts';

/** Keys CKAN clients send back from package_show that are computed by the server: accepted and ignored. */
const READ_ONLY_DATASET_KEYS = new Set([
  'metadata_created', 'metadata_modified', 'creator_user_id', 'organization', 'num_resources', 'num_tags',
  'isopen', 'license_title', 'license_url', 'relationships_as_object', 'relationships_as_subject', 'revision_id',
  'tracking_summary', 'metadata_standard', 'access', 'notes_rendered', 'owner_org_title', 'display_name',
]);
/** CKAN core package keys that are not in the national standard. */
const CORE_EXTRA_TEXT = ['author', 'author_email', 'version'] as const;
const CORE_KEYS = new Set(['id', 'type', 'state', 'tag_string', 'groups', 'extras', 'resources', ...CORE_EXTRA_TEXT]);

export interface ValidatedDataset {
  id?: string;
  name?: string;
  title?: string;
  notes?: string;
  owner_org?: string;
  private?: boolean;
  state?: string;
  data_type?: string;
  data_category?: string;
  data_classification?: string;
  license_id?: string;
  allow_harvest?: boolean;
  tags?: string[];
  groups?: string[];
  resources?: unknown[];
  /** Standard fields and CKAN extras that have no column of their own. */
  metadata: Record<string, unknown>;
}

/** Dataset keys that have their own column; all other standard fields live in `metadata`. */
export const COLUMN_FIELDS = new Set([
  'name', 'title', 'notes', 'owner_org', 'private', 'data_type', 'data_category', 'data_classification', 'license_id', 'allow_harvest', 'tags',
]);

const SLUG = /^[a-z0-9_-]+$/;
/**
 * CKAN's alphabet (letters, digits, space, - _ .) plus the punctuation real agency tags carry
 * ("ร้านไปรษณีย์ไทย(ปณร)", "ซัลเฟอร์ > 2%"). Never a comma (the tag_string separator) or a quote.
 */
/** "< 5 ปี" and "> 2%" are text; "<script" is markup that a harvester elsewhere may not escape. */
const MARKUP = /<[A-Za-z/!?]/;
const TAG_CHARS = /^[\p{L}\p{M}\p{N}_ .\-()\[\]%\/&+:'<>=]+$/u;

export function validateSlug(value: unknown, bag: ErrorBag, field = 'name'): string | undefined {
  const s = readText(value, field, bag, { max: 200, strict: true });
  if (s === undefined) return undefined;
  if (s.length < 2 || s.length > 70) bag.add(field, M.slugLength());
  else if (!SLUG.test(s)) bag.add(field, M.slugChars());
  else return s;
  return undefined;
}

export function validateTags(input: Record<string, unknown>, bag: ErrorBag, max = DEFAULT_LIMITS.tags): string[] | undefined {
  let raw: unknown[] | undefined;
  if (input.tags !== undefined && input.tags !== null) {
    if (typeof input.tags === 'string') raw = input.tags.split(',');
    else if (Array.isArray(input.tags)) raw = input.tags.map((t) => (t && typeof t === 'object' && 'name' in t ? (t as { name: unknown }).name : t));
    else {
      bag.add('tags', M.notList());
      return undefined;
    }
  } else if (input.tag_string !== undefined && input.tag_string !== null) {
    const s = readText(input.tag_string, 'tag_string', bag, { max: 5000 });
    if (s === undefined) return undefined;
    raw = s.split(',');
  } else return undefined;
  // Counted before any tag is read: the size of the list bounds the work, not the other way round.
  if (raw.length > max) {
    bag.add('tags', M.tooMany(max));
    return undefined;
  }
  const tags: string[] = [];
  for (const t of raw) {
    const s = readText(t, 'tags', bag, { max: 200, strict: true });
    if (s === undefined) return undefined;
    const tag = s.trim().replace(/\s+/g, ' ');
    if (!tag) continue;
    if ([...tag].length < 2 || [...tag].length > 100) bag.add('tags', M.tagLength(2, 100));
    else if (!TAG_CHARS.test(tag) || MARKUP.test(tag)) bag.add('tags', M.tagChars(tag));
    else if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/**
 * Checks one field value against the standard and returns it normalised, or undefined when it is
 * empty or wrong (wrong values add to the bag).
 */
export function checkField(std: Standard, f: StandardField, value: unknown, bag: ErrorBag): unknown {
  const max = f.max_length;
  switch (f.type) {
    case 'flag':
      return readFlag(value, f.name, bag);
    case 'multiselect': {
      const max = limitsOf(std).multiselect_values;
      if (Array.isArray(value) && value.length > max) {
        bag.add(f.name, M.tooMany(max));
        return undefined;
      }
      const list = readList(value, f.name, bag);
      if (!list) return undefined;
      if (list.length > max) {
        bag.add(f.name, M.tooMany(max));
        return undefined;
      }
      const set = std.codeSets.get(f.code_list ?? '');
      for (const v of list) if (set && !set.has(v)) bag.add(f.name, M.notInList(v));
      return list.length ? list : undefined;
    }
    case 'tags':
      return undefined; // handled by validateTags
    default: {
      const s = readText(value, f.name, bag, { max: max ?? 20000, strict: f.name === 'title' });
      if (s === undefined) return undefined;
      const t = f.type === 'markdown' ? s : s.trim();
      if (t === '') return undefined;
      switch (f.type) {
        case 'select': {
          const set = std.codeSets.get(f.code_list ?? '');
          if (set && !set.has(t)) {
            bag.add(f.name, M.notInList(t));
            return undefined;
          }
          return t;
        }
        case 'email':
          if (!isEmail(t)) bag.add(f.name, M.email());
          return t;
        case 'url':
          if (!isHttpUrl(t)) bag.add(f.name, M.url());
          return t;
        case 'date': {
          const d = readDate(t);
          if (!d) bag.add(f.name, M.date());
          return d;
        }
        case 'year':
          if (!/^\d{4}$/.test(t)) bag.add(f.name, M.year());
          return t;
        case 'number': {
          const n = Number(t);
          if (!Number.isFinite(n)) {
            bag.add(f.name, M.number());
            return undefined;
          }
          if (/_longitude$/.test(f.name)) {
            const lim = /north|south/.test(f.name) ? 90 : 180;
            if (Math.abs(n) > lim) bag.add(f.name, M.range(-lim, lim));
          }
          if (f.name === 'update_frequency_interval' && n < 0) bag.add(f.name, M.range(0, 1e6));
          return t;
        }
        default:
          return t;
      }
    }
  }
}

export interface DatasetValidationOptions {
  /** package_patch and drafts: required fields are not enforced for fields not sent. */
  partial?: boolean;
}

/**
 * Validates a dataset dict against a standard version. Only checks that need no database;
 * the action adds uniqueness and organisation checks to the same bag.
 */
export function validateDataset(std: Standard, input: Record<string, unknown>, bag: ErrorBag, opts: DatasetValidationOptions = {}): ValidatedDataset {
  const out: ValidatedDataset = { metadata: {} };
  const r = std.rules;
  const limits = limitsOf(std);

  for (const key of Object.keys(input)) {
    if (std.datasetFields.has(key) || std.otherFields.has(key) || CORE_KEYS.has(key) || READ_ONLY_DATASET_KEYS.has(key)) continue;
    bag.add(key, M.unknownField());
  }

  if (input.id !== undefined && input.id !== null && input.id !== '') {
    const id = readText(input.id, 'id', bag, { max: 100, strict: true });
    if (id !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) bag.add('id', M.invalidId());
    else out.id = id?.toLowerCase();
  }

  // Data type first: it decides which fields apply.
  const dtRaw = readText(input.data_type, 'data_type', bag, { max: 200 });
  const dataType = dtRaw ? std.dataTypeValue(dtRaw.trim()) : undefined;
  if (dtRaw && !dataType) bag.add('data_type', M.notInList(dtRaw));
  if (dataType) out.data_type = dataType;

  for (const f of std.file.dataset_fields) {
    if (f.name === 'data_type' || f.type === 'tags') continue;
    const sent = Object.hasOwn(input, f.name);
    const applies = !dataType || std.appliesTo(f, dataType);
    let value: unknown;
    if (f.name === 'name') value = sent ? validateSlug(input.name, bag) : undefined;
    else if (f.type === 'organization') value = sent ? readText(input[f.name], f.name, bag, { max: 100 })?.trim() || undefined : undefined;
    else value = sent ? checkField(std, f, input[f.name], bag) : undefined;

    if (value !== undefined && !applies) {
      bag.add(f.name, M.notForType(std.codeLabel('data_type', dataType!, 'th')));
      continue;
    }
    const otherValue = f.other_field ? readText(input[f.other_field], f.other_field, bag, { max: 1000 })?.trim() : undefined;
    const chosenOther = value === r.other_value || (Array.isArray(value) && value.includes(r.other_value));
    if (f.other_field && chosenOther && !otherValue) bag.add(f.other_field, M.otherRequired());

    if (value === undefined) {
      if (f.required && applies && !(opts.partial && !sent) && !bag.has(f.name) && !derivable(f.name)) bag.add(f.name, M.missing());
      continue;
    }
    assign(out, f.name, value);
    if (f.other_field && otherValue && chosenOther) out.metadata[f.other_field] = otherValue;
  }

  const tags = validateTags(input, bag, limits.tags);
  if (tags !== undefined) out.tags = tags;
  if ((!tags || tags.length === 0) && !(opts.partial && input.tags === undefined && input.tag_string === undefined) && !bag.has('tags')) {
    bag.add('tags', M.tagRequired());
  }

  for (const key of CORE_EXTRA_TEXT) {
    if (input[key] === undefined || input[key] === null) continue;
    const s = readText(input[key], key, bag, { max: 500 })?.trim();
    if (s) out.metadata[key] = s;
  }
  if (out.metadata.author_email && !isEmail(String(out.metadata.author_email))) bag.add('author_email', M.email());

  if (input.state !== undefined && input.state !== null && input.state !== '') {
    if (input.state === 'draft' || input.state === 'active') out.state = input.state;
    else bag.add('state', M.badState());
  }
  if (input.groups !== undefined && input.groups !== null) out.groups = readGroupRefs(input.groups, bag, limits.groups);
  if (input.extras !== undefined && input.extras !== null) readExtras(std, input.extras, out, bag, limits.extras);
  if (input.resources !== undefined && input.resources !== null) {
    if (!Array.isArray(input.resources)) bag.add('resources', M.notList());
    else if (input.resources.length > limits.resources) bag.add('resources', M.tooMany(limits.resources));
    else out.resources = input.resources;
  }
  return out;
}

/** Fields the server fills in itself when the category decides them. */
function derivable(name: string): boolean {
  return name === 'data_classification' || name === 'allow_harvest';
}

function assign(out: ValidatedDataset, name: string, value: unknown): void {
  if (COLUMN_FIELDS.has(name)) (out as unknown as Record<string, unknown>)[name] = value;
  else out.metadata[name] = value;
}

function readGroupRefs(value: unknown, bag: ErrorBag, max: number): string[] | undefined {
  if (!Array.isArray(value)) {
    bag.add('groups', M.notList());
    return undefined;
  }
  if (value.length > max) {
    bag.add('groups', M.tooMany(max));
    return undefined;
  }
  const refs: string[] = [];
  for (const g of value) {
    const ref = typeof g === 'string' ? g : g && typeof g === 'object' ? ((g as Record<string, unknown>).id ?? (g as Record<string, unknown>).name) : undefined;
    const s = readText(ref, 'groups', bag, { max: 100, strict: true });
    if (s === undefined) {
      if (!bag.has('groups')) bag.add('groups', M.notList());
      return undefined;
    }
    if (!refs.includes(s)) refs.push(s);
  }
  return refs;
}

function readExtras(std: Standard, value: unknown, out: ValidatedDataset, bag: ErrorBag, max: number): void {
  if (!Array.isArray(value)) {
    bag.add('extras', M.badExtras());
    return;
  }
  if (value.length > max) {
    bag.add('extras', M.tooMany(max));
    return;
  }
  // Keys are the caller's: "__proto__" must be a key like any other, not a prototype.
  const extras = fieldMap<string>();
  for (const e of value) {
    if (!e || typeof e !== 'object' || typeof (e as Record<string, unknown>).key !== 'string') {
      bag.add('extras', M.badExtras());
      return;
    }
    const key = readText((e as Record<string, unknown>).key, 'extras', bag, { max: 100, strict: true });
    const val = readText((e as Record<string, unknown>).value ?? '', 'extras', bag, { max: 5000 });
    if (key === undefined || val === undefined) return;
    if (std.datasetFields.has(key) || CORE_KEYS.has(key)) {
      bag.add('extras', M.extraConflict(key));
      return;
    }
    extras[key] = val;
  }
  out.metadata.__extras = extras;
}

/** Cross-field rules of the standard: category ↔ level, public data is open and harvestable. */
export function applyCategoryRules(std: Standard, ds: { data_category?: string; data_classification?: string; allow_harvest?: boolean; private?: boolean; metadata: Record<string, unknown> }, bag: ErrorBag): void {
  const r = std.rules;
  const cat = ds.data_category;
  if (!cat) return;
  const allowed = r.category_levels[cat] ?? [];
  if (cat === r.public_category) {
    if (!ds.data_classification) ds.data_classification = r.open_level;
    if (ds.allow_harvest === false) bag.add('allow_harvest', M.publicMustHarvest());
    ds.allow_harvest = true;
    if (!ds.metadata.accessible_condition) ds.metadata.accessible_condition = r.public_default_access_condition;
  } else {
    // Shared (non-open) data is never listed publicly; only the consent flag sends its name to GD-Catalog.
    ds.private = true;
    if (ds.allow_harvest === undefined) ds.allow_harvest = false;
  }
  if (!ds.data_classification) {
    if (!bag.has('data_classification')) bag.add('data_classification', M.missing());
  } else if (!allowed.includes(ds.data_classification)) {
    bag.add('data_classification', M.classificationForCategory(cat, allowed));
  }
}
