import type { FastifyInstance } from 'fastify';
import { AuthorizationError, ValidationError } from '../../actions/errors.ts';
import { isUpload } from '../../files/upload.ts';
import { currentStandard } from '../../standard/index.ts';
import { blankTemplate } from '../../import/template/write.ts';
import type { TemplateImportResult } from '../../import/template/action.ts';
import { html } from '../html.ts';
import { call, form, page, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { L } from './governance/common.ts';

interface ErrorRow {
  sheet: string;
  row: number;
  field: string;
  messages: string[];
}

/** "Temp2_Meta_Record[7].created_date" → the sheet, the Excel row and the column's Thai label. */
function errorRows(p: PageCtx, e: ValidationError): { rows: ErrorRow[]; general: Array<[string, string[]]> } {
  const std = currentStandard();
  const rows: ErrorRow[] = [];
  const general: Array<[string, string[]]> = [];
  for (const [key, msgs] of Object.entries(e.errors)) {
    const text = msgs.map((m) => (p.lang === 'en' ? m.en : m.th));
    const m = /^([A-Za-z0-9_]+)\[(\d+)\]\.(.+)$/.exec(key);
    if (!m) {
      general.push([key, text]);
      continue;
    }
    const field = m[3]!;
    const f = std.datasetFields.get(field === 'tag_string' ? 'tags' : field) ?? std.resourceFields.get(field);
    rows.push({ sheet: m[1]!, row: Number(m[2]), field: f ? `${f.label[p.lang]} (${field})` : field, messages: text });
  }
  rows.sort((a, b) => a.sheet.localeCompare(b.sheet) || a.row - b.row);
  return { rows, general };
}

async function importPage(p: PageCtx, state: { errors?: ValidationError; result?: TemplateImportResult; org?: string; status?: number } = {}) {
  const orgs = await call<Array<Record<string, string>>>(p, 'organization_list_for_user', { permission: 'create_dataset' });
  const title = L(p, 'นำเข้าจากแม่แบบ Excel', 'Import from the Excel template');
  if (!orgs.length) {
    if (p.actor.kind !== 'user') throw new AuthorizationError();
    // As on the dataset form: a fresh sysadmin is told what to do first, not that access is denied.
    const help = p.actor.user.sysadmin
      ? html`<p>${L(p, 'ต้องมีหน่วยงานก่อนจึงจะนำเข้าชุดข้อมูลได้', 'Datasets belong to an organisation: create one first.')} <a class="button" href="/organization/new">${L(p, 'สร้างหน่วยงาน', 'Create an organisation')}</a></p>`
      : html`<p>${L(p, 'บัญชีของท่านยังไม่มีสิทธิ์เพิ่มชุดข้อมูลในหน่วยงานใด โปรดติดต่อผู้ดูแลหน่วยงาน', 'Your account may not add datasets to any organisation yet; ask your organisation admin.')}</p>`;
    return render(p, title, html`<h1>${title}</h1>${help}`, { breadcrumbs: [[p.t('nav.datasets'), '/dataset'], [title]], noindex: true }, 403);
  }
  const chosen = state.org ?? (typeof (p.req.query as Record<string, unknown>).owner_org === 'string' ? String((p.req.query as Record<string, string>).owner_org) : '');
  const report = state.errors ? errorRows(p, state.errors) : null;
  const body = html`
    <h1>${title}</h1>
    <p>${L(p, 'แม่แบบเมทาดาตาของ สสช.: แผ่นงานละหนึ่งประเภทข้อมูล (Temp2_Meta_*) และทรัพยากร (Temp3_Resource_*) หัวตารางแถวที่ 4 แถวที่ 5 เป็นตัวอย่าง ข้อมูลเริ่มแถวที่ 6 วันที่เป็น พ.ศ. ชุดข้อมูลที่นำเข้าจะเป็นแบบส่วนตัวจนกว่าจะเผยแพร่',
      "NSO's metadata template: one sheet per data type (Temp2_Meta_*) and for resources (Temp3_Resource_*), headers on row 4, an example on row 5, data from row 6, Buddhist-era dates. Imported datasets stay private until published.")}</p>
    <p><a href="/dataset/import/template.xlsx" download>${L(p, 'ดาวน์โหลดแม่แบบเปล่า (.xlsx)', 'Download the blank template (.xlsx)')}</a></p>
    ${report ? html`<section class="error-summary" role="alert" tabindex="-1" aria-labelledby="import-errors-title">
      <h2 id="import-errors-title">${L(p, `ยังไม่ได้นำเข้า: พบข้อผิดพลาด ${report.rows.length + report.general.length} รายการ (ไม่มีรายการใดถูกบันทึก)`, `Nothing was imported: ${report.rows.length + report.general.length} problems (no row was saved)`)}</h2>
      ${report.general.length ? html`<ul>${report.general.map(([k, m]) => html`<li>${k}: ${m.join(' ')}</li>`)}</ul>` : ''}
      ${report.rows.length ? html`<div class="table-scroll"><table class="data">
        <thead><tr><th scope="col">${L(p, 'แผ่นงาน', 'Sheet')}</th><th scope="col" class="num">${L(p, 'แถว', 'Row')}</th><th scope="col">${L(p, 'คอลัมน์', 'Column')}</th><th scope="col">${L(p, 'ปัญหา', 'Problem')}</th></tr></thead>
        <tbody>${report.rows.map((r) => html`<tr><td>${r.sheet}</td><td class="num">${r.row}</td><td>${r.field}</td><td>${r.messages.join(' ')}</td></tr>`)}</tbody>
      </table></div>` : ''}
    </section>` : ''}
    ${state.result ? html`<section role="status" class="flash success">
      <h2>${L(p, `นำเข้าแล้ว ${state.result.imported.length} ชุดข้อมูล ${state.result.resources} ทรัพยากร`, `Imported ${state.result.imported.length} datasets and ${state.result.resources} resources`)}</h2>
      <ul>${state.result.imported.map((d) => html`<li><a href="/dataset/${encodeURIComponent(d.name)}">${d.name}</a></li>`)}</ul>
    </section>` : ''}
    <form method="post" action="/dataset/import" enctype="multipart/form-data" novalidate>
      ${csrfField(p)}
      <div class="field"><label for="field-owner_org">${L(p, 'นำเข้าไปยังหน่วยงาน', 'Import into organisation')} <span class="req" aria-hidden="true">*</span></label>
        <select id="field-owner_org" name="owner_org" required>${orgs.map((o) => html`<option value="${o.name}"${o.name === chosen ? html` selected` : ''}>${o.title || o.name}</option>`)}</select></div>
      <div class="field"><label for="field-upload">${L(p, 'ไฟล์แม่แบบ (.xlsx)', 'Template file (.xlsx)')} <span class="req" aria-hidden="true">*</span></label>
        <input type="file" id="field-upload" name="upload" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required></div>
      <div class="field"><label for="field-template_org">${L(p, 'เฉพาะแถวของหน่วยงาน (คอลัมน์ owner_org ในแม่แบบ; เว้นว่างเพื่อนำเข้าทุกแถว)', "Only the rows of (the template's owner_org column; empty for every row)")}</label>
        <input type="text" id="field-template_org" name="template_org" value="${typeof p.body?.template_org === 'string' ? p.body.template_org : ''}"></div>
      <div class="form-actions"><button type="submit">${L(p, 'ตรวจสอบและนำเข้า', 'Check and import')}</button></div>
    </form>`;
  return render(p, title, body, { breadcrumbs: [[p.t('nav.datasets'), '/dataset'], [title]], noindex: true }, state.status ?? 200);
}

export function templateImportRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/import', page(web, async (p) => importPage(p)));

  app.post('/dataset/import', form(web, async (p) => {
    const b = p.body;
    const org = typeof b.owner_org === 'string' ? b.owner_org : '';
    try {
      const result = await call<TemplateImportResult>(p, 'package_template_import', { owner_org: org, upload: isUpload(b.upload) && b.upload.size > 0 ? b.upload : undefined, template_org: typeof b.template_org === 'string' && b.template_org.trim() ? b.template_org : undefined });
      return importPage(p, { result, org });
    } catch (e) {
      if (e instanceof ValidationError) return importPage(p, { errors: e, org, status: 400 });
      throw e;
    }
  }, { upload: 'package_template_import' }));

  // The blank template is public: agencies fill it in before they have an account.
  app.get('/dataset/import/template.xlsx', async (_req, reply) => {
    const bytes = await blankTemplate(currentStandard());
    return reply
      .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', 'attachment; filename="banchi-metadata-template.xlsx"')
      .send(bytes);
  });
}
