import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Msg } from '../../actions/errors.ts';
import type { Standard } from '../../standard/index.ts';
import type { StandardField } from '../../standard/types.ts';
import { cellText } from '../../util/xlsx-cell.ts';
import { parseFormDate } from '../../util/thai-date.ts';

/** The template's layout is data (sheets.json): sheet names, column order, header and example rows. */
export interface TemplateType {
  type: string;
  datasets: string;
  resources: string;
  dataset_columns: string[];
  resource_columns: string[];
}
export interface TemplateLayout {
  header_row: number;
  example_row: number;
  types: TemplateType[];
}
export const LAYOUT: TemplateLayout = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'sheets.json'), 'utf8'));

/** Where a value came from, so that every error names the sheet and the row people see in Excel. */
export interface Origin {
  sheet: string;
  row: number;
}

export interface TemplateRecord {
  origin: Origin;
  dict: Record<string, unknown>;
  /** The origin of each entry of dict.resources, in order. */
  resourceOrigins: Origin[];
}

export interface TemplateProblem {
  origin: Origin;
  field: string;
  message: Msg;
}

export interface TemplateContent {
  records: TemplateRecord[];
  problems: TemplateProblem[];
  /** Sheets of the template found in the workbook. */
  sheets: string[];
}

/** A workbook without any of the template's sheets is not the template: one clear message, no rows. */
export class NotTemplateError extends Error {
  readonly msg: Msg;
  constructor(found: string[]) {
    const names = LAYOUT.types.map((t) => t.datasets).join(', ');
    const th = `ไฟล์นี้ไม่ใช่แม่แบบนำเข้าเมทาดาตาของ สสช. (ต้องมีแผ่นงาน ${names}; พบ ${found.join(', ') || 'ไม่มีแผ่นงาน'})`;
    const en = `This workbook is not the national metadata template (it needs the sheets ${names}; found ${found.join(', ') || 'none'})`;
    super(en);
    this.msg = { th, en };
  }
}

const MAX_ROWS_PER_SHEET = 5000;

function rowCells(ws: ExcelJS.Worksheet, n: number, width: number): string[] {
  const row = ws.getRow(n);
  return Array.from({ length: width }, (_, i) => cellText(row.getCell(i + 1).value).trim());
}

/** Dates typed in the Buddhist era (or as Excel dates whose year is 25xx) become ISO dates. */
function convert(std: Standard, f: StandardField | undefined, raw: string, origin: Origin, field: string, problems: TemplateProblem[]): unknown {
  if (!f) return raw;
  switch (f.type) {
    case 'date': {
      const d = parseFormDate(raw.replace(/[T ]00:00(:00)?(\.0+)?Z?$/, ''));
      if (!d) return undefined;
      if ('error' in d) {
        problems.push({ origin, field, message: d.error });
        return undefined;
      }
      return d.iso;
    }
    case 'flag':
      // As thai_gdc's importer reads them: any answer containing "ไม่" (no) is false.
      if (/ไม่|^(false|no|n|0)$/i.test(raw)) return false;
      return true;
    case 'multiselect':
      return raw.split(/\s*,\s*/).filter(Boolean);
    case 'number': {
      const n = Number(raw.replace(/,/g, ''));
      return Number.isFinite(n) ? n : raw;
    }
    default:
      void std;
      return raw;
  }
}

/**
 * Reads the national template: every non-empty row below the example row of each dataset sheet
 * becomes a package dict; each resource sheet row joins its dataset by `dataset_name`. Values are
 * only converted here (dates, flags, lists); the standard's validator judges them later.
 */
export async function readTemplate(std: Standard, bytes: Buffer): Promise<TemplateContent> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new NotTemplateError([]);
  }
  const found = wb.worksheets.map((w) => w.name);
  const present = LAYOUT.types.filter((t) => wb.getWorksheet(t.datasets));
  if (!present.length) throw new NotTemplateError(found);
  const records: TemplateRecord[] = [];
  const problems: TemplateProblem[] = [];
  const first = LAYOUT.example_row + 1;
  for (const t of present) {
    const typeValue = std.dataTypeValue(t.type)!;
    const ws = wb.getWorksheet(t.datasets)!;
    const byName = new Map<string, TemplateRecord>();
    const last = Math.min(ws.rowCount, first + MAX_ROWS_PER_SHEET - 1);
    if (ws.rowCount > last) problems.push({ origin: { sheet: t.datasets, row: last + 1 }, field: 'sheet', message: { th: `แผ่นงานหนึ่งรับได้ไม่เกิน ${MAX_ROWS_PER_SHEET} แถว`, en: `A sheet may hold at most ${MAX_ROWS_PER_SHEET} rows` } });
    for (let n = first; n <= last; n++) {
      const cells = rowCells(ws, n, t.dataset_columns.length);
      if (cells.every((c) => c === '')) continue;
      const origin = { sheet: t.datasets, row: n };
      const dict: Record<string, unknown> = { data_type: typeValue, private: true, resources: [] };
      t.dataset_columns.forEach((col, i) => {
        const raw = cells[i]!;
        if (col === 'd_type' || raw === '') return;
        if (col === 'tag_string') dict.tag_string = raw;
        else if (col === 'name') dict.name = raw.toLowerCase().replace(/\s+/g, '-');
        else {
          const v = convert(std, std.datasetFields.get(col), raw, origin, col, problems);
          if (v !== undefined) dict[col] = v;
        }
      });
      const rec = { origin, dict, resourceOrigins: [] as Origin[] };
      records.push(rec);
      if (cells[0]) byName.set(cells[0], rec);
    }
    const rs = wb.getWorksheet(t.resources);
    if (!rs) continue;
    const lastR = Math.min(rs.rowCount, first + MAX_ROWS_PER_SHEET - 1);
    for (let n = first; n <= lastR; n++) {
      const cells = rowCells(rs, n, t.resource_columns.length);
      if (cells.every((c) => c === '')) continue;
      const origin = { sheet: t.resources, row: n };
      const owner = byName.get(cells[0]!);
      if (!owner) {
        problems.push({ origin, field: 'dataset_name', message: cells[0] ? { th: `ไม่พบชุดข้อมูล "${cells[0]}" ในแผ่นงาน ${t.datasets}`, en: `No dataset "${cells[0]}" on the sheet ${t.datasets}` } : { th: 'ต้องระบุชื่อชุดข้อมูล (dataset_name) ของทรัพยากร', en: 'The resource needs the name of its dataset (dataset_name)' } });
        continue;
      }
      const res: Record<string, unknown> = {};
      t.resource_columns.forEach((col, i) => {
        const raw = cells[i]!;
        if (col === 'dataset_name' || raw === '') return;
        const v = convert(std, std.resourceFields.get(col), raw, origin, col, problems);
        if (v !== undefined) res[col] = v;
      });
      (owner.dict.resources as unknown[]).push(res);
      owner.resourceOrigins.push(origin);
    }
  }
  return { records, problems, sheets: present.map((t) => t.datasets) };
}
