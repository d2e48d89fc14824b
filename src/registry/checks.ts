import { ErrorBag, localizeErrors } from '../actions/errors.ts';
import { normalizePackage } from '../import/normalize.ts';
import { currentStandard } from '../standard/index.ts';
import { validateDataset } from '../standard/validate.ts';
import { OPEN_FORMATS } from '../quality/criteria.ts';

export interface Check {
  key: string;
  label: string;
  ok: boolean;
  detail: string[];
}

const REMOTE_ONLY = ['id', 'owner_org', 'organization', 'groups', 'revision_id', 'relationships_as_object', 'relationships_as_subject', 'num_resources', 'num_tags', 'metadata_modified', 'metadata_created', 'creator_user_id', 'state', 'private', 'type'];

const filled = (v: unknown) => (Array.isArray(v) ? v.length > 0 : typeof v === 'string' ? v.trim() !== '' : v !== undefined && v !== null);

/**
 * The automatic checks shown beside each entry of the reviewer queue: the standard's own validator
 * (src/standard, as a new entry of this catalog would be checked) on the record as the agency sent
 * it, then the completeness a reviewer looks for.
 */
export function standardChecks(raw: Record<string, unknown> | null, lang: 'th' | 'en'): Check[] {
  const L = (th: string, en: string) => (lang === 'en' ? en : th);
  const d = { ...(raw ?? {}) };
  for (const k of REMOTE_ONLY) delete d[k];
  const std = currentStandard();
  const bag = new ErrorBag();
  // The organisation is the registry's mapping, not the record's to prove.
  validateDataset(std, { ...normalizePackage(std, d), owner_org: 'agency' }, bag);
  const errors = localizeErrors(bag.errors, lang);
  const out: Check[] = [{ key: 'standard', label: L(`ถูกต้องตามมาตรฐาน ${std.id}`, `Valid against the standard ${std.id}`), ok: !Object.keys(errors).length, detail: Object.entries(errors).map(([f, m]) => `${f}: ${m.join(' ')}`) }];
  const resources = Array.isArray(d.resources) ? (d.resources as Record<string, unknown>[]) : [];
  const formats = resources.map((r) => String(r?.format ?? '').toUpperCase());
  const add = (key: string, th: string, en: string, ok: boolean) => out.push({ key, label: L(th, en), ok, detail: [] });
  add('notes', 'มีคำอธิบายชุดข้อมูล', 'Has a description', filled(d.notes));
  add('tags', 'มีคำสำคัญ', 'Has keywords', filled(d.tags) || filled(d.tag_string));
  add('resources', 'มีทรัพยากรข้อมูลอย่างน้อยหนึ่งรายการ', 'Has at least one resource', resources.length > 0);
  add('open_format', 'มีรูปแบบไฟล์ที่เครื่องอ่านได้ (CSV, JSON, XML, XLSX, API)', 'Has a machine-readable format (CSV, JSON, XML, XLSX, API)', formats.some((f) => OPEN_FORMATS.has(f)));
  add('contact', 'มีอีเมลผู้ติดต่อ', 'Has a contact e-mail', filled(d.maintainer_email));
  add('frequency', 'ระบุความถี่ในการปรับปรุง', 'States its update frequency', filled(d.update_frequency_unit));
  add('license', 'ระบุสัญญาอนุญาต', 'States a licence', filled(d.license_id));
  return out;
}
