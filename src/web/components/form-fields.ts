import { html, type Html } from '../html.ts';
import type { PageCtx } from '../context.ts';
import { isoToBuddhist } from '../format.ts';
import { currentStandard } from '../../standard/index.ts';
import type { StandardField } from '../../standard/types.ts';

/** Field → messages already in the page's language. */
export type FormErrors = Record<string, string[]>;
export type FormValues = Record<string, unknown>;

export interface ControlOptions {
  /** Choices for an organization field: [value, label]. */
  orgs?: Array<[string, string]>;
  /** Overrides the standard's required flag (e.g. resource url when a file is uploaded). */
  required?: boolean;
  /** Field-name prefix for ids (two forms on one page). */
  idPrefix?: string;
}

export function fieldId(name: string, prefix = ''): string {
  return `field-${prefix}${name}`;
}

export function errorList(errors: FormErrors, name: string, prefix = ''): Html {
  const list = errors[name];
  if (!list?.length) return html``;
  return html`<p class="field-error" id="err-${prefix}${name}">${list.map((m, i) => html`${i ? html`<br>` : ''}<span class="visually-hidden">${'⚠'} </span>${m}`)}</p>`;
}

function describedBy(f: { name: string; help?: unknown }, errors: FormErrors, prefix: string): string {
  const ids = [];
  if (errors[f.name]?.length) ids.push(`err-${prefix}${f.name}`);
  if (f.help) ids.push(`help-${prefix}${f.name}`);
  return ids.join(' ');
}

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? String((x as Record<string, unknown>).name ?? '') : String(x))).join(', ');
  return String(v);
}

function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v) {
    if (v.trim().startsWith('[')) {
      try {
        const parsed = JSON.parse(v);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch {
        /* a single value */
      }
    }
    return [v];
  }
  return [];
}

function flagChecked(v: unknown): 'true' | 'false' | '' {
  if (v === true || v === 'true' || v === 'True') return 'true';
  if (v === false || v === 'false' || v === 'False') return 'false';
  return '';
}

function requiredMark(p: PageCtx, required: boolean): Html {
  return required ? html` <span class="req" aria-hidden="true">*</span><span class="visually-hidden"> (${p.t('form.required')})</span>` : html``;
}

/**
 * One field of the standard as a form control: its label and help from the standard, its code
 * list as a select, checkboxes or radios, the "อื่นๆ" companion text box, and its errors beside it.
 */
export function control(p: PageCtx, f: StandardField, values: FormValues, errors: FormErrors, opts: ControlOptions = {}): Html {
  const std = currentStandard();
  const { lang, t } = p;
  const prefix = opts.idPrefix ?? '';
  const id = fieldId(f.name, prefix);
  const required = opts.required ?? f.required === true;
  const label = f.label[lang];
  const help = f.help?.[lang];
  const invalid = errors[f.name]?.length ? html` aria-invalid="true"` : '';
  const desc = describedBy(f, errors, prefix);
  const describe = desc ? html` aria-describedby="${desc}"` : '';
  const aria = html`${describe}${invalid}${required ? html` aria-required="true"` : ''}`;
  const helpEl = help ? html`<p class="help" id="help-${prefix}${f.name}">${help}</p>` : '';
  const value = values[f.name];
  const codes = f.code_list ? std.file.code_lists[f.code_list] ?? [] : [];
  let input: Html;
  let grouped = false;
  switch (f.type) {
    case 'markdown':
      input = html`<textarea id="${id}" name="${f.name}" rows="5"${aria}>${asText(value)}</textarea>`;
      break;
    case 'select': {
      const extra = f.name === 'data_classification' ? html` data-category-levels="${JSON.stringify(std.rules.category_levels)}"` : '';
      input = html`<select id="${id}" name="${f.name}"${aria}${extra}>
        <option value="">${t('form.choose')}</option>
        ${codes.map((c) => html`<option value="${c.value}"${asText(value) === c.value ? html` selected` : ''}>${c.label[lang]}</option>`)}
      </select>`;
      break;
    }
    case 'organization': {
      const orgs = opts.orgs ?? [];
      input = html`<select id="${id}" name="${f.name}"${aria}>
        <option value="">${t('form.choose')}</option>
        ${orgs.map(([v, l]) => html`<option value="${v}"${asText(value) === v ? html` selected` : ''}>${l}</option>`)}
      </select>`;
      break;
    }
    case 'multiselect': {
      grouped = true;
      const chosen = new Set(asList(value));
      input = html`<div class="checkboxes">${codes.map((c, i) => html`<label class="check"><input type="checkbox" name="${f.name}" value="${c.value}" id="${id}-${i}"${chosen.has(c.value) ? html` checked` : ''}${invalid}> ${c.label[lang]}</label>`)}</div>`;
      break;
    }
    case 'flag': {
      grouped = true;
      const v = flagChecked(value);
      const labels = f.flag_labels ?? { true: { th: 'ใช่', en: 'Yes' }, false: { th: 'ไม่ใช่', en: 'No' } };
      input = html`<div class="radios">
        <label class="check"><input type="radio" name="${f.name}" value="false" id="${id}-false"${v === 'false' ? html` checked` : ''}> ${labels.false[lang]}</label>
        <label class="check"><input type="radio" name="${f.name}" value="true" id="${id}-true"${v === 'true' ? html` checked` : ''}> ${labels.true[lang]}</label>
      </div>`;
      break;
    }
    case 'tags':
      input = html`<input type="text" id="${id}" name="tag_string" value="${asText(values.tag_string ?? value)}"${aria} autocomplete="off" data-tag-input>`;
      break;
    case 'date':
      // Thai: วัน/เดือน/ปี พ.ศ. as text (no Gregorian picker), read on the server; English: the ISO date picker.
      input = lang === 'th'
        ? html`<input type="text" id="${id}" name="${f.name}" value="${isoToBuddhist(asText(value))}" inputmode="numeric" pattern="\d{1,2}/\d{1,2}/\d{4}" placeholder="วว/ดด/ปปปป" autocomplete="off" data-be-date${html` aria-describedby="${[desc, `fmt-${prefix}${f.name}`].filter(Boolean).join(' ')}"`}${invalid}${required ? html` aria-required="true"` : ''}><p class="help date-format" id="fmt-${prefix}${f.name}">${t('date.format_help')}</p>`
        : html`<input type="date" id="${id}" name="${f.name}" value="${asText(value)}"${aria}>`;
      break;
    case 'email':
      input = html`<input type="email" id="${id}" name="${f.name}" value="${asText(value)}"${aria} autocomplete="email">`;
      break;
    case 'url':
      input = html`<input type="url" id="${id}" name="${f.name}" value="${asText(value)}"${aria} inputmode="url">`;
      break;
    case 'number':
    case 'year':
      input = html`<input type="text" id="${id}" name="${f.name}" value="${asText(value)}"${aria} inputmode="${f.type === 'year' ? 'numeric' : 'decimal'}"${f.type === 'year' ? html` maxlength="4"` : ''}>`;
      break;
    case 'slug':
      input = html`<input type="text" id="${id}" name="${f.name}" value="${asText(value)}"${aria} autocomplete="off" spellcheck="false" maxlength="70" data-slug>`;
      break;
    default:
      input = html`<input type="text" id="${id}" name="${f.name}" value="${asText(value)}"${aria}${f.max_length ? html` maxlength="${f.max_length}"` : ''}>`;
  }
  const other = f.other_field ? otherControl(p, f, values, errors, prefix) : '';
  const errName = f.type === 'tags' ? 'tags' : f.name;
  if (grouped) {
    return html`<fieldset class="field${errors[f.name]?.length ? ' has-error' : ''}" id="${id}"${describe}${f.other_field ? html` data-other-source="${f.other_field}"` : ''}>
      <legend>${label}${requiredMark(p, required)}</legend>
      ${helpEl}
      ${errorList(errors, f.name, prefix)}
      ${input}
      ${other}
    </fieldset>`;
  }
  return html`<div class="field${errors[errName]?.length ? ' has-error' : ''}"${f.other_field ? html` data-other-source="${f.other_field}"` : ''}>
    <label for="${id}">${label}${requiredMark(p, required)}</label>
    ${helpEl}
    ${errorList(errors, errName, prefix)}
    ${input}
    ${other}
  </div>`;
}

/** The free-text box that goes with "อื่นๆ"; shown always without JavaScript, revealed on choice with it. */
function otherControl(p: PageCtx, f: StandardField, values: FormValues, errors: FormErrors, prefix: string): Html {
  const name = f.other_field!;
  const id = fieldId(name, prefix);
  const hasErr = errors[name]?.length;
  return html`<div class="other-field${hasErr ? ' has-error' : ''}" data-other-for="${f.name}">
    <label for="${id}">${p.t('form.other_specify', { label: f.label[p.lang] })}</label>
    ${errorList(errors, name, prefix)}
    <input type="text" id="${id}" name="${name}" value="${asText(values[name])}"${hasErr ? html` aria-invalid="true" aria-describedby="err-${prefix}${name}"` : ''}>
  </div>`;
}

/** All problems at the top, each a link to its field, announced when the page loads. */
export function errorSummary(p: PageCtx, errors: FormErrors, labelOf: (field: string) => string, prefix = ''): Html {
  const entries = Object.entries(errors).filter(([, m]) => m.length);
  if (!entries.length) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary">
    <h2>${p.t('form.errors_title', { n: entries.length })}</h2>
    <ul>${entries.map(([field, msgs]) => html`<li><a href="#${fieldId(field === 'tag_string' ? 'tags' : field, prefix)}">${labelOf(field)}: ${msgs.join(' ')}</a></li>`)}</ul>
  </div>`;
}
