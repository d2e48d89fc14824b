import crypto from 'node:crypto';
import type { Tx } from '../store/db.ts';
import type { GroupRow } from '../store/schema.ts';
import { ErrorBag, type Msg } from '../actions/errors.ts';
import { M } from '../standard/messages.ts';
import { validateSlug } from '../standard/validate.ts';
import { readText } from '../standard/values.ts';
import { UUID } from '../actions/datasets/load.ts';

/** An organisation or group the import will create, because a record names one that does not exist. */
export interface PlannedGroup {
  id: string;
  name: string;
  title: string;
  description: string;
  isOrganization: boolean;
  /** Created only if a record that uses it is imported. */
  used: boolean;
}

export type GroupChoice = { id: string; planned?: PlannedGroup };

/**
 * Resolves organisation and group references of a whole batch with one query. Names are unique
 * across organisations and groups, so a name taken by the other kind cannot be created either.
 */
export class GroupDirectory {
  private readonly byName = new Map<string, GroupRow>();
  private readonly byId = new Map<string, GroupRow>();
  readonly planned = new Map<string, PlannedGroup>();

  static async load(db: Tx, refs: Iterable<string>): Promise<GroupDirectory> {
    const dir = new GroupDirectory();
    const names = new Set<string>();
    const ids = new Set<string>();
    for (const r of refs) (UUID.test(r) ? ids.add(r.toLowerCase()) : names.add(r));
    if (names.size || ids.size) {
      const rows = await db
        .selectFrom('groups')
        .selectAll()
        .where((eb) => eb.or([...(names.size ? [eb('name', 'in', [...names])] : []), ...(ids.size ? [eb('id', 'in', [...ids])] : [])]))
        .execute();
      for (const g of rows) {
        dir.byName.set(g.name, g);
        dir.byId.set(g.id, g);
      }
    }
    return dir;
  }

  /** An active group of this kind by id or name. */
  find(ref: string, isOrganization: boolean): GroupRow | undefined {
    const g = UUID.test(ref) ? this.byId.get(ref.toLowerCase()) : this.byName.get(ref);
    return g && g.is_organization === isOrganization && g.state === 'active' ? g : undefined;
  }

  /** Plans a new organisation or group; returns why it cannot be created otherwise. */
  plan(dict: { name: unknown; id?: unknown; title?: unknown; description?: unknown }, isOrganization: boolean): PlannedGroup | Msg {
    const bag = new ErrorBag();
    const name = validateSlug(dict.name, bag);
    if (!name) return isOrganization ? M.orgNotFound() : M.groupNotFound(String(dict.name ?? ''));
    const known = this.planned.get(name);
    if (known) return known.isOrganization === isOrganization ? known : M.groupNotFound(name);
    if (this.byName.has(name)) return isOrganization ? M.orgNotFound() : M.groupNotFound(name);
    const title = readText(dict.title, 'title', bag, { max: 500, strict: true })?.trim() || name;
    const description = readText(dict.description, 'description', bag, { max: 20000 }) ?? '';
    // Keep the source catalog's id when it is free here, so harvesters can match the two.
    const sourceId = typeof dict.id === 'string' && UUID.test(dict.id) ? dict.id.toLowerCase() : undefined;
    const taken = sourceId && (this.byId.has(sourceId) || [...this.planned.values()].some((p) => p.id === sourceId));
    const p: PlannedGroup = { id: sourceId && !taken ? sourceId : crypto.randomUUID(), name, title, description, isOrganization, used: false };
    this.planned.set(name, p);
    return p;
  }
}

/** Every organisation and group reference a record makes, for GroupDirectory.load. */
export function groupRefsOf(record: Record<string, unknown>): string[] {
  const refs: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.trim()) refs.push(v.trim());
  };
  add(record.owner_org);
  const org = record.organization;
  if (org && typeof org === 'object') {
    add((org as Record<string, unknown>).name);
    add((org as Record<string, unknown>).id);
  }
  if (Array.isArray(record.groups)) {
    for (const g of record.groups) {
      if (typeof g === 'string') add(g);
      else if (g && typeof g === 'object') {
        add((g as Record<string, unknown>).name);
        add((g as Record<string, unknown>).id);
      }
    }
  }
  return refs;
}

/**
 * The owning organisation of a record: an existing one it names; else the import's default;
 * else the one its organization dict describes, created if the caller may create organisations.
 */
export function chooseOrganization(dir: GroupDirectory, record: Record<string, unknown>, fallback: GroupRow | undefined, mayCreate: boolean): GroupChoice | Msg {
  const dict = record.organization && typeof record.organization === 'object' ? (record.organization as Record<string, unknown>) : undefined;
  const refs = [record.owner_org, dict?.name, dict?.id].filter((r): r is string => typeof r === 'string' && r.trim() !== '').map((r) => r.trim());
  for (const ref of refs) {
    const g = dir.find(ref, true);
    if (g) return { id: g.id };
  }
  if (fallback) return { id: fallback.id };
  if (dict && dict.name !== undefined && mayCreate) {
    const p = dir.plan(dict as { name: unknown }, true);
    return 'th' in p ? p : { id: p.id, planned: p };
  }
  return refs.length ? M.orgNotFound() : M.missing();
}

/** The theme groups of a record by reference; missing ones are planned when the caller may create groups. */
export function chooseGroups(dir: GroupDirectory, refs: string[], source: unknown, mayCreate: boolean, bag: ErrorBag): GroupChoice[] {
  const dicts = new Map<string, Record<string, unknown>>();
  if (Array.isArray(source)) for (const g of source) if (g && typeof g === 'object' && typeof (g as Record<string, unknown>).name === 'string') dicts.set((g as Record<string, string>).name, g as Record<string, unknown>);
  const out: GroupChoice[] = [];
  for (const ref of refs) {
    const g = dir.find(ref, false);
    if (g) {
      if (!out.some((o) => o.id === g.id)) out.push({ id: g.id });
      continue;
    }
    if (!mayCreate || UUID.test(ref)) {
      bag.add('groups', M.groupNotFound(ref));
      continue;
    }
    const p = dir.plan({ ...(dicts.get(ref) ?? {}), name: ref }, false);
    if ('th' in p) bag.add('groups', p);
    else if (!out.some((o) => o.id === p.id)) out.push({ id: p.id, planned: p });
  }
  return out;
}
