import { html, type Html } from '../html.ts';
import { may, type PageCtx } from '../context.ts';
import { summary, timeEl } from '../format.ts';
import { currentStandard } from '../../standard/index.ts';
import type { PackageDict } from './types.ts';

/** Badges that say at a glance what kind of entry this is: open or shared data, private, draft. */
export function datasetBadges(p: PageCtx, d: PackageDict): Html {
  const { t } = p;
  const std = currentStandard();
  const open = d.access?.open_data === true;
  return html`<span class="badges">
    ${d.data_type ? html`<span class="badge badge-type">${std.codeLabel('data_type', d.data_type, p.lang)}</span>` : ''}
    ${open ? html`<span class="badge badge-open">${t('dataset.open_data')}</span>` : d.data_category && d.data_category !== std.rules.public_category ? html`<span class="badge badge-shared">${t('dataset.shared_data')}</span>` : ''}
    ${d.private ? html`<span class="badge badge-private">${t('dataset.private')}</span>` : ''}
    ${d.state === 'draft' ? html`<span class="badge badge-draft">${t('dataset.draft')}</span>` : ''}
    ${d.state === 'deleted' ? html`<span class="badge badge-deleted">${t('dataset.deleted')}</span>` : ''}
  </span>`;
}

function formats(d: PackageDict): string[] {
  const out = new Set<string>();
  for (const r of (d.resources ?? []) as Array<Record<string, unknown>>) if (typeof r.format === 'string' && r.format) out.add(r.format.toUpperCase());
  return [...out];
}

export interface ListOptions {
  compact?: boolean;
  headingLevel?: 2 | 3;
}

export function datasetList(p: PageCtx, list: PackageDict[], opts: ListOptions = {}): Html {
  const { t } = p;
  if (!list.length) return html`<p class="empty">${t('search.none')}</p>`;
  const h = opts.headingLevel ?? 2;
  return html`<ul class="dataset-list${opts.compact ? ' compact' : ''}">${list.map((d) => {
    const link = html`<a href="/dataset/${encodeURIComponent(d.name)}">${d.title || d.name}</a>`;
    return html`<li class="dataset-item">
      ${h === 2 ? html`<h2 class="dataset-title">${link}</h2>` : html`<h3 class="dataset-title">${link}</h3>`}
      ${datasetBadges(p, d)}
      ${opts.compact ? '' : html`<p class="dataset-notes">${summary(d.notes)}</p>`}
      <p class="dataset-meta">
        ${d.organization ? html`<span>${d.organization.title || d.organization.name}</span>` : ''}
        <span>${t('dataset.modified')} ${timeEl(p.lang, d.metadata_modified)}</span>
        ${opts.compact ? '' : formats(d).map((f) => html`<span class="format" data-format="${f}">${f}</span>`)}
      </p>
    </li>`;
  })}</ul>`;
}

/** The search box: a GET form, so it works without JavaScript and results have their own URL. */
/** `action`: where the search goes (an organisation's or group's page searches its own datasets). */
export function searchForm(p: PageCtx, q: string, id = 'q', hidden: Array<[string, string]> = [], action = '/dataset'): Html {
  const { t } = p;
  return html`<form class="search-form" role="search" method="get" action="${action}">
    <label for="${id}" class="visually-hidden">${t('search.label')}</label>
    <input id="${id}" type="search" name="q" value="${q}" placeholder="${t('search.placeholder')}" autocomplete="off">
    ${hidden.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
    <button type="submit">${t('search.submit')}</button>
  </form>`;
}

/** "Add dataset" where CKAN users look for it, for those who may add one somewhere (or must create an organisation first). */
export function addDatasetLink(p: PageCtx, ownerOrg?: string): Html {
  if (!may(p, 'package_create_somewhere')) return html``;
  const href = ownerOrg ? `/dataset/new?owner_org=${encodeURIComponent(ownerOrg)}` : '/dataset/new';
  const importHref = ownerOrg ? `/dataset/import?owner_org=${encodeURIComponent(ownerOrg)}` : '/dataset/import';
  return html`<p class="add-dataset"><a class="button" href="${href}">${p.t('dataset.add')}</a> <a class="button secondary" href="${importHref}">${p.t('dataset.import_excel')}</a></p>`;
}
