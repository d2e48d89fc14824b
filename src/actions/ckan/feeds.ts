import { sql } from 'kysely';
import { defineAction } from '../registry.ts';
import { NotFoundError } from '../errors.ts';
import { visibleDatasets } from '../../access/visibility.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { findGroup } from '../datasets/load.ts';

export interface FeedEntry {
  id: string;
  name: string;
  title: string;
  notes: string;
  metadata_created: Date;
  metadata_modified: Date;
  organization: string | null;
  tags: string[];
}

export interface FeedResult {
  title: string | null;
  entries: FeedEntry[];
}

/**
 * What the Atom feeds list: always as an anonymous visitor sees the catalog, whoever asks (a feed
 * URL is shared and cached by readers), newest change first. Internal: the pages' feed routes only.
 */
export const feedDatasets = defineAction<FeedResult>({
  name: 'feed_datasets',
  readOnly: true,
  internal: true,
  summary: 'Recently changed public datasets, optionally of one organisation, group or tag (Atom feeds).',
  async run(ctx, input) {
    ctx.authorize('feed_datasets');
    const kind = input.organization !== undefined ? 'organization' : input.group !== undefined ? 'group' : input.tag !== undefined ? 'tag' : null;
    let title: string | null = null;
    let q = ctx.db
      .selectFrom('datasets as d')
      .leftJoin('groups as o', 'o.id', 'd.owner_org')
      .select(['d.id', 'd.name', 'd.title', 'd.notes', 'd.metadata_created', 'd.metadata_modified', 'd.tags', 'o.title as organization'])
      .where(visibleDatasets(ANONYMOUS, 'd'));
    if (kind === 'organization' || kind === 'group') {
      const ref = String(input[kind]);
      const g = await findGroup(ctx.db, ref, kind === 'organization');
      if (!g || g.state !== 'active') throw new NotFoundError();
      title = g.title || g.name;
      q = kind === 'organization'
        ? q.where('d.owner_org', '=', g.id)
        : q.where((eb) => eb.exists(eb.selectFrom('dataset_groups as dg').select('dg.dataset_id').whereRef('dg.dataset_id', '=', 'd.id').where('dg.group_id', '=', g.id)));
    } else if (kind === 'tag') {
      title = String(input.tag);
      q = q.where(sql<boolean>`${title} = ANY(d.tags)`);
    }
    const rows = await q.orderBy('d.metadata_modified', 'desc').limit(50).execute();
    return { title, entries: rows as FeedEntry[] };
  },
});

export interface SitemapResult {
  datasets: Array<{ name: string; modified: Date }>;
  organizations: Array<{ name: string; modified: Date }>;
  groups: Array<{ name: string; modified: Date }>;
}

/** Everything sitemap.xml lists: what an anonymous visitor may open, at most 50,000 addresses in all. */
export const sitemapEntries = defineAction<SitemapResult>({
  name: 'sitemap_entries',
  readOnly: true,
  internal: true,
  summary: 'Public datasets, organisations and groups for sitemap.xml.',
  async run(ctx) {
    ctx.authorize('sitemap_entries');
    const groups = await ctx.db.selectFrom('groups').select(['name', 'is_organization', 'created']).where('state', '=', 'active').orderBy('name').limit(10000).execute();
    const datasets = await ctx.db
      .selectFrom('datasets as d')
      .select(['d.name', 'd.metadata_modified'])
      .where(visibleDatasets(ANONYMOUS, 'd'))
      .orderBy('d.metadata_modified', 'desc')
      .limit(50000 - 10 - groups.length)
      .execute();
    return {
      datasets: datasets.map((d) => ({ name: d.name, modified: d.metadata_modified })),
      organizations: groups.filter((g) => g.is_organization).map((g) => ({ name: g.name, modified: g.created })),
      groups: groups.filter((g) => !g.is_organization).map((g) => ({ name: g.name, modified: g.created })),
    };
  },
});
