import { html, safeHref, type Html } from '../html.ts';
import type { PageCtx } from '../context.ts';
import { formatPlainDate, richText, timeEl } from '../format.ts';
import { currentStandard } from '../../standard/index.ts';
import type { StandardField } from '../../standard/types.ts';
import type { PackageDict } from './types.ts';

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function flagValue(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['true', '1', 'yes'].includes(v.toLowerCase()) ? true : ['false', '0', 'no', ''].includes(v.toLowerCase()) ? false : undefined;
  return undefined;
}

/** One standard field's value as people read it: code labels, Buddhist-era dates, links, yes/no words. */
export function fieldValue(p: PageCtx, f: StandardField, value: unknown, dict?: PackageDict): Html {
  const std = currentStandard();
  const { t, lang } = p;
  if (f.type === 'flag') {
    const b = flagValue(value);
    if (b === undefined) return html``;
    const label = f.flag_labels ? f.flag_labels[b ? 'true' : 'false'][lang] : t(b ? 'common.yes' : 'common.no');
    return html`${label}`;
  }
  if (isEmpty(value)) return html``;
  const other = f.other_field && dict ? dict[f.other_field] : undefined;
  const withOther = (v: string) => (v === std.rules.other_value && typeof other === 'string' && other ? `${std.codeLabel(f.code_list ?? '', v, lang)}: ${other}` : std.codeLabel(f.code_list ?? '', v, lang));
  switch (f.type) {
    case 'select':
      if (f.name === 'license_id' && dict?.license_url && value !== std.rules.other_value) return html`<a href="${safeHref(dict.license_url)}" rel="license noopener">${dict.license_title || value}</a>`;
      return html`${withOther(String(value))}`;
    case 'multiselect': {
      const list = Array.isArray(value) ? value : [value];
      return html`<ul class="plain">${list.map((v) => html`<li>${withOther(String(v))}</li>`)}</ul>`;
    }
    case 'date':
      return html`<time datetime="${String(value)}">${formatPlainDate(lang, value)}</time>`;
    case 'url':
      return html`<a href="${safeHref(String(value))}" rel="nofollow noopener">${String(value)}</a>`;
    case 'email':
      return html`<a href="mailto:${String(value)}">${String(value)}</a>`;
    case 'organization':
      return dict?.organization ? html`<a href="/organization/${encodeURIComponent(dict.organization.name)}">${dict.organization.title || dict.organization.name}</a>` : html`${String(value)}`;
    case 'markdown':
      return richText(value);
    case 'tags':
      return html`${(Array.isArray(value) ? value : []).map((tag: { name?: string } | string) => (typeof tag === 'string' ? tag : tag.name)).join(', ')}`;
    default:
      return html`${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
  }
}

/** Fields shown elsewhere on the dataset page (title, description, tags) or not meant for readers. */
const NOT_IN_TABLE = new Set(['title', 'name', 'notes', 'tags', 'data_type_other']);

/**
 * The metadata table of a dataset: the fields of its data type only, in the standard's order, with
 * the standard's labels (a page to read, so no required-field marks: those belong to the form).
 */
export function metadataTable(p: PageCtx, d: PackageDict): Html {
  const std = currentStandard();
  const { t, lang } = p;
  const fields = d.data_type ? std.datasetFieldsFor(d.data_type) : std.file.dataset_fields.filter((f) => f.types === '*');
  const rows = fields.filter((f) => !NOT_IN_TABLE.has(f.name) && !(f.type !== 'flag' && isEmpty(d[f.name])) && !(f.type === 'flag' && d[f.name] === undefined));
  return html`<table class="metadata">
    <caption>${t('dataset.metadata')}</caption>
    <thead><tr><th scope="col">${t('dataset.field')}</th><th scope="col">${t('dataset.value')}</th></tr></thead>
    <tbody>
      ${rows.map((f) => html`<tr><th scope="row">${f.label[lang]}</th><td>${f.name === 'data_type' && d.data_type === std.dataTypeValue('other') && d.data_type_other ? `${std.codeLabel('data_type', d.data_type, lang)}: ${d.data_type_other}` : fieldValue(p, f, d[f.name], d)}</td></tr>`)}
      <tr><th scope="row">${t('dataset.created')}</th><td>${timeEl(lang, d.metadata_created, true)}</td></tr>
      <tr><th scope="row">${t('dataset.modified_full')}</th><td>${timeEl(lang, d.metadata_modified, true)}</td></tr>
      <tr><th scope="row">${t('dataset.standard')}</th><td>${std.file.title[lang]}</td></tr>
    </tbody>
  </table>`;
}
