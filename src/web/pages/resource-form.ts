import type { FastifyInstance } from 'fastify';
import { AuthorizationError, NotFoundError, ValidationError, localizeErrors } from '../../actions/errors.ts';
import { isUpload } from '../../files/upload.ts';
import { formatFor, safeFilename } from '../../files/mime.ts';
import { currentStandard } from '../../standard/index.ts';
import { html, type Html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { formatSize } from '../format.ts';
import { control, errorList, errorSummary, fieldId, type FormErrors, type FormValues } from '../components/form-fields.ts';
import { dateErrors, inputFromForm } from '../components/form-input.ts';
import { canEdit, datasetCrumbs, datasetHeader } from '../components/dataset-header.ts';
import type { PackageDict, ResourceDict } from '../components/types.ts';
import { labelOf, stepsNav } from './dataset-form.ts';
import { resourceUrl } from './dataset.ts';

function resourceFields(d: PackageDict) {
  return currentStandard().resourceFieldsFor(d.data_type ?? '').filter((f) => f.name !== 'url');
}

/** Upload a file or give a link: both controls are there without JavaScript; with it, one shows at a time. */
function sourceControl(p: PageCtx, values: FormValues, errors: FormErrors, existing?: ResourceDict): Html {
  const { t } = p;
  const std = currentStandard();
  const urlField = std.resourceFields.get('url')!;
  const hasFile = existing?.url_type === 'upload';
  const source = String(values.source ?? (hasFile ? 'keep' : existing ? 'link' : 'upload'));
  const radio = (v: string, label: string) => html`<label class="check"><input type="radio" name="source" value="${v}"${source === v ? html` checked` : ''} data-source-choice> ${label}</label>`;
  const uploadErr = [...(errors.upload ?? []), ...(hasFile ? [] : errors.url ?? [])];
  return html`<fieldset class="field source${uploadErr.length || errors.url?.length ? ' has-error' : ''}" id="${fieldId('url')}">
    <legend>${urlField.label[p.lang]} <span class="req" aria-hidden="true">*</span><span class="visually-hidden"> (${t('form.required')})</span></legend>
    ${urlField.help ? html`<p class="help" id="help-url">${urlField.help[p.lang]}</p>` : ''}
    <div class="radios">
      ${hasFile ? radio('keep', t('resource.keep_file', { name: existing!.name || '' })) : ''}
      ${radio('upload', t('resource.source_upload'))}
      ${radio('link', t('resource.source_link'))}
    </div>
    <div class="source-panel" data-source-panel="upload">
      <label for="${fieldId('upload')}">${t('resource.file')}</label>
      <p class="help" id="help-upload">${t('resource.file_help', { size: formatSize(p.lang, p.services.config.maxUploadBytes) })}</p>
      ${errorList({ upload: uploadErr }, 'upload')}
      <input type="file" id="${fieldId('upload')}" name="upload" aria-describedby="help-upload${uploadErr.length ? ' err-upload' : ''}"${uploadErr.length ? html` aria-invalid="true"` : ''}>
    </div>
    <div class="source-panel" data-source-panel="link">
      <label for="${fieldId('link')}">${t('resource.link')}</label>
      ${errorList(errors, 'url')}
      <input type="url" id="${fieldId('link')}" name="url" value="${source === 'link' ? String(values.url ?? '') : ''}" inputmode="url" placeholder="https://"${errors.url?.length ? html` aria-invalid="true" aria-describedby="err-url"` : ''}>
    </div>
  </fieldset>`;
}

function resourceForm(p: PageCtx, d: PackageDict, action: string, values: FormValues, errors: FormErrors, existing?: ResourceDict, submit?: string): Html {
  const { t } = p;
  return html`
    ${errorSummary(p, errors, (f) => (f === 'upload' ? t('resource.file') : currentStandard().resourceFields.get(f)?.label[p.lang] ?? labelOf(p, f)))}
    <form method="post" action="${action}" enctype="multipart/form-data" class="resource-form" novalidate>
      ${csrfField(p)}
      ${sourceControl(p, values, errors, existing)}
      ${resourceFields(d).map((f) => control(p, f, values, errors, f.name === 'format' ? { required: false } : {}))}
      <div class="form-actions">
        <button type="submit">${submit ?? t('resource.save')}</button>
      </div>
    </form>`;
}

/** Inputs posted with neither a file nor a link (their url error is reported on the file control). */
const noSource = new WeakSet<object>();
const NO_SOURCE = { th: 'กรุณาเลือกไฟล์หรือระบุลิงก์', en: 'Choose a file or give a link' };

/** The action's field errors, in the page's language; a missing source is named on the file control. */
function formErrors(p: PageCtx, d: PackageDict, e: ValidationError, input: Record<string, unknown>): FormErrors {
  const errors = localizeErrors(e.errors, p.lang);
  for (const [k, v] of Object.entries(dateErrors(resourceFields(d), p.body, p.lang))) if (errors[k]) errors[k] = v;
  if (noSource.has(input)) {
    delete errors.url;
    errors.upload = [p.lang === 'en' ? NO_SOURCE.en : NO_SOURCE.th];
  }
  return errors;
}

/** Form fields → resource_create/update input; an empty file field is no upload at all. */
async function resourceInput(p: PageCtx, d: PackageDict, existing?: ResourceDict): Promise<Record<string, unknown>> {
  const body = p.body;
  // Only an upload this request's multipart reader made; discarding it removes that temporary file and nothing else.
  let upload = isUpload(body.upload) ? body.upload : undefined;
  if (upload && (upload.size === 0 || body.source === 'link' || body.source === 'keep')) {
    await upload.discard();
    upload = undefined;
  }
  const input = inputFromForm(resourceFields(d), body, true);
  if (upload) {
    input.upload = upload;
    // The stored file's name (no path, no invisible characters, shortened before its extension), as the action names it.
    if (!input.format) input.format = formatFor(safeFilename(upload.filename));
    if (!input.name) input.name = safeFilename(upload.filename);
  } else if (body.source === 'keep' && existing?.url_type === 'upload') {
    input.url = '';
  } else {
    input.url = typeof body.url === 'string' ? body.url.trim() : '';
    // No file and no link: the action still runs, so this comes back with every other field's problem.
    if (!input.url && body.source !== 'link') noSource.add(input);
    if (!input.format && typeof input.url === 'string' && URL.canParse(input.url)) input.format = formatFor(new URL(input.url).pathname);
  }
  return input;
}

/** Keys of a resource dict the server sets (never sent back) or the edit form shows (sent as the form has them). */
const SERVER_KEYS = new Set(['id', 'package_id', 'position', 'url', 'url_type', 'url_restricted', 'mimetype', 'size', 'hash', 'state', 'created', 'last_modified', 'metadata_modified', 'datastore_active']);

/**
 * What the edit form does not show: the data dictionary (its personal-data flags decide what a
 * grant holder sees), extras set through the API. resource_update replaces the whole resource, as
 * in CKAN, so a form that sent only its own fields would erase them.
 */
function unshownFields(d: PackageDict, r: ResourceDict): Record<string, unknown> {
  const shown = new Set(SERVER_KEYS);
  for (const f of resourceFields(d)) {
    shown.add(f.name);
    if (f.other_field) shown.add(f.other_field);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (shown.has(k) || v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    out[k] = v;
  }
  return out;
}

async function loadForEdit(p: PageCtx): Promise<PackageDict> {
  const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
  // The action would refuse anyway; asking first avoids showing a form that cannot be saved.
  if (!canEdit(p, d)) throw new AuthorizationError();
  return d;
}

/** Step 2 of the form: the dataset's resources, a form to add one, and "finish" for a draft. */
async function resourcesPage(p: PageCtx, d: PackageDict, values: FormValues = {}, errors: FormErrors = {}, finishErrors: FormErrors = {}, status = 200) {
  const { t } = p;
  const list = (d.resources ?? []) as ResourceDict[];
  const draft = d.state === 'draft';
  const body = html`
    ${datasetHeader(p, d, 'resources', 2)}
    <h1>${t('form.resources_title')}</h1>
    ${draft ? stepsNav(p, 2) : ''}
    ${errorSummary(p, finishErrors, (f) => labelOf(p, f), 'finish-')}
    ${list.length ? html`<ul class="resource-list editable">${list.map((r) => html`<li class="resource-item">
      <span class="format">${String(r.format || '').toUpperCase()}</span>
      <div class="resource-body"><h2 class="h3"><a href="${resourceUrl(d, r)}">${r.name || t('resource.unnamed')}</a></h2></div>
      <div class="resource-actions">
        <a class="button secondary" href="${resourceUrl(d, r)}/edit">${t('resource.edit')}<span class="visually-hidden"> ${r.name}</span></a>
        <form method="post" action="${resourceUrl(d, r)}/delete" class="inline">${csrfField(p)}<button type="submit" class="danger">${t('resource.delete')}<span class="visually-hidden"> ${r.name}</span></button></form>
      </div>
    </li>`)}</ul>` : html`<p class="empty">${t('dataset.no_resources')}</p>`}
    <section aria-labelledby="add-title" class="panel">
      <h2 id="add-title">${t('resource.add')}</h2>
      ${resourceForm(p, d, `/dataset/${encodeURIComponent(d.name)}/resource/new`, values, errors, undefined, t('resource.save_add'))}
    </section>
    <div class="form-actions">
      <a class="button secondary" href="/dataset/edit/${encodeURIComponent(d.name)}">${t('form.back_step1')}</a>
      ${draft
        ? html`<form method="post" action="/dataset/resources/${encodeURIComponent(d.name)}/finish" class="inline">${csrfField(p)}<button type="submit">${t('form.finish')}</button></form>`
        : html`<a class="button" href="/dataset/${encodeURIComponent(d.name)}">${t('form.done')}</a>`}
    </div>`;
  return render(p, t('form.resources_title'), body, { breadcrumbs: datasetCrumbs(p, d, [t('dataset.tab_resources')]), noindex: true }, status);
}

export function resourceFormRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/resources/:id', page(web, async (p) => resourcesPage(p, await loadForEdit(p))));

  app.post('/dataset/resources/:id/finish', form(web, async (p) => {
    const d = await loadForEdit(p);
    try {
      await call(p, 'package_patch', { id: d.id, state: 'active' });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return resourcesPage(p, d, {}, {}, localizeErrors(e.errors, p.lang), 400);
    }
    return redirect(p, `/dataset/${encodeURIComponent(d.name)}`, 'flash.published');
  }));

  app.get('/dataset/:id/resource/new', page(web, async (p) => {
    const d = await loadForEdit(p);
    return resourcesPage(p, d);
  }));

  app.post('/dataset/:id/resource/new', form(web, async (p) => {
    const d = await loadForEdit(p);
    const input = await resourceInput(p, d);
    try {
      await call(p, 'resource_create', { ...input, package_id: d.id });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return resourcesPage(p, d, p.body, formErrors(p, d, e, input), {}, 400);
    }
    return redirect(p, `/dataset/resources/${encodeURIComponent(d.name)}`, 'flash.resource_added');
  }, { upload: 'resource_create' }));

  app.get('/dataset/:id/resource/:rid/edit', page(web, async (p) => {
    const d = await loadForEdit(p);
    const r = await call<ResourceDict>(p, 'resource_show', { id: (p.req.params as { rid: string }).rid });
    if (r.package_id !== d.id) throw new NotFoundError();
    return editPage(p, d, r, { ...r, source: r.url_type === 'upload' ? 'keep' : 'link' }, {});
  }));

  app.post('/dataset/:id/resource/:rid/edit', form(web, async (p) => {
    const d = await loadForEdit(p);
    const r = await call<ResourceDict>(p, 'resource_show', { id: (p.req.params as { rid: string }).rid });
    if (r.package_id !== d.id) throw new NotFoundError();
    const input = await resourceInput(p, d, r);
    try {
      await call(p, 'resource_update', { ...unshownFields(d, r), ...input, id: r.id });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return editPage(p, d, r, p.body, formErrors(p, d, e, input), 400);
    }
    return redirect(p, resourceUrl(d, r), 'flash.saved');
  }, { upload: 'resource_update' }));

  app.post('/dataset/:id/resource/:rid/delete', form(web, async (p) => {
    const d = await loadForEdit(p);
    const r = await call<ResourceDict>(p, 'resource_show', { id: (p.req.params as { rid: string }).rid });
    if (r.package_id !== d.id) throw new NotFoundError();
    await call(p, 'resource_delete', { id: r.id });
    return redirect(p, `/dataset/resources/${encodeURIComponent(d.name)}`, 'flash.resource_deleted');
  }));
}

function editPage(p: PageCtx, d: PackageDict, r: ResourceDict, values: FormValues, errors: FormErrors, status = 200) {
  const { t } = p;
  const body = html`<h1>${t('resource.edit_title', { name: r.name || '' })}</h1>
    ${resourceForm(p, d, `${resourceUrl(d, r)}/edit`, values, errors, r)}
    <p><a href="${resourceUrl(d, r)}">${t('common.cancel')}</a></p>`;
  return render(p, t('resource.edit_title', { name: r.name || '' }), body, { breadcrumbs: datasetCrumbs(p, d, [r.name || t('resource.unnamed'), resourceUrl(d, r)], [t('resource.edit')]), noindex: true }, status);
}
