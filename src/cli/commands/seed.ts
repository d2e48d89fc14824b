import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { seedDemo } from '../seed-demo.ts';

/** `banchi seed demo`: a believable catalog to try banchi with; prints the new users' one-time passwords. */
export const seed: Command = async (args, cli) => {
  const [what, ...rest] = args;
  if (what !== 'demo') throw new UsageError({ th: 'ใช้: banchi seed demo', en: 'Usage: banchi seed demo' });
  parse(rest, {}, { min: 0, max: 0 });
  const r = await withServices(cli, (services) => seedDemo(services, cli.lang));
  const t = (th: string, en: string) => say(cli.lang, { th, en });
  for (const u of r.users) cli.out(t(`ผู้ใช้ ${u.name} รหัสผ่านใช้ครั้งเดียว: ${u.password}`, `user ${u.name} one-time password: ${u.password}`));
  if (r.users.length) cli.out(t('(รหัสผ่านแสดงครั้งเดียว ต้องเปลี่ยนเมื่อเข้าสู่ระบบครั้งแรก)', '(shown once; each must be changed at first sign-in)'));
  for (const f of r.datasets.failed) cli.err(t(`ชุดข้อมูล ${f.name}: `, `dataset ${f.name}: `) + JSON.stringify(f.errors));
  const imported = r.datasets.imported.length;
  cli.out(
    t(
      `หน่วยงานใหม่ ${r.organizations.length} กลุ่มใหม่ ${r.groups.length} ผู้ใช้ใหม่ ${r.users.length} สมาชิกใหม่ ${r.memberships} ชุดข้อมูลใหม่ ${imported} (มีอยู่แล้ว ${r.datasetsSkipped}) — imported ${imported}, failed ${r.datasets.failed.length}`,
      `created ${r.organizations.length} organisations, ${r.groups.length} groups, ${r.users.length} users, ${r.memberships} memberships; imported ${imported}, failed ${r.datasets.failed.length} (${r.datasetsSkipped} already there)`,
    ),
  );
  return r.datasets.failed.length ? 1 : 0;
};
