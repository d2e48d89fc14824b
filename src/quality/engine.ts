import type { Msg } from '../actions/errors.ts';
import type { DatasetRow, ResourceRow } from '../store/schema.ts';
import { currentStandard, getStandard, type Standard } from '../standard/index.ts';
import type { ResourceLinkRow } from './schema.ts';
import { CRITERIA, type CriteriaFile, type CriterionDef } from './criteria.ts';

/**
 * The one quality engine: each criterion of criteria.json is scored by the evaluator its `kind`
 * names, as a ratio 0–1 with the reason in Thai and English; the score is the weighted sum.
 */
export type Outcome = 'pass' | 'partial' | 'fail';

export interface CriterionResult {
  key: string;
  label: Msg;
  weight: number;
  result: Outcome;
  /** Share of the weight earned (weight × ratio, one decimal). */
  points: number;
  reason: Msg;
}

export interface QualityResult {
  score: number;
  criteria_version: number;
  criteria: CriterionResult[];
}

export interface QualityInput {
  dataset: DatasetRow;
  /** Active resources in order. */
  resources: ResourceRow[];
  /** The link checker's last answer per resource id. */
  links: ReadonlyMap<string, ResourceLinkRow>;
  now: Date;
}

interface Evaluation {
  ratio: number;
  reason: Msg;
}

const filled = (v: unknown): boolean =>
  Array.isArray(v) ? v.length > 0 : typeof v === 'string' ? v.trim() !== '' : typeof v === 'boolean' || typeof v === 'number' ? true : v !== undefined && v !== null && typeof v === 'object' && Object.keys(v).length > 0;

/** A dataset field's value wherever the store keeps it: a column, else the standard's metadata. */
function value(d: DatasetRow, name: string): unknown {
  if (Object.hasOwn(d, name) && name !== 'metadata') return (d as unknown as Record<string, unknown>)[name];
  return (d.metadata ?? {})[name];
}

const fmt = (r: ResourceRow) => String(r.format ?? '').trim().toUpperCase().replace(/^\./, '');
const list = (xs: string[], max = 8) => (xs.length > max ? `${xs.slice(0, max).join(', ')} …` : xs.join(', '));

function fields(c: CriterionDef, std: Standard, x: QualityInput): Evaluation {
  const exclude = new Set(c.exclude ?? []);
  const applicable = std.datasetFieldsFor(x.dataset.data_type).filter((f) => (c.scope === 'required' ? f.required === true : f.required !== true) && !exclude.has(f.name) && !std.otherFields.has(f.name));
  if (!applicable.length) return { ratio: 1, reason: { th: 'ไม่มีรายการที่ต้องกรอกสำหรับประเภทนี้', en: 'No such fields for this data type' } };
  const missing = applicable.filter((f) => !filled(value(x.dataset, f.name)));
  const done = applicable.length - missing.length;
  const names = (lang: 'th' | 'en') => list(missing.map((f) => f.label[lang] || f.name));
  return {
    ratio: done / applicable.length,
    reason: missing.length
      ? { th: `กรอกแล้ว ${done} จาก ${applicable.length} รายการ ขาด: ${names('th')}`, en: `${done} of ${applicable.length} filled; missing: ${names('en')}` }
      : { th: `กรอกครบ ${applicable.length} รายการ`, en: `All ${applicable.length} filled` },
  };
}

function noResources(): Evaluation {
  return { ratio: 0, reason: { th: 'ยังไม่มีทรัพยากรข้อมูล', en: 'No resources yet' } };
}

function dictionary(c: CriterionDef, _s: Standard, x: QualityInput): Evaluation {
  if (!x.resources.length) return noResources();
  const structured = new Set(c.structured_formats ?? []);
  const concerned = x.resources.filter((r) => structured.has(fmt(r)));
  const pool = concerned.length ? concerned : x.resources;
  const withDict = pool.filter((r) => Array.isArray(r.data_dictionary) && r.data_dictionary.length > 0).length;
  const names = (c.file_names ?? []).map((n) => new RegExp(n, 'iu'));
  const asFile = x.resources.find((r) => names.some((re) => re.test(r.name)));
  const ratio = withDict / pool.length;
  if (asFile && ratio < (c.file_credit ?? 0)) {
    return { ratio: c.file_credit!, reason: { th: `คำอธิบายข้อมูลเป็นไฟล์ "${asFile.name}" ไม่ใช่คำอธิบายเชิงโครงสร้างของทรัพยากร`, en: `The data dictionary is a file ("${asFile.name}"), not a structured dictionary of the resources` } };
  }
  return {
    ratio,
    reason: { th: `มีคำอธิบายข้อมูล ${withDict} จาก ${pool.length} ทรัพยากร`, en: `${withDict} of ${pool.length} resources have a data dictionary` },
  };
}

function formats(c: CriterionDef, _s: Standard, x: QualityInput): Evaluation {
  if (!x.resources.length) return noResources();
  const open = new Set(c.open ?? []);
  const openOnes = x.resources.filter((r) => open.has(fmt(r)));
  const others = [...new Set(x.resources.filter((r) => !open.has(fmt(r))).map((r) => fmt(r) || '?'))];
  return {
    ratio: openOnes.length / x.resources.length,
    reason: others.length
      ? { th: `รูปแบบเปิด ${openOnes.length} จาก ${x.resources.length} ทรัพยากร ไม่ใช่รูปแบบเปิด: ${list(others)}`, en: `${openOnes.length} of ${x.resources.length} resources open; not open: ${list(others)}` }
      : { th: `ทุกทรัพยากรอยู่ในรูปแบบเปิด (${x.resources.length})`, en: `All ${x.resources.length} resources in open formats` },
  };
}

/** The first whole number in the interval text, as ckanext-dquality reads it ("every N units"); 1 when none. */
function interval(v: unknown): number {
  const m = /\d+/.exec(String(v ?? ''));
  const n = m ? Number(m[0]) : 1;
  return n >= 1 ? n : 1;
}

function lastUpdate(x: QualityInput): Date {
  let t = x.dataset.metadata_modified.getTime();
  for (const r of x.resources) {
    for (const d of [r.last_modified, r.metadata_modified]) if (d && d.getTime() > t) t = d.getTime();
  }
  return new Date(t);
}

function freshness(c: CriterionDef, _s: Standard, x: QualityInput): Evaluation {
  const unit = String(value(x.dataset, 'update_frequency_unit') ?? '');
  if ((c.never_updated ?? []).includes(unit)) return { ratio: 1, reason: { th: 'ไม่มีการปรับปรุงหลังจากการจัดเก็บข้อมูล', en: 'Not updated after collection, as stated' } };
  const unitDays = c.cycle_days?.[unit];
  if (!unitDays) return { ratio: 0, reason: { th: `ไม่ได้ระบุความถี่ที่ตรวจสอบได้ (${unit || '-'})`, en: `No checkable update frequency (${unit || '-'})` } };
  const cycle = unitDays * interval(value(x.dataset, 'update_frequency_interval'));
  const last = lastUpdate(x);
  const age = Math.max(0, Math.floor((x.now.getTime() - last.getTime()) / 86_400_000));
  const when = last.toISOString().slice(0, 10);
  if (age <= cycle * (1 + (c.grace ?? 0))) return { ratio: 1, reason: { th: `ปรับปรุงล่าสุด ${when} (${age} วัน) ภายในรอบ ${cycle} วัน`, en: `Last updated ${when} (${age} days), within its ${cycle}-day cycle` } };
  if (age <= cycle * (c.late_factor ?? 2)) return { ratio: 0.5, reason: { th: `ปรับปรุงล่าสุด ${when} (${age} วัน) เกินรอบ ${cycle} วัน`, en: `Last updated ${when} (${age} days), past its ${cycle}-day cycle` } };
  return { ratio: 0, reason: { th: `ปรับปรุงล่าสุด ${when} (${age} วัน) ล่าช้ากว่ารอบ ${cycle} วันมาก`, en: `Last updated ${when} (${age} days), long past its ${cycle}-day cycle` } };
}

function links(_c: CriterionDef, _s: Standard, x: QualityInput): Evaluation {
  if (!x.resources.length) return noResources();
  let ok = 0;
  let unchecked = 0;
  const bad: string[] = [];
  for (const r of x.resources) {
    // A file uploaded here answers by definition: no request is needed.
    if (r.url_type === 'upload') {
      ok++;
      continue;
    }
    const l = x.links.get(r.id);
    if (!l || l.url !== r.url) unchecked++;
    else if (l.status === 'ok') ok++;
    else bad.push(`${r.name || r.id}: ${l.status}${l.http_status ? ` ${l.http_status}` : ''}`);
  }
  const n = x.resources.length;
  // Not yet checked counts half: it is neither known to answer nor known to be broken.
  const ratio = (ok + unchecked * 0.5) / n;
  const th = [`เข้าถึงได้ ${ok} จาก ${n}`, unchecked ? `ยังไม่ได้ตรวจ ${unchecked}` : '', bad.length ? `เสีย: ${list(bad, 5)}` : ''].filter(Boolean).join(' · ');
  const en = [`${ok} of ${n} answer`, unchecked ? `${unchecked} not checked yet` : '', bad.length ? `broken: ${list(bad, 5)}` : ''].filter(Boolean).join(' · ');
  return { ratio, reason: { th, en } };
}

const EVALUATORS: Record<CriterionDef['kind'], (c: CriterionDef, s: Standard, x: QualityInput) => Evaluation> = { fields, dictionary, formats, freshness, links };

export function computeQuality(x: QualityInput, file: CriteriaFile = CRITERIA): QualityResult {
  // Judged against the version of the standard the entry was written to.
  const std = getStandard(x.dataset.standard_id, x.dataset.standard_version) ?? currentStandard();
  let total = 0;
  const criteria = file.criteria.map((c): CriterionResult => {
    const e = EVALUATORS[c.kind](c, std, x);
    const ratio = Math.min(1, Math.max(0, e.ratio));
    total += c.weight * ratio;
    return { key: c.key, label: c.label, weight: c.weight, result: ratio >= c.pass_at ? 'pass' : ratio >= c.partial_at ? 'partial' : 'fail', points: Math.round(c.weight * ratio * 10) / 10, reason: e.reason };
  });
  return { score: Math.round(total), criteria_version: file.version, criteria };
}
