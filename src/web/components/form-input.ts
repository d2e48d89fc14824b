import type { StandardField } from '../../standard/types.ts';
import type { Lang } from '../../actions/errors.ts';
import { parseFormDate } from '../format.ts';

/**
 * Reads posted form fields into an action's input: only the given fields, checkbox groups as lists,
 * radios as 'true'/'false'. keepEmpty sends empty fields as '' so required ones are reported
 * (a full save); without it empty fields are left out (a draft saves what it has).
 */
export function inputFromForm(fields: StandardField[], body: Record<string, unknown>, keepEmpty: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    const empty = v === undefined || v === '' || (Array.isArray(v) && !v.length);
    if (!empty) out[k] = v;
    else if (keepEmpty) out[k] = '';
  };
  for (const f of fields) {
    const raw = f.type === 'tags' ? body.tag_string : body[f.name];
    if (f.type === 'tags') {
      const s = typeof raw === 'string' ? raw.trim() : '';
      if (s) out.tag_string = s;
      else if (keepEmpty) out.tags = [];
    } else if (f.type === 'multiselect') put(f.name, raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
    else if (f.type === 'flag') {
      if (raw === 'true' || raw === 'false') out[f.name] = raw;
    } else if (f.type === 'date') {
      // วัน/เดือน/ปี พ.ศ. from Thai pages becomes the ISO date the action stores; what cannot be read goes on as typed (see dateErrors).
      const text = typeof raw === 'string' ? raw : Array.isArray(raw) ? String(raw[0] ?? '') : '';
      const d = parseFormDate(text);
      put(f.name, d && 'iso' in d ? d.iso : text);
    } else put(f.name, typeof raw === 'string' ? raw : Array.isArray(raw) ? raw[0] : undefined);
    if (f.other_field) {
      const o = body[f.other_field];
      if (typeof o === 'string' && o.trim()) out[f.other_field] = o;
    }
  }
  return out;
}

/** Clear messages for dates the form could not read, to show instead of the action's "YYYY-MM-DD" one. */
export function dateErrors(fields: StandardField[], body: Record<string, unknown>, lang: Lang): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of fields) {
    if (f.type !== 'date' || typeof body[f.name] !== 'string') continue;
    const d = parseFormDate(body[f.name] as string);
    if (d && 'error' in d) out[f.name] = [d.error[lang]];
  }
  return out;
}
