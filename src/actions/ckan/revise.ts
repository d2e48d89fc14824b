import { defineAction } from '../registry.ts';
import { ValidationError, type Msg } from '../errors.ts';
import { M } from '../../standard/messages.ts';
import { requireDataset } from '../datasets/load.ts';
import { packageDicts } from '../datasets/present.ts';
import { updateFrom } from '../datasets/actions.ts';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v);
const bad = (field: string, en: string, th: string) => ValidationError.field(field, { th, en } as Msg);

/** A parameter that GET and form callers send as a JSON string. */
function jsonParam(input: Dict, key: string): unknown {
  const v = input[key];
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw bad(key, 'Must be JSON', 'ต้องเป็น JSON');
  }
}

/** Every key of `match` equals the dataset's (lists and dicts compared whole). */
function matches(current: unknown, match: unknown): boolean {
  if (isDict(match)) return isDict(current) && Object.entries(match).every(([k, v]) => matches(current[k], v));
  return JSON.stringify(current ?? null) === JSON.stringify(match ?? null);
}

/** A list entry named by a path segment: an index (negative counts from the end) or the start of an item's id. */
export function listIndex(list: unknown[], seg: string, field: string): number[] {
  if (seg === '*') return list.map((_, i) => i);
  if (/^-?\d+$/.test(seg)) {
    const n = Number(seg);
    const i = n < 0 ? list.length + n : n;
    if (i >= 0 && i < list.length) return [i];
    // An id prefix can be all digits ("54723887…"): out of range as an index, it is tried as a prefix.
    if (n < 0 || !list.some((x) => isDict(x) && typeof x.id === 'string' && x.id.startsWith(seg))) throw bad(field, `No list entry ${seg}`, `ไม่มีรายการที่ ${seg}`);
  }
  const hits = list.map((x, i) => [x, i] as const).filter(([x]) => isDict(x) && typeof x.id === 'string' && x.id.startsWith(seg));
  if (hits.length !== 1) throw bad(field, `"${seg}" must name exactly one entry by its id or the start of it`, `"${seg}" ต้องระบุรายการเดียวด้วย id หรือส่วนต้นของ id`);
  return [hits[0]![1]];
}

/** CKAN's filter: "-a__b" removes a path ("*" for every list entry); "+a" keeps it (everything not removed is kept). */
function applyFilter(dict: Dict, filters: unknown): void {
  if (filters === undefined || filters === null) return;
  if (!Array.isArray(filters)) throw bad('filter', 'Must be a list of "+path" or "-path"', 'ต้องเป็นรายการของ "+path" หรือ "-path"');
  for (const f of filters) {
    if (typeof f !== 'string' || !/^[+-][A-Za-z0-9_*-]+(?:__[A-Za-z0-9_*-]+)*$/.test(f)) throw bad('filter', `Not a filter: ${String(f).slice(0, 80)}`, `ไม่ใช่ตัวกรอง: ${String(f).slice(0, 80)}`);
    if (f[0] === '+') continue;
    const path = f.slice(1).split('__');
    const remove = (node: unknown, i: number): void => {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (Array.isArray(node)) {
        const idx = listIndex(node, seg, 'filter').sort((a, b) => b - a);
        for (const j of idx) last ? node.splice(j, 1) : remove(node[j], i + 1);
      } else if (isDict(node) && Object.hasOwn(node, seg)) {
        if (last) delete node[seg];
        else remove(node[seg], i + 1);
      }
    };
    remove(dict, 0);
  }
}

/** update: dicts merge into dicts, anything else replaces. */
function merge(target: Dict, update: Dict): void {
  for (const [k, v] of Object.entries(update)) {
    if (k === '__proto__') continue;
    if (isDict(v) && isDict(target[k])) merge(target[k] as Dict, v);
    else target[k] = v;
  }
}

/** update__a__b__c=value: a path into the dict; list entries by index or id prefix; "extend" appends a list. */
function setPath(dict: Dict, key: string, value: unknown): void {
  const path = key.slice('update__'.length).split('__');
  if (!path.every((s) => /^[A-Za-z0-9_-]+$/.test(s)) || path.includes('__proto__')) throw bad(key, 'Not a field path', 'ไม่ใช่เส้นทางของฟิลด์');
  let node: unknown = dict;
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      if (seg === 'extend' && last) {
        if (!Array.isArray(value)) throw bad(key, 'extend needs a list', 'extend ต้องเป็นรายการ');
        node.push(...value);
        return;
      }
      const [j] = listIndex(node, seg, key);
      if (last) node[j!] = isDict(node[j!]) && isDict(value) ? { ...(node[j!] as Dict), ...value } : value;
      else node = node[j!];
    } else if (isDict(node)) {
      if (last) {
        if (isDict(value) && isDict(node[seg])) merge(node[seg] as Dict, value);
        else node[seg] = value;
      } else {
        if (node[seg] === undefined || node[seg] === null) node[seg] = {};
        node = node[seg];
      }
    } else throw bad(key, 'Not a field path', 'ไม่ใช่เส้นทางของฟิลด์');
  }
}

export const packageRevise = defineAction({
  name: 'package_revise',
  readOnly: false,
  summary: "Change a dataset only if it still matches what the caller saw (CKAN's package_revise): match, then filter, then update.",
  params: {
    match: { type: 'object', description: 'fields the dataset must have now, with its id or name, e.g. {"name": "x", "version": "1"}', required: true },
    filter: { type: 'array', description: 'paths to remove ("-resources__0__description", "*" for every entry) or keep ("+…")' },
    update: { type: 'object', description: 'fields to set; dicts merge, other values replace' },
    'update__<path>': { type: 'string', description: 'one field by path, e.g. update__resources__0__name or update__resources__<id prefix>__url; update__resources__extend adds resources' },
  },
  async run(ctx, input) {
    const match = jsonParam(input, 'match');
    if (!isDict(match) || (typeof match.id !== 'string' && typeof match.name !== 'string')) throw bad('match', 'Must be an object with the id or name of the dataset', 'ต้องเป็นออบเจกต์ที่มี id หรือ name ของชุดข้อมูล');
    const { row } = await requireDataset(ctx, { id: match.id ?? match.name }, 'package_revise');
    const current = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
    if (!matches(current, match)) throw bad('match', 'There is a mismatch: the dataset has changed', 'ข้อมูลไม่ตรงกับ match: ชุดข้อมูลถูกแก้ไขไปแล้ว');
    const next = structuredClone(current) as Dict;
    applyFilter(next, jsonParam(input, 'filter'));
    const update = jsonParam(input, 'update');
    if (update !== undefined && update !== null) {
      if (!isDict(update)) throw bad('update', 'Must be an object', 'ต้องเป็นออบเจกต์');
      merge(next, update);
    }
    for (const [k, v] of Object.entries(input)) if (k.startsWith('update__')) setPath(next, k, typeof v === 'string' && /^[[{]/.test(v.trim()) ? jsonParam(input, k) : v);
    for (const k of Object.keys(input)) if (!['match', 'filter', 'update', 'include'].includes(k) && !k.startsWith('update__')) throw ValidationError.field(k, M.unknownField());
    // Computed parts of the dict are the server's: they are not written back.
    for (const k of ['organization', 'num_resources', 'num_tags', 'metadata_standard', 'access', 'metadata_created', 'metadata_modified', 'creator_user_id', 'license_title', 'license_url', 'isopen', 'relationships_as_object', 'relationships_as_subject']) delete next[k];
    if (Array.isArray(next.groups)) next.groups = next.groups.map((g) => (isDict(g) ? (g.name ?? g.id) : g));
    const pkg = await updateFrom(ctx, { ...next, id: row.id }, 'package_revise', false);
    return { package: pkg };
  },
});
