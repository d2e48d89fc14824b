import type { FastifyInstance } from 'fastify';
import { html, safeHref, type Html } from '../html.ts';
import { call, may, page, render, type PageCtx, type Web } from '../context.ts';
import { formatNumber, richText } from '../format.ts';
import { datasetList, searchForm } from '../components/datasets.ts';
import { groupCards } from '../components/groups.ts';
import { pagination } from '../components/pagination.ts';
import type { GroupDict, SearchResult } from '../components/types.ts';
import { isImageUrl } from '../../standard/values.ts';
import { chips, facetBlock, FACETS, filterQuery, loosenedNotice, readFilters, SORTS, urlFor, type State } from './search.ts';
import type { LoosenedTerm } from '../../search/expand.ts';

type Kind = 'organization' | 'group';
const PER_PAGE = 20;

/** Organisations as the tree they form (ministry → department → division). */
function orgTree(p: PageCtx, list: GroupDict[]): Html {
  const byParent = new Map<string, GroupDict[]>();
  const ids = new Set(list.map((g) => g.id));
  for (const g of list) {
    const parent = g.parent_id && ids.has(g.parent_id) ? g.parent_id : '';
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent)!.push(g);
  }
  const branch = (parent: string, depth: number): Html => {
    const children = byParent.get(parent) ?? [];
    if (!children.length || depth > 10) return html``;
    return html`<ul class="${depth ? 'tree-children' : 'tree'}">${children.map((g) => html`<li>
      <a href="/organization/${encodeURIComponent(g.name)}">${g.title || g.name}</a>
      <span class="count">${p.t('org.dataset_count', { n: formatNumber(p.lang, Number(g.package_count ?? 0)) })}</span>
      ${branch(g.id, depth + 1)}
    </li>`)}</ul>`;
  };
  return branch('', 0);
}

function listPage(kind: Kind) {
  return async (p: PageCtx) => {
    const { t } = p;
    // A ministry counts its departments' datasets too (each organisation of the tree its own subtree).
    const list = await call<GroupDict[]>(p, `${kind}_list`, { all_fields: true, limit: 1000, sort: 'title asc', ...(kind === 'organization' ? { include_children: true } : {}) });
    const title = t(kind === 'organization' ? 'nav.organizations' : 'nav.groups');
    const body = html`<h1>${title}</h1>
      <p class="lead">${t(kind === 'organization' ? 'org.lead' : 'group.lead')}</p>
      ${may(p, `${kind}_create`) ? html`<p><a class="button" href="/ckan-admin/${kind}/new">${t(kind === 'organization' ? 'org.add' : 'group.add')}</a></p>` : ''}
      ${kind === 'organization' ? (list.length ? orgTree(p, list) : html`<p class="empty">${t('org.none')}</p>`) : groupCards(p, list, 'group')}`;
    return render(p, title, body, { breadcrumbs: [[title]] });
  };
}

function readPage(kind: Kind) {
  return async (p: PageCtx) => {
    const { t, lang } = p;
    const { id } = p.req.params as { id: string };
    const query = p.req.query as Record<string, unknown>;
    // Organisation pages include the organisations below by default (?include_children=false: this one only).
    const rollUp = kind === 'organization' && query.include_children !== 'false';
    const g = await call<GroupDict>(p, `${kind}_show`, { id, ...(rollUp ? { include_children: true } : {}) });
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 500) : '';
    const pageNo = Math.min(Math.max(1, Number.parseInt(String(query.page ?? '1'), 10) || 1), 1000);
    const fq = `${kind === 'organization' ? 'organization' : 'groups'}:"${String(g.name).replace(/["\\]/g, '\\$&')}"`;
    // Faceted as the catalog's search, within this organisation or group (its links keep the page's own scope).
    const base = `/${kind}/${encodeURIComponent(g.name)}`;
    const s: State = { q, sort: SORTS[0]![0], page: pageNo, filters: readFilters(query), base, fixed: kind === 'organization' && !rollUp ? { include_children: 'false' } : {} };
    const filters = filterQuery(s.filters);
    const result = await call<SearchResult>(p, 'package_search', {
      q, fq: filters ? `${fq} ${filters}` : fq, rows: PER_PAGE, start: (pageNo - 1) * PER_PAGE, include_private: p.actor.kind === 'user', ...(rollUp ? { include_children: true } : {}),
      'facet.field': JSON.stringify(FACETS), 'facet.limit': 50,
    });
    const facets = result.search_facets ?? {};
    // Working copies (drafts) of the organisation, for those who may edit its datasets.
    const drafts = kind === 'organization' && may(p, 'package_update', { owner_org: g.id })
      ? (await call<SearchResult>(p, 'package_search', { fq: `${fq} AND state:draft`, include_drafts: true, include_private: true, sort: 'metadata_modified desc', rows: 50 })).results
      : [];
    const parent = g.parent as GroupDict | null;
    const children = (g.children ?? []) as GroupDict[];
    const scope = kind === 'organization' && children.length
      ? html`<p class="scope-toggle">${rollUp
          ? html`${t('org.with_children')} · <a href="${urlFor(s, { fixed: { include_children: 'false' }, page: 1 })}">${t('org.only_this')}</a>`
          : html`${t('org.only_this_shown')} · <a href="${urlFor(s, { fixed: {}, page: 1 })}">${t('org.include_children')}</a>`}</p>`
      : '';
    const manage = kind === 'organization' && may(p, 'organization_member_create', g);
    const listTitle = t(kind === 'organization' ? 'nav.organizations' : 'nav.groups');
    const body = html`
      <div class="with-sidebar">
        <div class="main-col">
          <h1>${g.title || g.name}</h1>
          ${g.description ? richText(g.description) : ''}
          ${searchForm(p, q, 'group-q', [...Object.entries(s.fixed ?? {}), ...FACETS.flatMap((f) => s.filters[f].map((v) => [f, v] as [string, string]))], base)}
          ${scope}
          <p class="results-count" role="status">${t('search.results', { n: formatNumber(lang, result.count) })}</p>
          ${chips(p, s, facets)}
          ${loosenedNotice(p, result as SearchResult & { search_loosened?: LoosenedTerm[] })}
          ${datasetList(p, result.results)}
          ${pagination(p, pageNo, Math.ceil(result.count / PER_PAGE), (n) => urlFor(s, { page: n }))}
          ${drafts.length ? html`<section aria-labelledby="org-drafts"><h2 id="org-drafts">${t('org.drafts')}</h2>${datasetList(p, drafts, { compact: true, headingLevel: 3 })}</section>` : ''}
        </div>
        <aside class="sidebar" aria-label="${t('org.about')}">
          ${g.image_url && isImageUrl(g.image_url) ? html`<img src="${safeHref(g.image_url)}" alt="" class="group-logo">` : ''}
          ${kind === 'organization' ? html`<section><h2>${t('org.hierarchy')}</h2>
            ${parent ? html`<p>${t('org.parent')}: <a href="/organization/${encodeURIComponent(parent.name)}">${parent.title || parent.name}</a></p>` : html`<p class="muted">${t('org.top_level')}</p>`}
            ${children.length ? html`<p>${t('org.children')}:</p><ul class="plain">${children.map((c) => html`<li><a href="/organization/${encodeURIComponent(c.name)}">${c.title || c.name}</a></li>`)}</ul>` : ''}
          </section>` : ''}
          <section><h2>${t('org.datasets')}</h2><p>${formatNumber(lang, Number(g.package_count ?? result.count))}</p></section>
          ${kind === 'organization' && may(p, 'package_create', { owner_org: g.id }) ? html`<section><p><a class="button" href="/dataset/new?owner_org=${encodeURIComponent(g.name)}">${t('dataset.add')}</a></p></section>` : ''}
          ${kind === 'organization' ? html`<section><h2>${t('quality.section')}</h2><ul class="plain">
            <li><a href="/organization/${encodeURIComponent(g.name)}/quality">${t('quality.scores')}</a></li>
            <li><a href="/organization/${encodeURIComponent(g.name)}/oit">${t('quality.oit')}</a></li>
          </ul></section>` : ''}
          ${manage ? html`<section><h2>${t('dataset.manage')}</h2><ul class="plain">
            <li><a href="/organization/members/${encodeURIComponent(g.name)}">${t('admin.members')}</a></li>
            <li><a href="/organization/edit/${encodeURIComponent(g.name)}">${t('org.edit')}</a></li>
          </ul></section>` : ''}
          <div class="facets" role="group" aria-label="${t('search.filters')}">${FACETS.map((f) => facetBlock(p, s, f, facets[f]?.items ?? []))}</div>
        </aside>
      </div>`;
    const crumbs: Array<[string, string?]> = [[listTitle, `/${kind}`]];
    if (parent) crumbs.push([parent.title || parent.name, `/organization/${encodeURIComponent(parent.name)}`]);
    crumbs.push([g.title || g.name]);
    return render(p, g.title || g.name, body, { breadcrumbs: crumbs });
  };
}

export function groupRoutes(app: FastifyInstance, web: Web): void {
  app.get('/organization', page(web, listPage('organization')));
  app.get('/group', page(web, listPage('group')));
  app.get('/organization/:id', page(web, readPage('organization')));
  app.get('/group/:id', page(web, readPage('group')));
}
