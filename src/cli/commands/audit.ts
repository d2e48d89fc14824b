import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { verifyAudit } from '../../actions/audit-verify.ts';
import { loadAuditKey } from '../../actions/audit-key.ts';
import { sealPending } from '../../actions/audit-seal.ts';

const USAGE = { th: 'ใช้: banchi audit verify | banchi audit seal', en: 'Usage: banchi audit verify | banchi audit seal' };

/**
 * `banchi audit verify`: checks the whole audit log and exits 1 naming the first problem.
 * `banchi audit seal`: seals what is final now (the server does this every few seconds).
 */
export const audit: Command = async (args, cli) => {
  const [sub, ...rest] = args;
  if (sub !== 'verify' && sub !== 'seal') throw new UsageError(USAGE);
  parse(rest, {}, { min: 0, max: 0 });
  return withServices(cli, async (services) => {
    const { config } = services;
    if (sub === 'seal') {
      const n = await sealPending(services);
      cli.out(say(cli.lang, { th: `ปิดผนึกบันทึกตรวจสอบ ${n} ชุด`, en: `sealed ${n} audit batch(es)` }));
      return 0;
    }
    const r = await verifyAudit(services.store.db, { key: loadAuditKey(config), dataDir: config.dataDir });
    const rate = r.rows_per_second.toLocaleString('en-US');
    cli.out(say(cli.lang, {
      th: `ตรวจ ${r.rows} แถว (${r.batches} ชุดที่ปิดผนึก) ใน ${r.seconds.toFixed(2)} วินาที — ${rate} แถว/วินาที`,
      en: `checked ${r.rows} rows (${r.batches} sealed batches) in ${r.seconds.toFixed(2)} s — ${rate} rows/s`,
    }));
    if (r.unsealed) {
      cli.out(say(cli.lang, {
        th: `${r.unsealed} แถวล่าสุดยังไม่ได้ปิดผนึก: ตรวจกับค่าแฮชของแถวแล้ว แต่จะมีลายมือชื่อรับรองเมื่อปิดผนึก`,
        en: `${r.unsealed} latest row(s) not sealed yet: checked against their leaf hashes, covered by a signature only once sealed`,
      }));
    }
    if (r.witness) cli.out(say(cli.lang, { th: `สำเนาพยานนอกฐานข้อมูล: ชุดที่ ${r.witness.batch}`, en: `witness copy outside the database: checkpoint ${r.witness.batch}` }));
    if (!r.problem) {
      cli.out(say(cli.lang, { th: 'บันทึกตรวจสอบถูกต้องครบถ้วน', en: 'audit log intact' }));
      return 0;
    }
    const p = r.problem;
    cli.err(say(cli.lang, {
      th: `banchi: บันทึกตรวจสอบถูกแก้ไข: แถวแรกที่ได้รับผลกระทบ seq ${p.seq} (${p.kind}): ${p.reason}`,
      en: `banchi: audit log tampered: first affected row seq ${p.seq} (${p.kind}): ${p.reason}`,
    }));
    if (r.problems > 1) cli.err(say(cli.lang, { th: `พบปัญหาทั้งหมด ${r.problems} รายการ`, en: `${r.problems} problems in all` }));
    return 1;
  });
};
