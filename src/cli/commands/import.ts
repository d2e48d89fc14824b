import fs from 'node:fs';
import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { progress } from '../progress.ts';
import { countLines, importFile, type ImportSummary, type LineFailure } from '../../import/file.ts';
import { MAX_IMPORT_BATCH } from '../../import/action.ts';
import { ValidationError, type Lang } from '../../actions/errors.ts';
import { importTemplateFile, looksLikeWorkbook } from '../../import/template/file.ts';

export function formatFailure(f: LineFailure, lang: Lang): string {
  const where = say(lang, { th: `บรรทัด ${f.line}`, en: `line ${f.line}` }) + (f.name ? ` (${f.name})` : '');
  const problems = Object.entries(f.errors).map(([field, msgs]) => `${field}: ${msgs.map((m) => say(lang, m)).join(', ')}`);
  return `${where}: ${problems.join('; ')}`;
}

export function summaryLine(s: ImportSummary, lang: Lang): string {
  const english = `imported ${s.imported}, failed ${s.failed}`;
  const extras: string[] = [];
  if (s.drafts) extras.push(say(lang, { th: `ฉบับร่าง ${s.drafts}`, en: `${s.drafts} as drafts` }));
  if (s.organizationsCreated.length) extras.push(say(lang, { th: `หน่วยงานใหม่ ${s.organizationsCreated.length}`, en: `${s.organizationsCreated.length} new organisations` }));
  if (s.groupsCreated.length) extras.push(say(lang, { th: `กลุ่มใหม่ ${s.groupsCreated.length}`, en: `${s.groupsCreated.length} new groups` }));
  const detail = extras.length ? ` (${extras.join(', ')})` : '';
  const rate = s.seconds > 0 ? Math.round(s.imported / s.seconds) : 0;
  return lang === 'en'
    ? `${english}${detail} in ${s.seconds.toFixed(1)} s, ${rate} datasets/s`
    : `นำเข้าแล้ว ${s.imported} รายการ ไม่สำเร็จ ${s.failed} รายการ${detail} ใช้เวลา ${s.seconds.toFixed(1)} วินาที (${rate} ชุด/วินาที) — ${english}`;
}

/** `banchi import FILE.jsonl`: every line through package_import, a batch per transaction; an .xlsx is the national template. */
export const importCommand: Command = async (args, cli) => {
  const { values, positionals } = parse(args, { org: { type: 'string' }, 'template-org': { type: 'string' }, 'allow-incomplete': { type: 'boolean' }, 'batch-size': { type: 'string' }, progress: { type: 'boolean' } }, { min: 1, max: 1 });
  const file = positionals[0]!;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError({ th: `ไม่พบไฟล์ ${file}`, en: `File not found: ${file}` });
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_IMPORT_BATCH)) {
    throw new UsageError({ th: `--batch-size ต้องเป็นจำนวนเต็ม 1-${MAX_IMPORT_BATCH}`, en: `--batch-size must be an integer from 1 to ${MAX_IMPORT_BATCH}` });
  }
  // A workbook is read as the national Excel template (all rows or none), not as JSON lines.
  if (await looksLikeWorkbook(file)) {
    return withServices(cli, async (services) => {
      const r = await importTemplateFile(services, file, { org: values.org, templateOrg: values['template-org'], lang: cli.lang });
      cli.out(say(cli.lang, { th: `นำเข้าแล้ว ${r.imported.length} ชุดข้อมูล ${r.resources} ทรัพยากร จากแผ่นงาน ${r.sheets.join(', ')}`, en: `imported ${r.imported.length} datasets and ${r.resources} resources from ${r.sheets.join(', ')}` }));
      return 0;
    });
  }
  return withServices(cli, async (services) => {
    const total = process.stdout.isTTY ? await countLines(file) : 0;
    const bar = progress(total, say(cli.lang, { th: 'นำเข้า', en: 'import' }));
    let summary: ImportSummary;
    // The first Ctrl-C finishes the batches already sent and prints the summary; a second one quits at once.
    const stop = new AbortController();
    const onInterrupt = () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    };
    process.on('SIGINT', onInterrupt);
    try {
      summary = await importFile(services, file, {
        org: values.org,
        allowIncomplete: values['allow-incomplete'] ?? false,
        lang: cli.lang,
        batchSize,
        onProgress: (lines, imported, failed) => {
          bar.update(lines, { note: say(cli.lang, { th: `สำเร็จ ${imported} ไม่สำเร็จ ${failed}`, en: `ok ${imported}, failed ${failed}` }) });
          // For logs: one line per committed batch, so a crash shows how far the import got; its
          // shape is fixed in every language, since scripts read it (the bar above is the person's).
          if (values.progress) cli.err(`progress: lines ${lines}, imported ${imported}, failed ${failed}`);
        },
        onFailure: (f) => bar.log(formatFailure(f, cli.lang)),
        signal: stop.signal,
      });
    } catch (e) {
      if (e instanceof ValidationError && e.errors.owner_org) throw new UsageError({ th: `ไม่พบหน่วยงาน "${values.org}"`, en: `Organisation "${values.org}" not found` });
      throw e;
    } finally {
      process.off('SIGINT', onInterrupt);
      bar.stop();
    }
    if (summary.stopped) cli.err(say(cli.lang, { th: `หยุดนำเข้าหลังบรรทัด ${summary.lines}`, en: `stopped after line ${summary.lines}` }));
    cli.out(summaryLine(summary, cli.lang));
    return summary.failed || summary.stopped ? 1 : 0;
  });
};
