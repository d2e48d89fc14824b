import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../html.ts';
import { call, may, page, redirect, render, signedIn, type PageCtx, type Web } from '../context.ts';
import { formatNumber, timeEl } from '../format.ts';
import { datasetBadges } from '../components/datasets.ts';
import type { GroupDict, PackageDict, SearchResult } from '../components/types.ts';
import type { MessageKey } from '../i18n/index.ts';
import { governanceWork } from './governance/work.ts';

/** Something waiting for the signed-in user: a review, an approval, a request to answer. */
export interface WorkItem {
  title: string;
  href: string;
  /** What kind of work, already in the page's language (e.g. "review"). */
  kind: string;
  since?: string | null;
}

/**
 * What waits for a user (governance cases to review, requests to answer): each provider lists the
 * caller's items through actions, so their policies decide.
 */
export const workProviders: Array<(p: PageCtx) => Promise<WorkItem[]>> = [governanceWork];

/**
 * States a dataset of mine can be in, in the order the dashboard counts them. Governance adds
 * "under review" here (a state or a flag its actions set), with its label key.
 */
export const DATASET_STATES: Array<{ state: string; label: MessageKey }> = [
  { state: 'draft', label: 'dashboard.state_draft' },
  { state: 'under_review', label: 'dashboard.state_under_review' },
  { state: 'active', label: 'dashboard.state_active' },
  { state: 'deleted', label: 'dashboard.state_deleted' },
];

const LIMIT = 50;

/** Drafts and deleted entries of the organisations I edit (the visibility SQL decides which), newest first. */
async function working(p: PageCtx, state: 'draft' | 'deleted'): Promise<PackageDict[]> {
  const r = await call<SearchResult>(p, 'package_search', {
    fq: `state:${state}`, include_drafts: state === 'draft', include_deleted: state === 'deleted', include_private: true,
    sort: 'metadata_modified desc', rows: LIMIT,
  });
  return r.results;
}

/** Mine: what I created (drafts too) and the working copies of my organisations, once each. */
async function myDatasets(p: PageCtx & { actor: { kind: 'user' } }): Promise<PackageDict[]> {
  const me = await call<Record<string, any>>(p, 'user_show', { id: p.actor.user.id, include_datasets: true });
  const seen = new Set<string>();
  const out: PackageDict[] = [];
  for (const d of [...(await working(p, 'draft')), ...((me.datasets ?? []) as PackageDict[]), ...(await working(p, 'deleted'))]) {
    if (seen.has(d.id)) continue;
    seen.add(d.id);
    out.push(d);
  }
  return out.sort((a, b) => String(b.metadata_modified).localeCompare(String(a.metadata_modified)));
}

export function stateBadge(p: PageCtx, state: string): Html {
  const known = DATASET_STATES.find((s) => s.state === state);
  return html`<span class="badge badge-state badge-${state}">${known ? p.t(known.label) : state}</span>`;
}

function datasetTable(p: PageCtx, list: PackageDict[], caption: string): Html {
  const { t, lang } = p;
  return html`<div class="table-scroll" role="region" tabindex="0" aria-label="${caption}"><table class="data">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${t('dashboard.col_title')}</th><th scope="col">${t('dashboard.col_state')}</th><th scope="col">${t('dataset.organization')}</th><th scope="col">${t('dashboard.col_modified')}</th></tr></thead>
    <tbody>${list.map((d) => html`<tr>
      <td><a href="${d.state === 'draft' ? `/dataset/edit/${encodeURIComponent(d.name)}` : `/dataset/${encodeURIComponent(d.name)}`}">${d.title || d.name}</a></td>
      <td>${stateBadge(p, String(d.state))}</td>
      <td>${d.organization ? d.organization.title || d.organization.name : '—'}</td>
      <td>${timeEl(lang, d.metadata_modified)}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

/** The "add dataset" button, or what to do first when there is nowhere to add one. */
export function addDatasetAction(p: PageCtx, orgs: GroupDict[]): Html {
  const { t } = p;
  if (orgs.length) return html`<p><a class="button" href="/dataset/new">${t('dataset.add')}</a></p>`;
  if (may(p, 'organization_create')) return html`<div class="notice" role="note"><p>${t('form.no_orgs_sysadmin')}</p><p><a class="button" href="/ckan-admin/organization/new">${t('org.add')}</a></p></div>`;
  return html``;
}

export function dashboardRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dashboard', page(web, async (p) => {
    if (!signedIn(p)) return redirect(p, '/user/login?came_from=/dashboard');
    const { t, lang } = p;
    const [mine, orgs, editable] = await Promise.all([
      myDatasets(p),
      call<GroupDict[]>(p, 'organization_list_for_user', { permission: 'read' }),
      call<GroupDict[]>(p, 'organization_list_for_user', { permission: 'create_dataset' }),
    ]);
    const work = (await Promise.all(workProviders.map((f) => f(p)))).flat();
    // A dataset with an open publication case (P1) shows as under review, the state its editors cannot change.
    const reviewing = new Set(
      (await call<{ results: Array<{ subjects: Array<{ type: string; id: string }> }> }>(p, 'case_list', { process: 'publication', open: true, limit: 200 })).results
        .flatMap((c) => c.subjects.filter((s) => s.type === 'dataset').map((s) => s.id)),
    );
    for (const d of mine) if (d.state === 'active' && reviewing.has(d.id)) d.state = 'under_review';
    const recent = orgs.length
      ? (await call<SearchResult>(p, 'package_search', {
          fq: `owner_org:(${orgs.slice(0, 50).map((o) => o.id).join(' OR ')})`, include_private: true, include_drafts: true,
          sort: 'metadata_modified desc', rows: 10,
        })).results
      : [];
    const counts = DATASET_STATES.map((s) => ({ ...s, n: mine.filter((d) => d.state === s.state).length }));
    const body = html`<h1>${t('dashboard.title')}</h1>
      <p><a href="/dashboard/lists">${t('lists.title')}</a>${p.services.config.siteKind === 'area' && editable.length ? html` · <a href="/area/reference">${t('area.reference_title')}</a>` : ''}</p>
      ${may(p, 'organization_create') || editable.length ? addDatasetAction(p, editable) : ''}
      <section aria-labelledby="dash-mine">
        <h2 id="dash-mine">${t('dashboard.my_datasets')}</h2>
        <ul class="state-counts">${counts.map((c) => html`<li>${stateBadge(p, c.state)} ${formatNumber(lang, c.n)}</li>`)}</ul>
        ${mine.length ? datasetTable(p, mine, t('dashboard.my_datasets')) : html`<p class="empty">${t('dashboard.no_datasets')}</p>`}
      </section>
      <section aria-labelledby="dash-work">
        <h2 id="dash-work">${t('dashboard.waiting')}</h2>
        ${work.length ? html`<ul class="plain">${work.map((w) => html`<li><a href="${w.href}">${w.title}</a> <span class="muted">${w.kind}${w.since ? html` · ${timeEl(lang, w.since)}` : ''}</span></li>`)}</ul>` : html`<p class="empty">${t('dashboard.nothing_waiting')}</p>`}
      </section>
      <section aria-labelledby="dash-recent">
        <h2 id="dash-recent">${t('dashboard.recent')}</h2>
        ${recent.length ? html`<ul class="plain recent-list">${recent.map((d) => html`<li>
          <a href="/dataset/${encodeURIComponent(d.name)}">${d.title || d.name}</a> ${datasetBadges(p, d)}
          <span class="muted">${d.organization ? d.organization.title || d.organization.name : ''} · ${timeEl(lang, d.metadata_modified)}</span>
          <a href="/dataset/activity/${encodeURIComponent(d.name)}" class="small">${t('dataset.tab_activity')}<span class="visually-hidden"> ${d.title || d.name}</span></a>
        </li>`)}</ul>` : html`<p class="empty">${t(orgs.length ? 'dashboard.no_recent' : 'user.no_orgs')}</p>`}
      </section>`;
    return render(p, t('dashboard.title'), body, { breadcrumbs: [[t('dashboard.title')]], noindex: true });
  }));
}
