import type { Standard } from '../../standard/index.ts';
import type { StandardField } from '../../standard/types.ts';

/**
 * The keys CKAN (and data.go.th's scheming schema) always returns, with the value it returns when
 * nothing is set: a list field is [], anything else null. Clients index these keys without checking.
 */
const CKAN_DATASET_KEYS: ReadonlyArray<[string, unknown]> = [
  ['author', null], ['author_email', null], ['maintainer', null], ['maintainer_email', null], ['version', null], ['url', null],
];
const CKAN_RESOURCE_KEYS: ReadonlyArray<[string, unknown]> = [
  ['cache_last_updated', null], ['cache_url', null], ['mimetype_inner', null], ['resource_type', null],
  ['mimetype', null], ['size', null], ['hash', ''], ['last_modified', null], ['url_type', null], ['description', ''], ['format', ''],
];

function emptyValue(f: StandardField): unknown {
  return f.type === 'multiselect' || f.type === 'tags' ? [] : null;
}

const cache = new WeakMap<Standard, { dataset: Array<[string, unknown]>; resource: Array<[string, unknown]> }>();

function keysOf(std: Standard) {
  let c = cache.get(std);
  if (!c) {
    // Every field of every data type: data.go.th itself returns e.g. `disaggregate: []` on record data.
    const fields = (list: readonly StandardField[]) => list.flatMap((f): Array<[string, unknown]> => [[f.name, emptyValue(f)], ...(f.other_field ? [[f.other_field, null] as [string, unknown]] : [])]);
    c = { dataset: [...CKAN_DATASET_KEYS, ...fields(std.file.dataset_fields)], resource: [...CKAN_RESOURCE_KEYS, ...fields(std.file.resource_fields)] };
    cache.set(std, c);
  }
  return c;
}

export function emptyDatasetKeys(std: Standard): ReadonlyArray<[string, unknown]> {
  return keysOf(std).dataset;
}

export function emptyResourceKeys(std: Standard): ReadonlyArray<[string, unknown]> {
  return keysOf(std).resource;
}
