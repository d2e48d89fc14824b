import type { ErrorBag } from '../actions/errors.ts';
import type { DataDictionaryField } from '../store/schema.ts';
import type { Standard } from './index.ts';
import { M } from './messages.ts';
import { checkField } from './validate.ts';
import { readFlag, readText, readTimestamp } from './values.ts';
import { limitsOf } from './limits.ts';

/** Computed by the server; clients echo them back from resource_show. */
const READ_ONLY = new Set([
  'package_id', 'position', 'metadata_modified', 'datastore_active', 'url_restricted',
  'tracking_summary', 'state', 'upload', 'clear_upload',
]);
/** CKAN core resource keys without a place in the standard, kept as given. */
const CORE_TEXT = ['url_type', 'cache_url', 'cache_last_updated', 'mimetype_inner', 'resource_type'];
const EXTRA_KEY = /^[a-z][a-z0-9_]{0,63}$/;
const DICT_TYPES = new Set(['text', 'integer', 'number', 'boolean', 'date', 'datetime', 'time', 'json', 'geometry', 'binary']);

export interface ValidatedResource {
  id?: string;
  name?: string;
  description?: string;
  format?: string;
  url?: string;
  url_type?: string | null;
  /** For links, as the publisher describes the remote file; uploads get measured values instead. */
  size?: number | null;
  mimetype?: string | null;
  hash?: string;
  created?: Date;
  last_modified?: Date | null;
  metadata: Record<string, unknown>;
  data_dictionary?: DataDictionaryField[];
}

export interface ResourceValidationOptions {
  /** A file arrives with the request: url is then the file name, not a link. */
  hasUpload?: boolean;
  partial?: boolean;
  /** Field name prefix for errors inside package_create's resources list. */
  prefix?: string;
}

export function validateResource(std: Standard, dataType: string, input: Record<string, unknown>, bag: ErrorBag, opts: ResourceValidationOptions = {}): ValidatedResource {
  const out: ValidatedResource = { metadata: {} };
  const p = opts.prefix ?? '';
  const sub = { add: (f: string, m: Parameters<ErrorBag['add']>[1]) => bag.add(p + f, m), has: (f?: string) => bag.has(f === undefined ? undefined : p + f) } as ErrorBag;
  if (typeof input.id === 'string' && input.id) out.id = input.id;
  for (const f of std.file.resource_fields) {
    const sent = Object.hasOwn(input, f.name);
    if (f.name === 'url' && opts.hasUpload) continue;
    const value = sent ? checkField(std, f, input[f.name], sub) : undefined;
    const applies = std.appliesTo(f, dataType);
    if (value !== undefined && !applies) {
      sub.add(f.name, M.notForType(std.codeLabel('data_type', dataType, 'th')));
      continue;
    }
    if (f.other_field) {
      const other = readText(input[f.other_field], f.other_field, sub, { max: 1000 })?.trim();
      const chosen = value === std.rules.other_value || (Array.isArray(value) && value.includes(std.rules.other_value));
      if (chosen && !other) sub.add(f.other_field, M.otherRequired());
      if (chosen && other) out.metadata[f.other_field] = other;
    }
    if (value === undefined) {
      if (f.required && applies && !(opts.partial && !sent) && !sub.has(f.name)) sub.add(f.name, M.missing());
      continue;
    }
    if (f.name === 'name' || f.name === 'description' || f.name === 'format' || f.name === 'url') (out as unknown as Record<string, unknown>)[f.name] = value;
    else out.metadata[f.name] = value;
  }
  if (typeof out.format === 'string') out.format = out.format.toUpperCase().replace(/^\./, '');
  for (const key of CORE_TEXT) {
    if (input[key] === undefined || input[key] === null) continue;
    const s = readText(input[key], key, sub, { max: 2000 });
    if (s === undefined) continue;
    if (key === 'url_type') out.url_type = s || null;
    else out.metadata[key] = s;
  }
  if (input.size !== undefined && input.size !== null && input.size !== '') {
    const n = Number(input.size);
    if (!Number.isSafeInteger(n) || n < 0) sub.add('size', M.mustBeInteger());
    else out.size = n;
  }
  if (typeof input.mimetype === 'string' && input.mimetype) out.mimetype = readText(input.mimetype, 'mimetype', sub, { max: 200, strict: true });
  if (input.hash !== undefined && input.hash !== null) out.hash = readText(input.hash, 'hash', sub, { max: 200, strict: true }) ?? '';
  for (const key of ['created', 'last_modified'] as const) {
    const raw = input[key];
    if (raw === undefined || raw === null || raw === '') continue;
    const d = readTimestamp(raw);
    if (!d) sub.add(key, M.date());
    else out[key] = d;
  }
  if (input.data_dictionary !== undefined && input.data_dictionary !== null) {
    out.data_dictionary = validateDictionary(input.data_dictionary, sub, limitsOf(std).data_dictionary_fields);
  }
  const maxExtras = limitsOf(std).resource_extras;
  let extras = 0;
  for (const [key, value] of Object.entries(input)) {
    if (['id', 'data_dictionary', 'size', 'mimetype', 'hash', 'created', 'last_modified'].includes(key) || READ_ONLY.has(key) || CORE_TEXT.includes(key)) continue;
    if (std.resourceFields.has(key) || std.otherFields.has(key)) continue;
    // CKAN resources accept free extras; keep plain values under a safe key, refuse the rest.
    if (!EXTRA_KEY.test(key)) sub.add(key, M.unknownField());
    else if (++extras > maxExtras) {
      if (extras === maxExtras + 1) sub.add('extras', M.tooMany(maxExtras));
    }
    else if (value !== null && typeof value === 'object') sub.add(key, M.notString());
    else {
      const s = value === null ? '' : readText(value, key, sub, { max: 2000 });
      if (s !== undefined) ((out.metadata.__extras ??= {}) as Record<string, string>)[key] = s;
    }
  }
  return out;
}

function validateDictionary(value: unknown, bag: ErrorBag, max: number): DataDictionaryField[] | undefined {
  let list = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      bag.add('data_dictionary', M.dictionary('not JSON'));
      return undefined;
    }
  }
  if (!Array.isArray(list)) {
    bag.add('data_dictionary', M.notList());
    return undefined;
  }
  if (list.length > max) {
    bag.add('data_dictionary', M.tooMany(max));
    return undefined;
  }
  const out: DataDictionaryField[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const where = `data_dictionary[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      bag.add(where, M.dictionary('each field must be an object'));
      return;
    }
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['name', 'type', 'description_th', 'description_en', 'unit', 'example', 'personal_data'].includes(k)) bag.add(`${where}.${k}`, M.unknownField());
    }
    const name = readText(r.name, `${where}.name`, bag, { max: 200, strict: true })?.trim();
    if (!name) {
      if (!bag.has(`${where}.name`)) bag.add(`${where}.name`, M.missing());
      return;
    }
    if (seen.has(name)) bag.add(`${where}.name`, M.dictionary(`duplicate field "${name}"`));
    seen.add(name);
    const type = (readText(r.type ?? 'text', `${where}.type`, bag, { max: 50 }) ?? 'text').trim().toLowerCase();
    if (!DICT_TYPES.has(type)) bag.add(`${where}.type`, M.notInList(type));
    const personal = r.personal_data === undefined ? false : readFlag(r.personal_data, `${where}.personal_data`, bag);
    out.push({
      name,
      type,
      description_th: readText(r.description_th ?? '', `${where}.description_th`, bag, { max: 2000 }) ?? '',
      description_en: readText(r.description_en ?? '', `${where}.description_en`, bag, { max: 2000 }) ?? '',
      unit: readText(r.unit ?? '', `${where}.unit`, bag, { max: 200 }) ?? '',
      example: readText(r.example ?? '', `${where}.example`, bag, { max: 1000 }) ?? '',
      personal_data: personal ?? false,
    });
  });
  return out;
}
