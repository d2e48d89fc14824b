import type { StandardField } from '../../standard/types.ts';

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
    } else put(f.name, typeof raw === 'string' ? raw : Array.isArray(raw) ? raw[0] : undefined);
    if (f.other_field) {
      const o = body[f.other_field];
      if (typeof o === 'string' && o.trim()) out[f.other_field] = o;
    }
  }
  return out;
}
