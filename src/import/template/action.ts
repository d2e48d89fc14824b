import { defineAction } from '../../actions/registry.ts';
import { fieldMap, ValidationError, type Msg } from '../../actions/errors.ts';
import { findGroup } from '../../actions/datasets/load.ts';
import { isUpload } from '../../files/upload.ts';
import { currentStandard } from '../../standard/index.ts';
import { M } from '../../standard/messages.ts';
import { packageImport, type ImportResult } from '../action.ts';
import { NotTemplateError, readTemplate, type Origin, type TemplateRecord } from './read.ts';

/** A template is a few hundred rows; the cap keeps a hostile workbook from filling memory. */
export const MAX_TEMPLATE_BYTES = 20 * 1024 * 1024;

/** The key of an error: where people find it in Excel, then the column. */
function where(o: Origin, field: string): string {
  return `${o.sheet}[${o.row}].${field}`;
}

function originOf(rec: TemplateRecord, field: string): { origin: Origin; field: string } {
  const m = /^resources\[(\d+)\]\.(.+)$/.exec(field);
  if (m && rec.resourceOrigins[Number(m[1])]) return { origin: rec.resourceOrigins[Number(m[1])]!, field: m[2]! };
  return { origin: rec.origin, field };
}

export interface TemplateImportResult {
  imported: ImportResult['imported'];
  sheets: string[];
  resources: number;
}

/**
 * package_template_import: the national Excel metadata template (one sheet per data type, Thai
 * headers, Buddhist-era dates) into one organisation. All or nothing: any bad row fails the call
 * with every error keyed by sheet, row and column, and nothing is written. Datasets arrive private,
 * as thai_gdc's importer creates them, for the agency to review and publish.
 */
export const packageTemplateImport = defineAction({
  name: 'package_template_import',
  uploadRule: 'package_create_somewhere',
  readOnly: false,
  summary: 'Import the national Excel metadata template (Temp2_Meta_* / Temp3_Resource_* sheets) into an organisation; all rows or none.',
  params: {
    upload: { type: 'file', description: 'the .xlsx workbook (multipart)', required: true },
    owner_org: { type: 'string', description: 'organisation (id or name) that receives every dataset', required: true },
    template_org: { type: 'string', description: "only rows whose owner_org column equals this (thai_gdc's template_org); default all rows" },
  },
  async run(ctx, input): Promise<TemplateImportResult> {
    const orgRef = typeof input.owner_org === 'string' ? input.owner_org.trim() : '';
    const org = orgRef ? await findGroup(ctx.db, orgRef, true) : undefined;
    const active = org?.state === 'active' ? org : undefined;
    ctx.authorize('package_template_import', { owner_org: active?.id ?? null });
    if (!active) throw ValidationError.field('owner_org', orgRef ? M.orgNotFound() : M.missing());
    if (!isUpload(input.upload)) throw ValidationError.field('upload', { th: 'กรุณาแนบไฟล์แม่แบบ (.xlsx)', en: 'Attach the template workbook (.xlsx)' });
    if (input.upload.size > MAX_TEMPLATE_BYTES) throw ValidationError.field('upload', { th: `ไฟล์ใหญ่เกิน ${MAX_TEMPLATE_BYTES / 1024 / 1024} MB`, en: `The file is larger than ${MAX_TEMPLATE_BYTES / 1024 / 1024} MB` });
    const std = currentStandard();
    let content;
    try {
      content = await readTemplate(std, await input.upload.bytes(MAX_TEMPLATE_BYTES));
    } catch (e) {
      if (e instanceof NotTemplateError) throw ValidationError.field('upload', e.msg);
      throw e;
    }
    const only = typeof input.template_org === 'string' ? input.template_org.trim() : '';
    const records = content.records.filter((r) => !only || r.dict.owner_org === only);
    const errors = fieldMap<Msg[]>();
    const add = (key: string, m: Msg) => (errors[key] ??= []).push(m);
    for (const p of content.problems) add(where(p.origin, p.field), p.message);
    if (!records.length && !content.problems.length) throw ValidationError.field('upload', { th: 'ไม่พบแถวข้อมูลในแม่แบบ (ข้อมูลเริ่มที่แถว 6 ใต้แถวตัวอย่าง)', en: 'The template has no data rows (they start on row 6, below the example row)' });
    // The template's owner_org column names the agency in the template; every row goes to owner_org.
    const dicts = records.map((r) => ({ ...r.dict, owner_org: undefined }));
    const result = await packageImport.run(ctx, { records: dicts, owner_org: active.id });
    for (const f of result.failed) {
      const rec = records[f.index]!;
      for (const [field, msgs] of Object.entries(f.errors)) {
        const o = originOf(rec, field);
        for (const m of msgs) add(where(o.origin, o.field), { th: m, en: m });
      }
    }
    // Nothing half-imported: one bad row and the transaction rolls back every row written above.
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const resources = records.reduce((n, r) => n + r.resourceOrigins.length, 0);
    await ctx.audit({ action: 'package_template_import', object_type: 'organization', object_id: active.id, detail: { datasets: result.imported.length, resources, sheets: content.sheets, filename: input.upload.filename } });
    return { imported: result.imported, sheets: content.sheets, resources };
  },
});
