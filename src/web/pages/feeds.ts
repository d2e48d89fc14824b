import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { runAction } from '../../actions/registry.ts';
import { BadRequestError, NotFoundError, ValidationError } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import type { FeedEntry, FeedResult, SitemapResult } from '../../actions/ckan/feeds.ts';
import type { Web } from '../context.ts';

/** XML text: escaped, and without the characters XML 1.0 cannot carry at all. */
export function xmlText(s: unknown): string {
  return String(s ?? '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function iso(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function atom(site: string, selfPath: string, title: string, feed: FeedResult): string {
  const updated = feed.entries.length ? iso(feed.entries[0]!.metadata_modified) : new Date(0).toISOString();
  const entry = (e: FeedEntry) => {
    const url = `${site}/dataset/${encodeURIComponent(e.name)}`;
    return `  <entry>
    <id>urn:uuid:${e.id}</id>
    <title>${xmlText(e.title || e.name)}</title>
    <link rel="alternate" type="text/html" href="${xmlText(url)}"/>
    <updated>${iso(e.metadata_modified)}</updated>
    <published>${iso(e.metadata_created)}</published>
    <author><name>${xmlText(e.organization || site)}</name></author>
${e.tags.map((t) => `    <category term="${xmlText(t)}"/>\n`).join('')}    <summary type="text">${xmlText(e.notes.length > 1000 ? `${e.notes.slice(0, 1000)}…` : e.notes)}</summary>
  </entry>
`;
  };
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="th">
  <id>${xmlText(site + selfPath)}</id>
  <title>${xmlText(title)}</title>
  <link rel="self" type="application/atom+xml" href="${xmlText(site + selfPath)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(`${site}/dataset`)}"/>
  <updated>${updated}</updated>
${feed.entries.map(entry).join('')}</feed>
`;
}

/**
 * Atom feeds, sitemap.xml and robots.txt: for readers and crawlers, so always the anonymous view,
 * whoever is signed in (a feed URL is shared and cached). Unknown organisations, groups: 404.
 */
export function feedRoutes(app: FastifyInstance, web: Web): void {
  const site = () => web.services.config.siteUrl.replace(/\/+$/, '');
  const feed = (filter: (req: FastifyRequest) => Record<string, string>, title: (r: FeedResult) => string) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const input = filter(req);
      const result = await runAction<FeedResult>(web.services, 'feed_datasets', input, { actor: ANONYMOUS, ip: req.ip });
      const path = new URL(req.url, 'http://x').pathname;
      return reply.type('application/atom+xml; charset=utf-8').header('Cache-Control', 'public, max-age=300').send(atom(site(), path, title(result), result));
    } catch (e) {
      if (e instanceof NotFoundError) return reply.code(404).type('text/plain; charset=utf-8').send('ไม่พบ (Not found)');
      // A name the actions refuse (the input guard: NUL, control characters) is the visitor's mistake, not ours.
      if (e instanceof ValidationError || e instanceof BadRequestError) return reply.code(400).type('text/plain; charset=utf-8').send('คำขอไม่ถูกต้อง (Bad request)');
      throw e;
    }
  };
  const param = (req: FastifyRequest) => (req.params as { id: string }).id;
  app.get('/feeds/dataset.atom', feed(() => ({}), () => 'ชุดข้อมูลล่าสุด (Recent datasets)'));
  app.get('/feeds/organization/:id.atom', feed((req) => ({ organization: param(req) }), (r) => `${r.title} — ชุดข้อมูลล่าสุด`));
  app.get('/feeds/group/:id.atom', feed((req) => ({ group: param(req) }), (r) => `${r.title} — ชุดข้อมูลล่าสุด`));
  app.get('/feeds/tag/:id.atom', feed((req) => ({ tag: param(req) }), (r) => `${r.title} — ชุดข้อมูลล่าสุด`));

  app.get('/sitemap.xml', async (req, reply) => {
    const r = await runAction<SitemapResult>(web.services, 'sitemap_entries', {}, { actor: ANONYMOUS, ip: req.ip });
    const url = (path: string, modified?: Date) => `  <url><loc>${xmlText(site() + path)}</loc>${modified ? `<lastmod>${iso(modified)}</lastmod>` : ''}</url>\n`;
    const body =
      `<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n` +
      ['/', '/dataset', '/organization', '/group', '/api/3'].map((p) => url(p)).join('') +
      r.organizations.map((o) => url(`/organization/${encodeURIComponent(o.name)}`, o.modified)).join('') +
      r.groups.map((g) => url(`/group/${encodeURIComponent(g.name)}`, g.modified)).join('') +
      r.datasets.map((d) => url(`/dataset/${encodeURIComponent(d.name)}`, d.modified)).join('') +
      '</urlset>\n';
    return reply.type('application/xml; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(body);
  });

  app.get('/robots.txt', async (_req, reply) => {
    const lines = ['User-agent: *', 'Disallow: /api/', 'Disallow: /user/', 'Disallow: /dashboard', 'Disallow: /ckan-admin', 'Disallow: /*/edit', 'Disallow: /dataset/new', 'Allow: /api/3$', `Sitemap: ${site()}/sitemap.xml`, ''];
    return reply.type('text/plain; charset=utf-8').send(lines.join('\n'));
  });
}
