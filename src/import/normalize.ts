import type { Standard } from '../standard/index.ts';
import type { StandardField } from '../standard/types.ts';
import { cleanText } from '../standard/values.ts';
import { asLink } from '../actions/ckan/links.ts';

/**
 * Turns a CKAN package dict (as package_show returns it, from this or another catalog) into the
 * input package_create expects. Nothing here decides validity: the standard's validator does.
 */
export function normalizePackage(std: Standard, record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  // Another catalog's organisation and group ids mean nothing here: the import resolves them by name.
  delete out.owner_org;
  delete out.organization;
  if (Array.isArray(out.groups)) out.groups = out.groups.map(groupRef);
  if (Array.isArray(out.tags)) out.tags = out.tags.map(uncutTag).filter((t) => t !== null);
  moveUnlistedToOther(std, std.file.dataset_fields, out);
  if (Array.isArray(out.resources)) {
    out.resources = out.resources.map((r) => {
      if (!r || typeof r !== 'object' || Array.isArray(r)) return r;
      // The file stays where it was published: here it is a link, not an upload of ours.
      const res: Record<string, unknown> = asLink({ ...(r as Record<string, unknown>) });
      moveUnlistedToOther(std, std.file.resource_fields, res);
      return res;
    });
  }
  return out;
}

/**
 * A source catalog that cut tags at a byte limit left half a Thai character, decoded as U+FFFD, at
 * the end (data.go.th has such tags): the whole characters before it are the tag, and a fragment
 * of one character (shorter than any tag may be) carries nothing and is dropped (null).
 */
function uncutTag(t: unknown): unknown {
  const uncut = (s: string) => {
    if (!/\uFFFD\s*$/.test(s)) return s;
    const kept = s.replace(/\uFFFD+\s*$/, '').trim();
    return [...cleanText(kept)].length < 2 ? null : kept;
  };
  if (typeof t === 'string') return uncut(t);
  if (t && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string') {
    const d = t as { name: string };
    const name = uncut(d.name);
    return name === null ? null : { ...d, name };
  }
  return t;
}

function groupRef(g: unknown): unknown {
  if (!g || typeof g !== 'object') return g;
  const d = g as Record<string, unknown>;
  return d.name ?? d.id;
}

/** Case and spacing do not matter when matching a code list: "csv " and "CSV" name the same choice. */
function loose(s: string): string {
  return cleanText(s).toLowerCase().replace(/\s+/g, ' ').trim();
}

const canonicalCache = new WeakMap<Standard, Map<string, Map<string, string>>>();

/** loose(value) → value for one code list, built once per standard version. */
function canonicalValues(std: Standard, list: string): Map<string, string> {
  let lists = canonicalCache.get(std);
  if (!lists) canonicalCache.set(std, (lists = new Map()));
  let map = lists.get(list);
  if (!map) lists.set(list, (map = new Map((std.file.code_lists[list] ?? []).map((c) => [loose(c.value), c.value]))));
  return map;
}

/**
 * A value outside a field's code list goes to `<field>_other` and the field becomes "อื่นๆ",
 * as the national Excel importer does. Fields without an "other" companion are left for the
 * validator to report.
 */
export function moveUnlistedToOther(std: Standard, fields: readonly StandardField[], rec: Record<string, unknown>): void {
  const other = std.rules.other_value;
  for (const f of fields) {
    if (!f.other_field || !f.code_list || (f.type !== 'select' && f.type !== 'multiselect')) continue;
    const raw = rec[f.name];
    if (raw === undefined || raw === null || raw === '') continue;
    const canonical = canonicalValues(std, f.code_list);
    const values = f.type === 'select' ? (typeof raw === 'string' ? [raw] : undefined) : readValues(raw);
    if (!values) continue; // not text: the validator says so
    const known: string[] = [];
    const unknown: string[] = [];
    const exact = std.codeSets.get(f.code_list);
    for (const v of values) {
      const c = exact?.has(v) ? v : canonical.get(loose(v));
      if (c !== undefined) {
        if (!known.includes(c)) known.push(c);
      } else if (v.trim()) unknown.push(v.trim());
    }
    if (f.type === 'select') {
      rec[f.name] = known[0] ?? other;
    } else {
      if (unknown.length && !known.includes(other)) known.push(other);
      rec[f.name] = known;
    }
    if (unknown.length) {
      const given = typeof rec[f.other_field] === 'string' ? (rec[f.other_field] as string).trim() : '';
      rec[f.other_field] = [given, ...unknown].filter(Boolean).join(', ');
    }
  }
}

/** A select holds one string; a multi-select a list, a JSON-encoded list, or one string. */
function readValues(raw: unknown): string[] | undefined {
  let v: unknown = raw;
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      v = JSON.parse(v);
    } catch {
      /* one plain string that starts with a bracket */
    }
  }
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}
