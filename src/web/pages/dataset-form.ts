import type { FastifyInstance } from 'fastify';
import { ValidationError, localizeErrors } from '../../actions/errors.ts';
import { currentStandard } from '../../standard/index.ts';
import type { StandardField } from '../../standard/types.ts';
import { html, type Html } from '../html.ts';
import { call, form, may, page, redirect, render, signedIn, type PageCtx, type Web } from '../context.ts';
import { csrfField, errorPage } from '../layout.ts';
import { control, errorSummary, type FormErrors, type FormValues } from '../components/form-fields.ts';
import { dateErrors, inputFromForm } from '../components/form-input.ts';
import { canEdit, datasetCrumbs, datasetHeader } from '../components/dataset-header.ts';
import type { PackageDict } from '../components/types.ts';
import type { MessageKey } from '../i18n/index.ts';

/** Field groups of the standard, in the order the form shows them. */
const GROUP_ORDER = ['basic', 'contact', 'coverage', 'governance', 'flags', 'dates', 'statistics', 'geo'];

export function stepsNav(p: PageCtx, step: 1 | 2): Html {
  const { t } = p;
  return html`<ol class="steps" aria-label="${t('form.steps')}">
    <li${step === 1 ? html` aria-current="step"` : ''}><span class="step-no">1</span> ${t('form.step1')}</li>
    <li${step === 2 ? html` aria-current="step"` : ''}><span class="step-no">2</span> ${t('form.step2')}</li>
  </ol>`;
}

async function orgChoices(p: PageCtx, current?: PackageDict): Promise<Array<[string, string]>> {
  const list = await call<Array<Record<string, string>>>(p, 'organization_list_for_user', { permission: 'create_dataset' });
  const out: Array<[string, string]> = list.map((o) => [o.name!, o.title || o.name!]);
  if (current?.organization && !out.some(([n]) => n === current.organization.name)) out.unshift([current.organization.name, current.organization.title || current.organization.name]);
  return out;
}

/** The chooser of data type: the first decision, since it decides which fields the form shows. */
function typeChooser(p: PageCtx, action: string, chosen: string, ownerOrg?: unknown): Html {
  const std = currentStandard();
  const { t, lang } = p;
  const f = std.datasetFields.get('data_type')!;
  return html`<form method="get" action="${action}" class="type-chooser">
    ${typeof ownerOrg === 'string' && ownerOrg ? html`<input type="hidden" name="owner_org" value="${ownerOrg}">` : ''}
    <fieldset>
      <legend>${f.label[lang]} <span class="req" aria-hidden="true">*</span></legend>
      ${f.help ? html`<p class="help">${f.help[lang]}</p>` : ''}
      <div class="radios type-grid">${std.file.data_types.map((d) => html`<label class="check type-option"><input type="radio" name="data_type" value="${d.value}"${d.value === chosen ? html` checked` : ''} required> ${d.label[lang]}</label>`)}</div>
    </fieldset>
    <button type="submit"${chosen ? html` class="secondary"` : ''}>${chosen ? t('form.change_type') : t('form.choose_type')}</button>
  </form>`;
}

/** Fields of the chosen data type, grouped as the standard groups them. */
function fieldsets(p: PageCtx, dataType: string, values: FormValues, errors: FormErrors, orgs: Array<[string, string]>): Html {
  const std = currentStandard();
  const fields = std.datasetFieldsFor(dataType).filter((f) => f.name !== 'data_type');
  const groups = new Map<string, StandardField[]>();
  for (const f of fields) {
    const g = f.group ?? 'basic';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(f);
  }
  const order = [...groups.keys()].sort((a, b) => (GROUP_ORDER.indexOf(a) + 1 || 99) - (GROUP_ORDER.indexOf(b) + 1 || 99));
  return html`${order.map((g) => html`<fieldset class="form-section">
    <legend>${p.t(`form.group.${g}` as MessageKey)}</legend>
    ${groups.get(g)!.map((f) => control(p, f, values, errors, { orgs }))}
  </fieldset>`)}`;
}

/** Reads the form into a package dict: only the fields of the chosen type, lists as lists. */
export function datasetInputFromForm(body: Record<string, unknown>, dataType: string, keepEmpty: boolean): Record<string, unknown> {
  const fields = currentStandard().datasetFieldsFor(dataType).filter((f) => f.name !== 'data_type');
  return { data_type: dataType, ...inputFromForm(fields, body, keepEmpty) };
}

/** The standard's label for an error key (tag_string and resource keys included). */
export function labelOf(p: PageCtx, field: string): string {
  const std = currentStandard();
  const name = field === 'tag_string' ? 'tags' : field;
  const f = std.datasetFields.get(name) ?? std.resourceFields.get(name);
  if (f) return f.label[p.lang];
  const owner = std.otherFields.get(name);
  if (owner) return p.t('form.other_specify', { label: std.datasetFields.get(owner)?.label[p.lang] ?? std.resourceFields.get(owner)?.label[p.lang] ?? owner });
  return name;
}

/** Nowhere to add a dataset: a sysadmin creates an organisation first; anyone else asks theirs for a role. */
function noOrgsNotice(p: PageCtx): Html {
  if (may(p, 'organization_create')) {
    return html`<div class="notice" role="note"><p>${p.t('form.no_orgs_sysadmin')}</p><p><a class="button" href="/ckan-admin/organization/new">${p.t('org.add')}</a></p></div>`;
  }
  return html`<div class="notice" role="note"><p>${p.t('form.no_orgs')}</p></div>`;
}

interface FormState {
  mode: 'new' | 'edit';
  dataType: string;
  values: FormValues;
  errors: FormErrors;
  current?: PackageDict;
}

async function renderForm(p: PageCtx, s: FormState, status = 200) {
  const { t } = p;
  const std = currentStandard();
  const action = s.mode === 'new' ? '/dataset/new' : `/dataset/edit/${encodeURIComponent(s.current!.name)}`;
  const orgs = await orgChoices(p, s.current);
  // Most editors work for one organisation: choose it for them.
  // (also when the link named one they cannot add to; not over an error the page is showing about it).
  if (s.mode === 'new' && orgs.length === 1 && !s.errors.owner_org && !orgs.some(([n]) => n === s.values.owner_org)) s.values = { ...s.values, owner_org: orgs[0]![0] };
  const title = s.mode === 'new' ? t('form.new_title') : t('form.edit_title');
  const draft = s.mode === 'new' || s.current?.state === 'draft';
  const body = html`
    ${s.current ? datasetHeader(p, s.current, 'edit', 2) : ''}
    <h1>${title}</h1>
    ${draft ? stepsNav(p, 1) : ''}
    ${s.mode === 'new' && !orgs.length ? noOrgsNotice(p) : ''}
    ${typeChooser(p, action, s.dataType, s.mode === 'new' ? s.values.owner_org : undefined)}
    ${s.dataType ? html`
      ${errorSummary(p, s.errors, (f) => labelOf(p, f))}
      <p class="muted">${t('form.required_note')}</p>
      <form method="post" action="${action}" class="dataset-form" novalidate>
        ${csrfField(p)}
        <input type="hidden" name="data_type" value="${s.dataType}">
        <p class="chosen-type">${std.datasetFields.get('data_type')!.label[p.lang]}: <strong>${std.codeLabel('data_type', s.dataType, p.lang)}</strong></p>
        ${fieldsets(p, s.dataType, s.values, s.errors, orgs)}
        <div class="form-actions">
          <button type="submit" name="save" value="${draft ? 'next' : 'save'}">${draft ? t('form.next_resources') : t('form.save')}</button>
          ${draft ? html`<button type="submit" name="save" value="draft" class="secondary">${t('form.save_draft')}</button>` : ''}
          <a href="${s.current ? `/dataset/${encodeURIComponent(s.current.name)}` : '/dataset'}">${t('common.cancel')}</a>
        </div>
      </form>` : ''}`;
  const crumbs = s.current ? datasetCrumbs(p, s.current, [t('dataset.tab_edit')]) : [[t('nav.datasets'), '/dataset'], [t('form.new_title')]] as Array<[string, string?]>;
  return render(p, title, body, { breadcrumbs: crumbs, noindex: true }, status);
}

function chosenType(p: PageCtx, fallback: string): string {
  const q = (p.req.query as Record<string, unknown>).data_type;
  const std = currentStandard();
  return (typeof q === 'string' && std.dataTypeValue(q)) || fallback;
}

/** Values for the form from a package dict (edit): multiselects as lists, tags as text. */
function valuesFromDict(d: PackageDict): FormValues {
  const v: FormValues = { ...d };
  v.tag_string = ((d.tags ?? []) as Array<{ name: string }>).map((x) => x.name).join(', ');
  v.owner_org = d.organization?.name ?? d.owner_org;
  return v;
}

/** What the form does not show but an update must not drop (package_update replaces the dict). */
function kept(d: PackageDict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(d.extras) && d.extras.length) out.extras = d.extras;
  for (const k of ['author', 'author_email', 'version']) if (d[k]) out[k] = d[k];
  return out;
}

async function save(p: PageCtx, mode: 'new' | 'edit', current?: PackageDict) {
  const std = currentStandard();
  const dataType = std.dataTypeValue(String(p.body.data_type ?? '')) ?? '';
  const intent = p.body.save === 'draft' ? 'draft' : p.body.save === 'save' ? 'save' : 'next';
  const input = datasetInputFromForm(p.body, dataType, intent !== 'draft');
  if (intent !== 'save') input.state = 'draft';
  // An organisation the caller may not add to is sent as none: the action then reports it beside
  // every other field problem in one answer, instead of refusing before it looks at the fields.
  const orgOk = mode === 'edit' || (await orgChoices(p)).some(([n]) => n === input.owner_org);
  if (!orgOk) input.owner_org = '';
  try {
    const d = mode === 'new'
      ? await call<PackageDict>(p, 'package_create', input)
      : await call<PackageDict>(p, 'package_update', { ...kept(current!), ...input, id: current!.id, ...(current!.state === 'active' ? { state: 'active' } : {}) });
    if (intent === 'draft') return redirect(p, `/dataset/edit/${encodeURIComponent(d.name)}`, 'flash.draft_saved');
    if (intent === 'next') return redirect(p, `/dataset/resources/${encodeURIComponent(d.name)}`, 'flash.saved');
    return redirect(p, `/dataset/${encodeURIComponent(d.name)}`, 'flash.saved');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const errors = localizeErrors(e.errors, p.lang);
    if (!orgOk) errors.owner_org = [p.t('form.choose_org')];
    for (const [k, v] of Object.entries(dateErrors(currentStandard().datasetFieldsFor(dataType), p.body, p.lang))) if (errors[k]) errors[k] = v;
    return renderForm(p, { mode, dataType, values: p.body, errors, current }, 400);
  }
}

export function datasetFormRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/new', page(web, async (p) => {
    if (!signedIn(p)) return redirect(p, `/user/login?came_from=${encodeURIComponent(p.req.url)}`);
    const q = p.req.query as Record<string, unknown>;
    const values: FormValues = typeof q.owner_org === 'string' ? { owner_org: q.owner_org } : {};
    return renderForm(p, { mode: 'new', dataType: chosenType(p, ''), values, errors: {} });
  }));

  app.post('/dataset/new', form(web, async (p) => save(p, 'new')));

  app.get('/dataset/edit/:id', page(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    if (!canEdit(p, d)) return errorPage(p, 403);
    return renderForm(p, { mode: 'edit', dataType: chosenType(p, d.data_type), values: valuesFromDict(d), errors: {}, current: d });
  }));

  app.post('/dataset/edit/:id', form(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    return save(p, 'edit', d);
  }));
}
