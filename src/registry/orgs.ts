import type { ActionContext } from '../actions/context.ts';
import { findAction } from '../actions/registry.ts';
import type { HarvestSourceRow } from '../harvest/schema.ts';
import { slug } from './publish.ts';

/** Does this site give every remote organisation a local one (a registry, or a source that asks)? */
export function mapsOrganizations(ctx: ActionContext, source: HarvestSourceRow): boolean {
  const cfg = (source.config ?? {}) as Record<string, unknown>;
  if (cfg.map_organizations === false || cfg.map_organizations === 'false') return false;
  return ctx.services.config.siteKind === 'registry' || cfg.map_organizations === true || cfg.map_organizations === 'true';
}

function remoteOrg(raw: Record<string, unknown>): { key: string; title: string } {
  const o = raw.organization && typeof raw.organization === 'object' ? (raw.organization as Record<string, unknown>) : {};
  const name = typeof o.name === 'string' && o.name ? o.name : typeof raw.owner_org === 'string' && raw.owner_org ? raw.owner_org : '';
  const title = typeof o.title === 'string' && o.title ? o.title : name;
  return { key: name.slice(0, 200), title: title.slice(0, 400) };
}

/**
 * The local organisation of a harvested record: one per remote organisation of the source, created
 * below the source's owner on first sight (`registry_org_map`). Titles are unique within an
 * organisation, so two agencies' entries with the same title both arrive. A record without an
 * organisation stays with the owner.
 */
export async function mappedOrg(ctx: ActionContext, source: HarvestSourceRow, raw: Record<string, unknown>, cache: Map<string, string>): Promise<string> {
  const { key, title } = remoteOrg(raw);
  if (!key) return source.owner_org;
  const hit = cache.get(key);
  if (hit) return hit;
  const row = await ctx.db.selectFrom('registry_org_map').select('group_id').where('source_id', '=', source.id).where('remote_org', '=', key).executeTakeFirst();
  if (row) {
    cache.set(key, row.group_id);
    return row.group_id;
  }
  const owner = await ctx.db.selectFrom('groups').select(['name']).where('id', '=', source.owner_org).executeTakeFirstOrThrow();
  let name = `${owner.name.slice(0, 40)}-${slug(key, 50)}`;
  if (await ctx.db.selectFrom('groups').select('id').where('name', '=', name).executeTakeFirst()) name = `${name.slice(0, 80)}-${source.id.slice(0, 8)}`;
  const created = (await findAction('organization_create')!.run(ctx, { name, title: title || key, parent: owner.name })) as Record<string, unknown>;
  const id = created.id as string;
  await ctx.db.insertInto('registry_org_map').values({ source_id: source.id, remote_org: key, group_id: id }).execute();
  cache.set(key, id);
  return id;
}
