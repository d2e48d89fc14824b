import { html, type Html } from '../html.ts';
import { may, type PageCtx } from '../context.ts';
import { timeEl } from '../format.ts';
import { datasetBadges } from './datasets.ts';
import type { PackageDict } from './types.ts';

export type DatasetTab = 'read' | 'activity' | 'edit' | 'resources' | 'groups';

export function canEdit(p: PageCtx, d: PackageDict): boolean {
  return may(p, 'package_update', { owner_org: d.owner_org, state: d.state, creator_user_id: d.creator_user_id });
}

export function datasetCrumbs(p: PageCtx, d: PackageDict, ...more: Array<[string, string?]>): Array<[string, string?]> {
  const out: Array<[string, string?]> = [[p.t('nav.datasets'), '/dataset']];
  if (d.organization) out.push([d.organization.title || d.organization.name, `/organization/${encodeURIComponent(d.organization.name)}`]);
  out.push([d.title || d.name, more.length ? `/dataset/${encodeURIComponent(d.name)}` : undefined]);
  return [...out, ...more];
}

/** Title, badges and the dataset's tabs, shared by its pages. */
export function datasetHeader(p: PageCtx, d: PackageDict, tab: DatasetTab, headingLevel: 1 | 2 = 1): Html {
  const { t } = p;
  const base = `/dataset/${encodeURIComponent(d.name)}`;
  const tabLink = (key: DatasetTab, href: string, label: string) =>
    html`<li><a href="${href}"${tab === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  const edit = canEdit(p, d);
  return html`<header class="dataset-header">
    ${headingLevel === 1 ? html`<h1>${d.title || d.name}</h1>` : html`<p class="h1">${d.title || d.name}</p>`}
    ${datasetBadges(p, d)}
    <p class="dataset-meta">
      ${d.organization ? html`<span>${t('dataset.by')} <a href="/organization/${encodeURIComponent(d.organization.name)}">${d.organization.title || d.organization.name}</a></span>` : ''}
      <span>${t('dataset.modified')} ${timeEl(p.lang, d.metadata_modified)}</span>
    </p>
    <nav aria-label="${t('dataset.tabs')}" class="tabs"><ul>
      ${tabLink('read', base, t('dataset.tab_read'))}
      ${tabLink('activity', `/dataset/activity/${encodeURIComponent(d.name)}`, t('dataset.tab_activity'))}
      ${edit ? tabLink('edit', `/dataset/edit/${encodeURIComponent(d.name)}`, t('dataset.tab_edit')) : ''}
      ${edit ? tabLink('resources', `/dataset/resources/${encodeURIComponent(d.name)}`, t('dataset.tab_resources')) : ''}
      ${may(p, 'group_dataset_add', { owner_org: d.owner_org }) ? tabLink('groups', `/dataset/groups/${encodeURIComponent(d.name)}`, t('groups.title')) : ''}
    </ul></nav>
  </header>`;
}
