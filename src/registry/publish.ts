import type { ActionContext } from '../actions/context.ts';
import { findAction } from '../actions/registry.ts';
import { normalizePackage } from '../import/normalize.ts';
import { currentStandard } from '../standard/index.ts';
import type { RegistrationRow } from './schema.ts';

/** The link the national page gives back to the agency's own entry (P8). */
export const SOURCE_LINK_NAME = 'คลิกเพื่อเข้าถึงทรัพยากรข้อมูลต้นทาง';

const REMOTE_ONLY = ['id', 'owner_org', 'organization', 'groups', 'revision_id', 'relationships_as_object', 'relationships_as_subject', 'num_resources', 'num_tags', 'metadata_modified', 'metadata_created', 'creator_user_id', 'state', 'private', 'type', 'name'];

const run = (ctx: ActionContext, name: string, input: Record<string, unknown>) => findAction(name)!.run(ctx, input) as Promise<Record<string, any>>;

/** A CKAN slug from any text: lower case, [a-z0-9_-], at most `max` characters. */
export function slug(s: string, max = 100): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, max) || 'x';
}

/** The agency's own page of the entry: `<source site>/dataset/<name>`. */
export function sourceDatasetUrl(sourceUrl: string, name: string): string {
  const base = sourceUrl.replace(/\/api\/3(\/action)?\/?$/, '').replace(/\/$/, '');
  return `${base}/dataset/${encodeURIComponent(name)}`;
}

/**
 * The organisation that holds the national copies of one agency organisation: a child of the
 * mapped organisation (titles are unique within an organisation, and the harvested entry keeps
 * the agency's title in the mapped one).
 */
async function publishOrg(ctx: ActionContext, orgId: string): Promise<string> {
  const org = await ctx.db.selectFrom('groups').select(['id', 'name', 'title']).where('id', '=', orgId).executeTakeFirstOrThrow();
  const name = `${org.name.slice(0, 90)}-gdc`;
  const found = await ctx.db.selectFrom('groups').select('id').where('name', '=', name).where('is_organization', '=', true).executeTakeFirst();
  if (found) return found.id;
  const created = await run(ctx, 'organization_create', { name, title: `${org.title} (บัญชีข้อมูลภาครัฐ)`.slice(0, 500), parent: org.name });
  return created.id as string;
}

/** Creates or updates `gdpublish-<name>` from the harvested record as approved; returns its id. */
export async function publishCopy(ctx: ActionContext, reg: RegistrationRow): Promise<string> {
  const rec = await ctx.db.selectFrom('harvest_records').select('raw').where('source_id', '=', reg.source_id).where('guid', '=', reg.guid).executeTakeFirstOrThrow();
  const source = await ctx.db.selectFrom('harvest_sources').select('url').where('id', '=', reg.source_id).executeTakeFirstOrThrow();
  const raw = { ...((rec.raw as Record<string, unknown>) ?? {}) };
  for (const k of REMOTE_ONLY) delete raw[k];
  const input = normalizePackage(currentStandard(), raw);
  const resources = (Array.isArray(input.resources) ? input.resources : []).map((r) => {
    const { id: _id, package_id: _p, ...rest } = (r ?? {}) as Record<string, unknown>;
    return rest;
  });
  const link = sourceDatasetUrl(source.url, reg.remote_name || reg.remote_id);
  resources.push({ name: SOURCE_LINK_NAME, url: link, format: 'HTML', description: `ชุดข้อมูลต้นทาง: ${link}` });
  input.resources = resources;
  input.owner_org = await publishOrg(ctx, reg.org_id);
  const existing = reg.published_id ? await ctx.db.selectFrom('datasets').select(['id', 'name', 'state']).where('id', '=', reg.published_id).executeTakeFirst() : undefined;
  if (existing) {
    if (existing.state === 'deleted') await run(ctx, 'package_restore', { id: existing.id });
    await run(ctx, 'package_update', { ...input, id: existing.id, name: existing.name });
    return existing.id;
  }
  let name = `gdpublish-${slug(reg.remote_name || reg.remote_id, 90)}`;
  const taken = await ctx.db.selectFrom('datasets').select('id').where('name', '=', name).executeTakeFirst();
  if (taken) name = `${name.slice(0, 90)}-${reg.id.slice(0, 8)}`;
  const created = await run(ctx, 'package_create', { ...input, name });
  return created.id as string;
}

/** Revocation approved: the national copy leaves the directory (soft delete, history kept). */
export async function unpublishCopy(ctx: ActionContext, id: string): Promise<void> {
  const row = await ctx.db.selectFrom('datasets').select(['id', 'state']).where('id', '=', id).executeTakeFirst();
  if (row && row.state !== 'deleted') await run(ctx, 'package_delete', { id });
}
