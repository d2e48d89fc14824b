import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { itemMappingSection } from './exchange/items.ts';
import { NotFoundError } from '../../actions/errors.ts';
import { contentDisposition, servingType } from '../../files/mime.ts';
import { currentStandard } from '../../standard/index.ts';
import { html, type Html } from '../html.ts';
import { call, page, render, type PageCtx, type Web } from '../context.ts';
import { formatNumber, formatSize, numericColumns, richText, timeEl } from '../format.ts';
import { canEdit, datasetCrumbs } from '../components/dataset-header.ts';
import { datasetBadges } from '../components/datasets.ts';
import { fieldValue } from '../components/field-values.ts';
import type { PackageDict, ResourceDict } from '../components/types.ts';
import { buildPreview, previewKind, PREVIEW_ROWS, type Preview } from '../preview.ts';
import { downloadHref, resourceUrl } from './dataset.ts';
import type { DownloadInfo } from '../../actions/resources/actions.ts';
import { refKey } from '../../files/upload.ts';
import { measured } from '../../files/file-store.ts';

/** A preview exists only for a file this server holds, in a format the previewer reads. */
export function mayPreview(r: ResourceDict): boolean {
  return r.url_type === 'upload' && previewKind(String(r.format ?? ''), String(r.url ?? '')) !== null;
}

function previewBlock(p: PageCtx, d: PackageDict, r: ResourceDict, preview: Preview | null): Html {
  const { t } = p;
  if (!preview) return html`<p class="muted">${t('preview.link_only')}</p>`;
  const inline = `${resourceUrl(d, r)}/inline`;
  switch (preview.kind) {
    case 'image':
      return html`<figure class="preview-image"><img src="${inline}" alt="${t('preview.image_alt', { name: r.name || '' })}"></figure>`;
    case 'pdf':
      return html`<iframe class="preview-pdf" src="${inline}" title="${t('preview.pdf_title', { name: r.name || '' })}"></iframe>
        <p><a href="${inline}">${t('preview.pdf_open')}</a></p>`;
    case 'json':
      return html`<pre class="preview-json" tabindex="0" aria-label="${t('preview.json_label')}">${preview.text}</pre>
        ${preview.truncated ? html`<p class="muted">${t('preview.json_truncated')}</p>` : ''}`;
    case 'table': {
      const num = numericColumns(preview.rows);
      const cls = (i: number) => (num.has(i) ? html` class="num"` : '');
      return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="preview-caption">
        <table class="preview-table">
          <caption id="preview-caption">${t('preview.table_caption', { n: formatNumber(p.lang, preview.rows.length) })}</caption>
          <thead><tr>${preview.header.map((h, i) => html`<th scope="col"${cls(i)}>${h}</th>`)}</tr></thead>
          <tbody>${preview.rows.map((row) => html`<tr>${row.map((c, i) => html`<td${cls(i)}>${c}</td>`)}</tr>`)}</tbody>
        </table>
      </div>
      ${preview.truncated ? html`<p class="muted">${t('preview.truncated', { n: PREVIEW_ROWS })}</p>` : ''}`;
    }
    default:
      return html`<p class="muted">${t(preview.reason === 'too_large' ? 'preview.too_large' : preview.reason === 'unreadable' ? 'preview.unreadable' : 'preview.unsupported')}</p>`;
  }
}

function resourceTable(p: PageCtx, d: PackageDict, r: ResourceDict): Html {
  const std = currentStandard();
  const { t, lang } = p;
  const fields = std.resourceFieldsFor(d.data_type ?? '').filter((f) => !['url', 'name', 'description'].includes(f.name) && r[f.name] !== undefined && r[f.name] !== null && r[f.name] !== '');
  return html`<table class="metadata">
    <caption>${t('resource.metadata')}</caption>
    <thead><tr><th scope="col">${t('dataset.field')}</th><th scope="col">${t('dataset.value')}</th></tr></thead>
    <tbody>
      ${fields.map((f) => html`<tr><th scope="row">${f.label[lang]}</th><td>${fieldValue(p, f, r[f.name], r)}</td></tr>`)}
      ${r.size ? html`<tr><th scope="row">${t('resource.size')}</th><td>${formatSize(lang, r.size)}</td></tr>` : ''}
      ${r.mimetype ? html`<tr><th scope="row">${t('resource.mimetype')}</th><td>${r.mimetype}</td></tr>` : ''}
      <tr><th scope="row">${t('dataset.created')}</th><td>${timeEl(lang, r.created, true)}</td></tr>
      ${r.last_modified ? html`<tr><th scope="row">${t('resource.last_modified')}</th><td>${timeEl(lang, r.last_modified, true)}</td></tr>` : ''}
      ${r.hash ? html`<tr><th scope="row">SHA-256</th><td class="mono">${r.hash}</td></tr>` : ''}
    </tbody>
  </table>`;
}

async function loadBoth(p: PageCtx): Promise<{ d: PackageDict; r: ResourceDict }> {
  const { id, rid } = p.req.params as { id: string; rid: string };
  const d = await call<PackageDict>(p, 'package_show', { id });
  const r = await call<ResourceDict>(p, 'resource_show', { id: rid });
  if (r.package_id !== d.id) throw new NotFoundError();
  return { d, r };
}

export function resourceRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/:id/resource/:rid', page(web, async (p) => {
    const { t } = p;
    const { d, r } = await loadBoth(p);
    p.services.views.recordResource(d.id as string, r.id as string, 'view');
    const restricted = r.url_restricted === true || d.access?.files === false;
    let preview: Preview | null = null;
    if (!restricted && r.url_type === 'upload') {
      // A row marked "upload" without a stored file (older imports) shows no preview rather than a 404.
      const file = await call<DownloadInfo>(p, 'resource_download', { id: r.id }).catch((e: unknown) => {
        if (e instanceof NotFoundError) return null;
        throw e;
      });
      preview = file ? await buildPreview(p.services.files, file, String(r.format ?? '')) : null;
    }
    const others = ((d.resources ?? []) as ResourceDict[]).filter((x) => x.id !== r.id);
    const body = html`
      <p class="eyebrow"><a href="/dataset/${encodeURIComponent(d.name)}">${d.title || d.name}</a></p>
      <h1>${r.name || t('resource.unnamed')}</h1>
      ${datasetBadges(p, d)}
      <div class="with-sidebar">
        <div class="main-col">
          ${restricted
            ? html`<div class="notice notice-restricted" role="note"><p><strong>${t('dataset.files_hidden')}</strong></p><p>${t('dataset.files_hidden_help')}</p>${d.accessible_condition ? richText(d.accessible_condition) : ''}</div>`
            : html`<p class="actions">
                ${r.url ? html`<a class="button" href="${downloadHref(r)}"${r.url_type === 'upload' ? '' : html` rel="nofollow noopener"`}>${r.url_type === 'upload' ? t('resource.download') : t('resource.open_link')}</a>` : ''}
                ${canEdit(p, d) ? html`<a class="button secondary" href="/dataset/${encodeURIComponent(d.name)}/resource/${encodeURIComponent(r.id)}/edit">${t('resource.edit')}</a>` : ''}
              </p>
              ${r.url_type !== 'upload' && r.url ? html`<p class="break">${t('resource.url')}: <a href="${downloadHref(r)}" rel="nofollow noopener">${r.url}</a></p>` : ''}`}
          ${r.description ? html`<section aria-labelledby="res-desc"><h2 id="res-desc" class="h3">${t('resource.description')}</h2>${richText(r.description)}</section>` : ''}
          ${restricted || !mayPreview(r) ? '' : html`<section aria-labelledby="preview-title"><h2 id="preview-title">${t('preview.title')}</h2>${previewBlock(p, d, r, preview)}</section>`}
          <section aria-labelledby="res-meta"><h2 id="res-meta">${t('dataset.additional_info')}</h2>${resourceTable(p, d, r)}</section>
          ${await itemMappingSection(p, r.id, (d.owner_org as string | null) ?? null, p.req.url.split('?')[0]!)}
        </div>
        <aside class="sidebar" aria-label="${t('resource.others')}">
          <section><h2>${t('resource.others')}</h2>
            ${others.length ? html`<ul class="plain">${others.map((o) => html`<li><a href="${resourceUrl(d, o)}">${o.name || t('resource.unnamed')}</a> <span class="format">${String(o.format || '').toUpperCase()}</span></li>`)}</ul>` : html`<p class="muted">${t('resource.no_others')}</p>`}
          </section>
        </aside>
      </div>`;
    return render(p, `${r.name || t('resource.unnamed')} — ${d.title || d.name}`, body, { breadcrumbs: datasetCrumbs(p, d, [r.name || t('resource.unnamed')]) });
  }));

  // Images and PDFs for the preview, framed by our own page only; the download route stays sandboxed.
  app.get('/dataset/:id/resource/:rid/inline', page(web, async (p) => {
    const { r } = await loadBoth(p);
    if (r.url_type !== 'upload') throw new NotFoundError();
    const file = await call<DownloadInfo>(p, 'resource_download', { id: r.id });
    const kind = previewKind(String(r.format ?? ''), file.filename);
    if (kind !== 'image' && kind !== 'pdf') throw new NotFoundError();
    const { contentType } = servingType(file.filename);
    if (!/^(image\/(png|jpeg|gif|webp)|application\/pdf)$/.test(contentType)) throw new NotFoundError();
    // A HEAD is answered from the store's metadata, without opening the file.
    const opened = p.req.method === 'HEAD' ? await measured(p.services.files, refKey(file.file)) : await p.services.files.read(refKey(file.file));
    if (!opened) throw new NotFoundError();
    return p.reply
      .header('Content-Length', opened.size)
      .header('Content-Type', contentType)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
      .header('X-Frame-Options', 'SAMEORIGIN')
      .header('Cache-Control', 'private, no-store')
      .header('Content-Disposition', contentDisposition('inline', file.filename))
      .send(opened.stream ?? Readable.from([]));
  }));
}
