/**
 * Conditions over the in-memory copy, built by query-sql.ts beside each SQL fragment (the
 * `mem` twin of every condition), and evaluated here into sets of row ordinals.
 */
import type { RawBuilder } from 'kysely';
import type { VisibilityRule } from '../../access/visibility.ts';
import type { ListColumn, MemCatalog, ScalarColumn } from './catalog.ts';
import { andInPlace, copy, empty, full, keep, not, orInPlace, set, type Bits } from './bitset.ts';
import { evaluate, parseTsquery, type TsContext } from './tsquery.ts';

export type MemNode =
  | { k: 'const'; v: boolean }
  | { k: 'text'; tsq: string }
  | { k: 'eq'; col: ScalarColumn; value: string; prefix: boolean }
  | { k: 'has'; col: Exclude<ListColumn, 'group_ids'>; value: string; prefix: boolean }
  | { k: 'name'; value: string; prefix: boolean }
  | { k: 'uuid'; col: 'owner' | 'id'; value: string }
  | { k: 'ownerSet'; ids: string[] | null; query?: RawBuilder<unknown> }
  | { k: 'groupSet'; ids: string[] | null; query?: RawBuilder<unknown> }
  | { k: 'notNull'; col: 'owner' }
  | { k: 'private'; v: boolean }
  | { k: 'time'; col: 'modified' | 'created'; op: '>=' | '>' | '<=' | '<'; us: number }
  | { k: 'and' | 'or'; items: MemNode[] }
  | { k: 'not'; item: MemNode };

export const TRUE_MEM: MemNode = { k: 'const', v: true };
export const FALSE_MEM: MemNode = { k: 'const', v: false };
/** Search-row columns the in-memory copy keeps as scalars, by their SQL expression. */
export const MEM_SCALARS: Record<string, Extract<MemNode, { k: 'eq' }>['col']> = {
  's.license_id': 'license_id',
  's.data_type': 'data_type',
  's.data_category': 'data_category',
  's.data_classification': 'data_classification',
  's.update_frequency_unit': 'update_frequency_unit',
  's.geo_coverage': 'geo_coverage',
  's.state': 'state',
};

/** The lookups (organisation names → ids and the like) a plan needs before it can run. */
export function lookups(node: MemNode, out: Array<Extract<MemNode, { k: 'ownerSet' | 'groupSet' }>> = []): typeof out {
  if (node.k === 'ownerSet' || node.k === 'groupSet') out.push(node);
  else if (node.k === 'and' || node.k === 'or') for (const x of node.items) lookups(x, out);
  else if (node.k === 'not') lookups(node.item, out);
  return out;
}

/** Sets computed for one catalog version, so repeated filters and visibility classes cost nothing. */
export class SetCache {
  private map = new Map<string, Bits>();
  private version = -1;
  private catalog: MemCatalog | null = null;
  private readonly limit: number;
  constructor(limit = 64) {
    this.limit = limit;
  }
  get(cat: MemCatalog, key: string, make: () => Bits): Bits {
    if (cat.version !== this.version || cat !== this.catalog) {
      this.map.clear();
      this.version = cat.version;
      this.catalog = cat;
    }
    let b = this.map.get(key);
    if (b) {
      this.map.delete(key);
      this.map.set(key, b);
      return b;
    }
    b = keep(make());
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, b);
    return b;
  }
}

function scan(cat: MemCatalog, test: (r: number) => boolean): Bits {
  const out = empty(cat.n);
  for (let r = 0; r < cat.n; r++) if (test(r)) set(out, r);
  return out;
}

function codesWhere(values: string[], test: (v: string) => boolean): Set<number> {
  const s = new Set<number>();
  values.forEach((v, i) => test(v) && s.add(i));
  return s;
}

function listScan(cat: MemCatalog, col: ListColumn, codeSet: Set<number>, anyElement: boolean): Bits {
  const { start, vals } = cat.lists[col];
  const codes = new Uint8Array(col === 'group_ids' ? cat.uuid.values.length : cat.text.values.length);
  for (const c of codeSet) if (c >= 0) codes[c] = 1;
  const out = empty(cat.n);
  for (let r = 0; r < cat.n; r++) {
    const from = start[r]!;
    const to = start[r + 1]!;
    if (anyElement) {
      if (to > from) set(out, r);
      continue;
    }
    for (let i = from; i < to; i++)
      if (codes[vals[i]!]) {
        set(out, r);
        break;
      }
  }
  return out;
}

function leafBits(cat: MemCatalog, node: MemNode, ts: TsContext): Bits {
  switch (node.k) {
    case 'const':
      return node.v ? full(cat.n) : empty(cat.n);
    case 'text':
      return evaluate(parseTsquery(node.tsq), ts);
    case 'eq': {
      const column = cat.scalar[node.col];
      if (node.prefix) {
        const codes = codesWhere(cat.text.values, node.value === '' ? (v) => v !== '' : (v) => v.startsWith(node.value));
        return scan(cat, (r) => codes.has(column[r]!));
      }
      const code = cat.text.codes.get(node.value);
      const out = empty(cat.n);
      if (code !== undefined) for (let r = 0; r < cat.n; r++) if (column[r] === code) set(out, r);
      return out;
    }
    case 'has': {
      if (node.prefix && node.value === '') return listScan(cat, node.col, new Set(), true);
      const codes = node.prefix ? codesWhere(cat.text.values, (v) => v.startsWith(node.value)) : new Set([cat.text.codes.get(node.value) ?? -2]);
      return listScan(cat, node.col, codes, false);
    }
    case 'name':
      return scan(cat, node.prefix ? (node.value === '' ? (r) => cat.name[r] !== '' : (r) => cat.name[r]!.startsWith(node.value)) : (r) => cat.name[r] === node.value);
    case 'uuid': {
      if (node.col === 'id') {
        const out = empty(cat.n);
        const ord = cat.ordOf.get(node.value);
        if (ord !== undefined) set(out, ord);
        return out;
      }
      const code = cat.uuid.codes.get(node.value);
      const out = empty(cat.n);
      const owner = cat.owner;
      if (code !== undefined) for (let r = 0; r < cat.n; r++) if (owner[r] === code) set(out, r);
      return out;
    }
    case 'ownerSet': {
      const wanted = new Uint8Array(cat.uuid.values.length);
      for (const id of node.ids ?? []) {
        const c = cat.uuid.codes.get(id);
        if (c !== undefined) wanted[c] = 1;
      }
      const out = empty(cat.n);
      const owner = cat.owner;
      for (let r = 0; r < cat.n; r++) if (owner[r]! >= 0 && wanted[owner[r]!]) set(out, r);
      return out;
    }
    case 'groupSet':
      return listScan(cat, 'group_ids', new Set((node.ids ?? []).map((id) => cat.uuid.codes.get(id) ?? -2)), false);
    case 'notNull':
      return scan(cat, (r) => cat.owner[r] !== -1);
    case 'private':
      return scan(cat, (r) => (cat.private[r] === 1) === node.v);
    case 'time': {
      const col = node.col === 'modified' ? cat.modified : cat.created;
      const us = node.us;
      const test = node.op === '>=' ? (r: number) => col[r]! >= us : node.op === '>' ? (r: number) => col[r]! > us : node.op === '<=' ? (r: number) => col[r]! <= us : (r: number) => col[r]! < us;
      return scan(cat, test);
    }
    default:
      throw new Error(`not a leaf: ${node.k}`);
  }
}

const leafKey = (node: MemNode): string => JSON.stringify(node, (k, v) => (k === 'query' ? undefined : v));

/** The rows (live or not: callers intersect with visibility, which holds only live rows) matching `node`. */
export function evaluateNode(cat: MemCatalog, node: MemNode, cache: SetCache, ts: TsContext): Bits {
  switch (node.k) {
    case 'and': {
      const [first, ...rest] = node.items;
      const out = copy(evaluateNode(cat, first!, cache, ts));
      for (const x of rest) andInPlace(out, evaluateNode(cat, x, cache, ts));
      return out;
    }
    case 'or': {
      const out = empty(cat.n);
      for (const x of node.items) orInPlace(out, evaluateNode(cat, x, cache, ts));
      return out;
    }
    case 'not':
      return not(evaluateNode(cat, node.item, cache, ts), cat.n);
    default:
      return cache.get(cat, leafKey(node), () => leafBits(cat, node, ts));
  }
}

/** The live rows a visibility rule lets through. */
export function visibleBits(cat: MemCatalog, rule: VisibilityRule): Bits {
  const code = (v: string) => cat.text.codes.get(v) ?? -2;
  const stateCol = cat.scalar.state;
  const category = cat.scalar.data_category;
  const active = code('active');
  const pub = rule.kind === 'states' ? -2 : code(rule.publicCategory);
  const openToAll = (r: number) => stateCol[r] === active && cat.private[r] === 0 && category[r] === pub;
  if (rule.kind === 'open') return scan(cat, (r) => cat.live[r] === 1 && openToAll(r));
  const states = new Set(rule.states.map(code));
  if (rule.kind === 'states') return scan(cat, (r) => cat.live[r] === 1 && states.has(stateCol[r]!) && !(rule.excludePrivate && cat.private[r] === 1));
  const orgs = (ids: string[]) => new Set(ids.map((id) => cat.uuid.codes.get(id) ?? -2));
  const read = orgs(rule.readOrgs);
  const sensitive = orgs(rule.sensitiveOrgs);
  const edit = orgs(rule.editOrgs);
  const nonSensitive = new Set(rule.nonSensitive.map(code));
  const ords = (ids: string[]) => new Set(ids.map((id) => cat.ordOf.get(id) ?? -2));
  const granted = ords(rule.granted);
  const collaborator = ords(rule.collaborator);
  const editor = ords(rule.collaboratorEditor);
  return scan(cat, (r) => {
    if (cat.live[r] !== 1 || !states.has(stateCol[r]!)) return false;
    if (openToAll(r)) return true;
    const org = cat.owner[r]!;
    const isActive = stateCol[r] === active;
    if (read.has(org) && (nonSensitive.has(category[r]!) || sensitive.has(org)) && (isActive || edit.has(org))) return true;
    if (granted.has(r) && isActive) return true;
    return collaborator.has(r) && (isActive || editor.has(r));
  });
}
