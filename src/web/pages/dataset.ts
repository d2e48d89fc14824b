import { registryPanel } from './registry/index.ts';
import { qualityPanel } from './quality/index.ts';
import type { FastifyInstance } from 'fastify';
import { pushSection, pushStatusFor, type PushStatus } from '../components/opendata.ts';
import { html, safeHref, type Html } from '../html.ts';
import { call, form, may, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField, errorPage } from '../layout.ts';
import { formatSize, richText, summary } from '../format.ts';
import { canEdit, datasetCrumbs, datasetHeader } from '../components/dataset-header.ts';
import { metadataTable } from '../components/field-values.ts';
import type { PackageDict, ResourceDict } from '../components/types.ts';
import { mayPreview } from './resource.ts';
import { publicationBox } from './governance/publication.ts';
import { listsPanel } from './lists.ts';

export function resourceUrl(d: PackageDict, r: ResourceDict): string {
  return `/dataset/${encodeURIComponent(d.name)}/resource/${encodeURIComponent(r.id)}`;
}

/** Where the bytes are: our download route for uploads (kept relative), the link itself otherwise. */
export function downloadHref(r: ResourceDict): string {
  if (r.url_type === 'upload' && typeof r.url === 'string' && r.url) {
    const m = /\/dataset\/[^/]+\/resource\/[^/]+\/download\/[^?#]*$/.exec(r.url);
    if (m) return m[0];
  }
  return safeHref(r.url);
}

function resourceList(p: PageCtx, d: PackageDict): Html {
  const { t, lang } = p;
  const list = (d.resources ?? []) as ResourceDict[];
  if (d.access?.files === false) {
    return html`<div class="notice notice-restricted" role="note">
      <p><strong>${t('dataset.files_hidden')}</strong></p>
      <p>${t('dataset.files_hidden_help')}</p>
    </div>`;
  }
  if (!list.length) return html`<p class="empty">${t('dataset.no_resources')}</p>`;
  return html`<ul class="resource-list">${list.map((r) => {
    const format = String(r.format || '').toUpperCase();
    const upload = r.url_type === 'upload';
    return html`<li class="resource-item">
      <span class="format" data-format="${format}">${format || t('resource.no_format')}</span>
      <div class="resource-body">
        <h3><a href="${resourceUrl(d, r)}">${r.name || t('resource.unnamed')}</a></h3>
        ${r.description ? html`<p>${summary(r.description, 160)}</p>` : ''}
        ${r.size ? html`<p class="muted">${t('resource.size')}: ${formatSize(lang, r.size)}</p>` : ''}
      </div>
      <div class="resource-actions">
        <a class="button secondary" href="${resourceUrl(d, r)}">${t(mayPreview(r) ? 'resource.preview' : 'resource.details')}<span class="visually-hidden"> ${r.name}</span></a>
        ${r.url ? html`<a class="button" href="${downloadHref(r)}"${upload ? '' : html` rel="nofollow noopener"`}>${upload ? t('resource.download') : t('resource.open_link')}<span class="visually-hidden"> ${r.name}</span></a>` : ''}
      </div>
    </li>`;
  })}</ul>`;
}

function accessConditions(p: PageCtx, d: PackageDict): Html {
  const { t } = p;
  if (d.access?.open_data) return html``;
  const text = d.accessible_condition;
  return html`<section class="access" aria-labelledby="access-title">
    <h2 id="access-title">${t('dataset.access_conditions')}</h2>
    ${text ? richText(text) : html`<p>${t('dataset.access_ask_owner')}</p>`}
    ${d.maintainer_email ? html`<p>${t('dataset.contact')}: ${d.maintainer ?? ''} <a href="mailto:${d.maintainer_email}">${d.maintainer_email}</a></p>` : ''}
  </section>`;
}

function sidebar(p: PageCtx, d: PackageDict, similar: PackageDict[], push: PushStatus | null = null, mine: Html = html``): Html {
  const { t } = p;
  const groups = (d.groups ?? []) as Array<Record<string, string>>;
  return html`<aside class="sidebar" aria-label="${t('dataset.about')}">
    ${d.organization ? html`<section><h2>${t('dataset.organization')}</h2><p><a href="/organization/${encodeURIComponent(d.organization.name)}">${d.organization.title || d.organization.name}</a></p>${d.organization.description ? html`<p class="muted">${summary(d.organization.description, 160)}</p>` : ''}</section>` : ''}
    ${groups.length ? html`<section><h2>${t('nav.groups')}</h2><ul class="plain">${groups.map((g) => html`<li><a href="/group/${encodeURIComponent(g.name!)}">${g.title || g.name}</a></li>`)}</ul></section>` : ''}
    <section><h2>${t('dataset.license')}</h2><p>${d.license_url ? html`<a href="${safeHref(d.license_url)}" rel="license noopener">${d.license_title || d.license_id}</a>` : d.license_title || d.license_id || '—'}</p></section>
    ${similar.length ? html`<section><h2>${t('dataset.similar')}</h2><ul class="plain">${similar.map((x) => html`<li><a href="/dataset/${encodeURIComponent(x.name)}">${x.title || x.name}</a></li>`)}</ul></section>` : ''}
    ${pushSection(p, d, push)}
    ${mine}
    <section><h2>${t('dataset.api')}</h2><p><a href="/api/3/action/package_show?id=${encodeURIComponent(d.name)}">package_show</a></p></section>
    ${may(p, 'package_delete', { owner_org: d.owner_org }) && d.state !== 'deleted' ? html`<section><h2>${t('dataset.manage')}</h2><p><a href="/dataset/delete/${encodeURIComponent(d.name)}" class="danger-link">${t('dataset.delete')}</a></p></section>` : ''}
  </aside>`;
}

export function datasetRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/:id', page(web, async (p) => {
    const { t } = p;
    const { id } = p.req.params as { id: string };
    const d = await call<PackageDict>(p, 'package_show', { id });
    p.services.views.record(d.id as string);
    const similar = d.state === 'active' ? await call<PackageDict[]>(p, 'package_similar', { id: d.id, rows: 5 }) : [];
    const tags = (d.tags ?? []) as Array<{ name: string }>;
    const publication = await publicationBox(p, d as { id: string; name: string; state?: string });
    const gdc = await registryPanel(p, d);
    const quality = await qualityPanel(p, d);
    const body = html`
      ${datasetHeader(p, d, 'read')}
      ${gdc}
      ${d.state === 'deleted' ? html`<div class="notice notice-restricted" role="note"><p><span class="badge badge-deleted">${t('dataset.deleted')}</span> ${t('dataset.deleted_notice')}</p>
        ${may(p, 'package_restore', { owner_org: d.owner_org }) ? html`<form method="post" action="/dataset/restore/${encodeURIComponent(d.name)}">${csrfField(p)}<button type="submit">${t('dataset.restore')}</button></form>` : ''}</div>` : ''}
      ${d.state === 'draft' && canEdit(p, d) ? html`<div class="notice" role="note"><p>${t('dataset.draft_notice')}</p><p><a class="button" href="/dataset/resources/${encodeURIComponent(d.name)}">${t('dataset.continue_draft')}</a></p></div>` : ''}
      <div class="with-sidebar">
        <div class="main-col">
          ${publication}
          <section class="notes" aria-label="${t('dataset.description')}">${richText(d.notes)}</section>
          ${tags.length ? html`<section aria-labelledby="tags-title"><h2 id="tags-title" class="h3">${t('dataset.tags')}</h2><ul class="tag-list">${tags.map((tag) => html`<li><a class="chip" href="/dataset?tags=${encodeURIComponent(tag.name)}">${tag.name}</a></li>`)}</ul></section>` : ''}
          ${accessConditions(p, d)}
          <section aria-labelledby="resources-title">
            <h2 id="resources-title">${t('dataset.resources')}</h2>
            ${resourceList(p, d)}
          </section>
          <section aria-labelledby="meta-title">
            <h2 id="meta-title">${t('dataset.additional_info')}</h2>
            ${metadataTable(p, d)}
          </section>
          ${quality}
        </div>
        ${sidebar(p, d, similar, await pushStatusFor(p, d), await listsPanel(p, d))}
      </div>`;
    return render(p, d.title || d.name, body, { breadcrumbs: datasetCrumbs(p, d) });
  }));

  app.post('/dataset/opendata-push/:id', form(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    await call(p, 'opendata_push', { id: d.id });
    return redirect(p, `/dataset/${encodeURIComponent(d.name)}`);
  }));

  app.get('/dataset/delete/:id', page(web, async (p) => {
    const { t } = p;
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    // The same rule as the page's delete link: no confirmation form that the action would refuse.
    if (!may(p, 'package_delete', { owner_org: d.owner_org })) return errorPage(p, 403);
    const body = html`<h1>${t('dataset.delete_title')}</h1>
      <p>${t('dataset.delete_confirm', { title: d.title || d.name })}</p>
      <form method="post" action="/dataset/delete/${encodeURIComponent(d.name)}">${csrfField(p)}
        <button type="submit" class="danger">${t('dataset.delete')}</button>
        <a href="/dataset/${encodeURIComponent(d.name)}">${t('common.cancel')}</a>
      </form>`;
    return render(p, t('dataset.delete_title'), body, { breadcrumbs: datasetCrumbs(p, d, [t('dataset.delete')]), noindex: true });
  }));

  app.post('/dataset/restore/:id', form(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_restore', { id: (p.req.params as { id: string }).id });
    return redirect(p, `/dataset/${encodeURIComponent(d.name)}`, 'flash.restored');
  }));

  app.post('/dataset/delete/:id', form(web, async (p) => {
    await call(p, 'package_delete', { id: (p.req.params as { id: string }).id });
    return redirect(p, '/dataset', 'flash.deleted');
  }));
}
