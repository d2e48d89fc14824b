import type { FastifyInstance } from 'fastify';
import { addDatasetLink } from '../components/datasets.ts';
import { html, type Html } from '../html.ts';
import { call, page, render, type PageCtx, type Web } from '../context.ts';
import { formatNumber } from '../format.ts';
import { datasetList, searchForm } from '../components/datasets.ts';
import { pagination } from '../components/pagination.ts';
import type { FacetItem, SearchResult } from '../components/types.ts';
import type { MessageKey } from '../i18n/index.ts';
import { currentStandard } from '../../standard/index.ts';
import type { LoosenedTerm } from '../../search/expand.ts';

/** Filters a visitor can click, in the order the sidebar shows them; each is a package_search facet. */
export const FACETS = ['organization', 'groups', 'tags', 'res_format', 'data_type', 'data_category', 'license_id'] as const;
export type Facet = (typeof FACETS)[number];
const PER_PAGE = 20;
const SHOWN = 10;

export const SORTS: Array<[string, MessageKey]> = [
  ['score desc, metadata_modified desc', 'sort.relevance'],
  ['metadata_modified desc', 'sort.modified'],
  ['metadata_created desc', 'sort.created'],
  ['title_string asc', 'sort.title_asc'],
  ['title_string desc', 'sort.title_desc'],
  ['views_recent desc', 'sort.popular'],
];

/** Facet titles come from the standard where the field is one of its fields, else from the catalogs. */
export function facetTitle(p: PageCtx, f: Facet): string {
  const std = currentStandard().datasetFields.get(f);
  return std ? std.label[p.lang] : p.t(`facet.${f}` as MessageKey);
}

function itemLabel(p: PageCtx, f: Facet, item: FacetItem): string {
  if (f === 'data_type' || f === 'data_category') return currentStandard().codeLabel(f, item.name, p.lang);
  return item.display_name || item.name;
}

type Filters = Record<Facet, string[]>;

export function readFilters(query: Record<string, unknown>): Filters {
  const out = {} as Filters;
  for (const f of FACETS) {
    const v = query[f];
    const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
    out[f] = list.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()).slice(0, 20);
  }
  return out;
}

/** CKAN filter syntax: field:"value" terms, all of which must hold. */
export function filterQuery(filters: Filters): string {
  const terms: string[] = [];
  for (const f of FACETS) for (const v of filters[f]) terms.push(`${f}:"${v.replace(/["\\]/g, '\\$&')}"`);
  return terms.join(' ');
}

/**
 * Says that a term matched nothing as typed and what is shown instead (similar spellings, or the
 * term inside longer words), as search engines do, so a look-alike is never passed off as a match.
 */
export function loosenedNotice(p: PageCtx, result: { count: number; search_loosened?: LoosenedTerm[] }): Html {
  const list = result.search_loosened ?? [];
  if (!list.length || !result.count) return html``;
  const { t, lang } = p;
  const sep = lang === 'th' ? ' ' : ', ';
  return html`<div class="notice search-loosened" role="note">${list.map(
    (l) => html`<p>${l.mode === 'partial_word' ? t('search.loosened_partial', { q: l.from }) : l.to.length ? t('search.loosened_spelling_to', { q: l.from, to: l.to.join(sep) }) : t('search.loosened_spelling', { q: l.from })}</p>`,
  )}</div>`;
}

/** A faceted search page: the catalog's (/dataset) or an organisation's or group's, whose own parameters are `fixed`. */
export interface State {
  q: string;
  sort: string;
  page: number;
  filters: Filters;
  /** The page's path (default /dataset) and the parameters every link of it keeps. */
  base?: string;
  fixed?: Record<string, string>;
}

export function urlFor(s: State, change: Partial<State> = {}): string {
  const next = { ...s, ...change };
  const base = next.base ?? '/dataset';
  const qs = new URLSearchParams(next.fixed ?? {});
  if (next.q) qs.set('q', next.q);
  for (const f of FACETS) for (const v of next.filters[f]) qs.append(f, v);
  if (next.sort && next.sort !== SORTS[0]![0]) qs.set('sort', next.sort);
  if (next.page > 1) qs.set('page', String(next.page));
  const s2 = qs.toString();
  return s2 ? `${base}?${s2}` : base;
}

function toggled(filters: Filters, f: Facet, value: string): Filters {
  const copy = { ...filters, [f]: filters[f].includes(value) ? filters[f].filter((v) => v !== value) : [...filters[f], value] };
  return copy;
}

export function facetBlock(p: PageCtx, s: State, f: Facet, items: FacetItem[]): Html {
  const { t } = p;
  if (!items.length) return html``;
  const link = (item: FacetItem) => {
    const active = s.filters[f].includes(item.name);
    return html`<li><a href="${urlFor(s, { filters: toggled(s.filters, f, item.name), page: 1 })}"${active ? html` aria-current="true" class="active"` : ''}>
      <span class="facet-label">${itemLabel(p, f, item)}</span><span class="count" aria-label="${t('search.facet_count', { n: item.count })}">${formatNumber(p.lang, item.count)}</span></a></li>`;
  };
  const first = items.slice(0, SHOWN);
  const rest = items.slice(SHOWN);
  return html`<section class="facet" aria-labelledby="facet-${f}">
    <h2 id="facet-${f}">${facetTitle(p, f)}</h2>
    <ul>${first.map(link)}</ul>
    ${rest.length ? html`<details><summary>${t('search.more_facets', { n: rest.length })}</summary><ul>${rest.map(link)}</ul></details>` : ''}
  </section>`;
}

export function chips(p: PageCtx, s: State, facets: SearchResult['search_facets']): Html {
  const { t } = p;
  const active = FACETS.flatMap((f) => s.filters[f].map((v) => [f, v] as const));
  if (!active.length) return html``;
  return html`<div class="chips" aria-label="${t('search.active_filters')}" role="group">
    ${active.map(([f, v]) => {
      const item = facets?.[f]?.items.find((i) => i.name === v) ?? { name: v, display_name: v, count: 0 };
      return html`<a class="chip chip-remove" href="${urlFor(s, { filters: toggled(s.filters, f, v), page: 1 })}">
        ${facetTitle(p, f)}: ${itemLabel(p, f, item)} <span aria-hidden="true">✕</span><span class="visually-hidden">${t('search.remove_filter')}</span></a>`;
    })}
    <a class="chip-clear" href="${urlFor(s, { filters: readFilters({}), page: 1 })}">${t('search.clear_filters')}</a>
  </div>`;
}

function sortForm(p: PageCtx, s: State): Html {
  const { t } = p;
  return html`<form method="get" action="/dataset" class="sort-form">
    ${s.q ? html`<input type="hidden" name="q" value="${s.q}">` : ''}
    ${FACETS.flatMap((f) => s.filters[f].map((v) => html`<input type="hidden" name="${f}" value="${v}">`))}
    <label for="sort">${t('search.sort')}</label>
    <select id="sort" name="sort" data-autosubmit>
      ${SORTS.map(([value, key]) => html`<option value="${value}"${value === s.sort ? html` selected` : ''}>${t(key)}</option>`)}
    </select>
    <button type="submit" class="secondary">${t('search.apply_sort')}</button>
  </form>`;
}

export function searchRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset', page(web, async (p) => {
    const { t, lang } = p;
    const query = p.req.query as Record<string, unknown>;
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 500) : '';
    const sortRaw = typeof query.sort === 'string' ? query.sort : '';
    const sort = SORTS.some(([v]) => v === sortRaw) ? sortRaw : SORTS[0]![0];
    const pageNo = Math.min(Math.max(1, Number.parseInt(String(query.page ?? '1'), 10) || 1), 1000);
    const s: State = { q, sort, page: pageNo, filters: readFilters(query) };
    const fq = filterQuery(s.filters);
    const result = await call<SearchResult & { search_loosened?: LoosenedTerm[] }>(p, 'package_search', {
      q, ...(fq ? { fq } : {}), sort, rows: PER_PAGE, start: (pageNo - 1) * PER_PAGE,
      'facet.field': JSON.stringify(FACETS), 'facet.limit': 50,
      include_private: p.actor.kind === 'user',
    });
    const facets = result.search_facets ?? {};
    const heading = q ? t('search.results_for', { n: formatNumber(lang, result.count), q }) : t('search.results', { n: formatNumber(lang, result.count) });
    const body = html`
      <h1>${t('nav.datasets')}</h1>
      ${addDatasetLink(p)}
      ${searchForm(p, q, 'q', [...(sort !== SORTS[0]![0] ? [['sort', sort] as [string, string]] : []), ...FACETS.flatMap((f) => s.filters[f].map((v) => [f, v] as [string, string]))])}
      <div class="search-layout">
        <aside class="facets" aria-label="${t('search.filters')}">
          ${FACETS.map((f) => facetBlock(p, s, f, facets[f]?.items ?? []))}
        </aside>
        <section class="results" aria-labelledby="results-heading">
          <div class="results-head">
            <p id="results-heading" class="results-count" role="status">${heading}</p>
            ${sortForm(p, s)}
          </div>
          ${chips(p, s, facets)}
          ${loosenedNotice(p, result)}
          ${datasetList(p, result.results)}
          ${pagination(p, pageNo, Math.ceil(result.count / PER_PAGE), (n) => urlFor(s, { page: n }))}
        </section>
      </div>`;
    return render(p, q ? `${q} — ${t('nav.datasets')}` : t('nav.datasets'), body, { breadcrumbs: [[t('nav.datasets')]] });
  }));
}
