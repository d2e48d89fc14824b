import ExcelJS from 'exceljs';
import type { Standard } from '../../standard/index.ts';
import { LAYOUT } from './read.ts';

/** Thai header of a template column: the standard's label, with the key so that people can match the API. */
function header(std: Standard, col: string, resource: boolean): string {
  if (col === 'd_type') return 'ประเภทข้อมูล';
  if (col === 'dataset_name') return 'ชื่อชุดข้อมูล (name ในแผ่นงานชุดข้อมูล)';
  const f = col === 'tag_string' ? std.datasetFields.get('tags') : resource ? std.resourceFields.get(col) : std.datasetFields.get(col);
  return f ? `${f.label.th}${f.required ? ' *' : ''}` : col;
}

/**
 * The blank national template this catalog reads: for each data type a dataset sheet and a
 * resource sheet, a title on row 1, notes on rows 2–3, Thai headers on row 4 (keys as cell notes),
 * and an example row 5 that the import skips. Data starts on row 6.
 */
export async function blankTemplate(std: Standard): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'banchi';
  for (const t of LAYOUT.types) {
    const label = std.file.data_types.find((d) => d.key === t.type)?.label.th ?? t.type;
    for (const [sheet, cols, resource] of [[t.datasets, t.dataset_columns, false], [t.resources, t.resource_columns, true]] as const) {
      const ws = wb.addWorksheet(sheet);
      ws.getCell(1, 1).value = `${resource ? 'ทรัพยากร' : 'เมทาดาตา'} — ${label}`;
      ws.getCell(2, 1).value = 'วันที่ให้กรอกเป็น วัน/เดือน/ปี พ.ศ. (เช่น 31/12/2567); ค่าที่ไม่อยู่ในรายการจะบันทึกเป็น "อื่นๆ" พร้อมข้อความที่กรอก';
      ws.getCell(3, 1).value = 'แถวที่ 5 เป็นตัวอย่างและจะไม่ถูกนำเข้า เริ่มกรอกข้อมูลที่แถวที่ 6';
      cols.forEach((col, i) => {
        const cell = ws.getCell(LAYOUT.header_row, i + 1);
        cell.value = header(std, col, resource);
        cell.note = col;
        cell.font = { bold: true };
        ws.getColumn(i + 1).width = 24;
      });
      ws.getCell(LAYOUT.example_row, 1).value = 'example-dataset';
    }
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
