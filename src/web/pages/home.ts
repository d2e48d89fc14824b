import type { FastifyInstance } from 'fastify';
import { html } from '../html.ts';
import { siteName } from '../layout.ts';
import { call, page, redirect, render, safeLocal, type PageCtx, type Web } from '../context.ts';
import { formatNumber } from '../format.ts';
import { addDatasetLink, datasetList, searchForm } from '../components/datasets.ts';
import { groupCards } from '../components/groups.ts';
import type { GroupDict, PackageDict, SearchResult } from '../components/types.ts';
import { currentStandard } from '../../standard/index.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { catalogHead } from '../../search/result-cache.ts';

/** A list that must not break the home page when one part fails (e.g. a sort the search does not know). */
async function newest(p: PageCtx, sort: string): Promise<PackageDict[]> {
  try {
    return (await call<SearchResult>(p, 'package_search', { rows: 5, sort }, ANONYMOUS)).results;
  } catch {
    return [];
  }
}

interface HomeData {
  count: number;
  recent: PackageDict[];
  popular: PackageDict[];
  orgs: GroupDict[];
  groups: GroupDict[];
}

/** The public front page: what anyone may see, asked as an anonymous caller (CKAN's home shows no private entries either). */
async function homeData(p: PageCtx): Promise<HomeData> {
  const [all, recent, popular, orgs, groups] = await Promise.all([
    call<SearchResult>(p, 'package_search', { rows: 0 }, ANONYMOUS),
    newest(p, 'metadata_created desc'),
    newest(p, 'views_recent desc'),
    // Tiles count a ministry's departments too, as its own page does.
    call<GroupDict[]>(p, 'organization_list', { all_fields: true, sort: 'package_count desc', limit: 1000, include_children: true }, ANONYMOUS),
    call<GroupDict[]>(p, 'group_list', { all_fields: true, sort: 'package_count desc', limit: 1000 }, ANONYMOUS),
  ]);
  return { count: all.count, recent, popular, orgs, groups };
}

export function homeRoutes(app: FastifyInstance, web: Web): void {
  app.get('/', page(web, async (p) => {
    const { t, lang } = p;
    // Everyone sees the same public front page: its data is shared for a minute, or until the next
    // committed change to the database (its snapshot), so a new dataset shows at once.
    const head = await catalogHead(p.services.store.db);
    const { count, recent, popular, orgs, groups } = await p.web.publicCache.get(`home|${head}`, () => homeData(p));
    const std = currentStandard();
    const body = html`
      <section class="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">${siteName(p)}</h1>
        <p class="lead">${t('home.lead')}</p>
        ${searchForm(p, '', 'home-q')}
        ${addDatasetLink(p)}
        <p class="popular-types">${t('home.browse_type')}
          ${std.file.data_types.map((d) => html`<a class="chip" href="/dataset?data_type=${encodeURIComponent(d.value)}">${d.label[lang]}</a>`)}
        </p>
      </section>
      <section aria-labelledby="stats-title" class="stats">
        <h2 id="stats-title" class="visually-hidden">${t('home.stats')}</h2>
        <ul>
          <li><a href="/dataset"><strong>${formatNumber(lang, count)}</strong> ${t('home.count_datasets')}</a></li>
          <li><a href="/organization"><strong>${formatNumber(lang, orgs.length)}</strong> ${t('home.count_orgs')}</a></li>
          <li><a href="/group"><strong>${formatNumber(lang, groups.length)}</strong> ${t('home.count_groups')}</a></li>
        </ul>
      </section>
      <div class="columns">
        <section aria-labelledby="newest-title">
          <h2 id="newest-title">${t('home.newest')}</h2>
          ${datasetList(p, recent, { compact: true, headingLevel: 3 })}
          <p><a href="/dataset?sort=${encodeURIComponent('metadata_created desc')}">${t('home.more_newest')}</a></p>
        </section>
        <section aria-labelledby="popular-title">
          <h2 id="popular-title">${t('home.popular')}</h2>
          ${datasetList(p, popular, { compact: true, headingLevel: 3 })}
          <p><a href="/dataset?sort=${encodeURIComponent('views_recent desc')}">${t('home.more_popular')}</a></p>
        </section>
      </div>
      <section aria-labelledby="orgs-title">
        <h2 id="orgs-title">${t('nav.organizations')}</h2>
        ${groupCards(p, orgs.slice(0, 6), 'organization', 3)}
        <p><a href="/organization">${t('home.all_orgs')}</a></p>
      </section>
      <section aria-labelledby="groups-title">
        <h2 id="groups-title">${t('nav.groups')}</h2>
        ${groupCards(p, groups.slice(0, 6), 'group', 3)}
        <p><a href="/group">${t('home.all_groups')}</a></p>
      </section>`;
    return render(p, '', body);
  }));

  app.get('/about', page(web, async (p) => {
    const { t } = p;
    const std = currentStandard();
    return render(p, t('about.title'), html`<h1>${t('about.title')}</h1>
      <p>${t('about.body')}</p>
      <p>${t('about.standard', { name: std.file.title[p.lang] })}</p>
      <p>${t('about.api')} <a href="/api/3/action/status_show">/api/3/action/status_show</a></p>`, { breadcrumbs: [[t('about.title')]] });
  }));

  // The language switch is a link, so it works without JavaScript; the choice lasts a year.
  app.get('/lang/:lang', page(web, async (p) => {
    const lang = (p.req.params as { lang: string }).lang === 'en' ? 'en' : 'th';
    p.reply.setCookie('lang', lang, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86400 });
    return redirect(p, safeLocal((p.req.query as Record<string, unknown>).next, '/', p.services.config.siteUrl));
  }));
}
