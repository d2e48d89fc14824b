import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Services } from '../../actions/context.ts';
import { runAction } from '../../actions/registry.ts';
import { ValidationError, type Lang } from '../../actions/errors.ts';
import { SYSTEM, type Actor } from '../../access/actor.ts';
import { currentStandard } from '../../standard/index.ts';
import { MAX_TEMPLATE_BYTES, type TemplateImportResult } from './action.ts';
import { NotTemplateError, readTemplate } from './read.ts';

/** True when the file starts as a ZIP (an .xlsx workbook is one). */
export async function looksLikeWorkbook(file: string): Promise<boolean> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await fd.read(head, 0, 4, 0);
    return head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  } finally {
    await fd.close();
  }
}

/**
 * `banchi import TEMPLATE.xlsx --org ORG`: the national Excel template through
 * package_template_import, as the portal's import page sends it. A workbook that is not the
 * template is refused in one line before --org is asked for.
 */
export async function importTemplateFile(services: Services, file: string, opts: { org?: string; templateOrg?: string; lang?: Lang; actor?: Actor }): Promise<TemplateImportResult> {
  const name = file.split(/[\\/]/).pop() ?? file;
  if ((await fs.promises.stat(file)).size > MAX_TEMPLATE_BYTES) throw ValidationError.field('file', { th: `${name} ใหญ่เกิน ${MAX_TEMPLATE_BYTES / 1024 / 1024} MB`, en: `${name} is larger than ${MAX_TEMPLATE_BYTES / 1024 / 1024} MB` });
  const bytes = await fs.promises.readFile(file);
  try {
    await readTemplate(currentStandard(), bytes);
  } catch (e) {
    if (e instanceof NotTemplateError) throw ValidationError.field('file', { th: `${name}: ${e.msg.th}`, en: `${name}: ${e.msg.en}` });
    throw e;
  }
  if (!opts.org) throw ValidationError.field('org', { th: 'ระบุหน่วยงานที่รับชุดข้อมูลด้วย --org', en: 'Name the organisation that receives the datasets with --org' });
  const upload = await services.files.put(Readable.from([bytes]), MAX_TEMPLATE_BYTES, name);
  try {
    return await runAction<TemplateImportResult>(services, 'package_template_import', { upload, owner_org: opts.org, ...(opts.templateOrg ? { template_org: opts.templateOrg } : {}) }, { actor: opts.actor ?? SYSTEM, lang: opts.lang ?? 'th' });
  } finally {
    await upload.discard();
  }
}
