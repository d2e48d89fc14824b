import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { readSecret } from '../stdin.ts';
import { runAction } from '../../actions/registry.ts';
import { SYSTEM } from '../../access/actor.ts';
import { oneTimePassword } from '../../access/passwords.ts';

/** `banchi user create`: through user_create as the system actor, like every other write. */
export const user: Command = async (args, cli) => {
  const [sub, ...rest] = args;
  if (sub === 'reset-link') return resetLink(rest, cli);
  if (sub !== 'create') {
    throw new UsageError({
      th: 'ใช้: banchi user create NAME --email E [--password-stdin] [--sysadmin]\n     banchi user reset-link NAME [--mail]',
      en: 'Usage: banchi user create NAME --email E [--password-stdin] [--sysadmin]\n       banchi user reset-link NAME [--mail]',
    });
  }
  const { values, positionals } = parse(
    rest,
    { email: { type: 'string' }, 'password-stdin': { type: 'boolean' }, sysadmin: { type: 'boolean' }, fullname: { type: 'string' } },
    { min: 1, max: 1 },
  );
  if (!values.email) throw new UsageError({ th: 'ต้องระบุ --email', en: '--email is required' });
  const given = values['password-stdin'] ? await readSecret(say(cli.lang, { th: 'รหัสผ่าน: ', en: 'Password: ' })) : undefined;
  const password = given ?? oneTimePassword();
  const created = await withServices(cli, (services) =>
    runAction<{ name: string; sysadmin: boolean }>(
      services,
      'user_create',
      { name: positionals[0], email: values.email, password, sysadmin: values.sysadmin ?? false, fullname: values.fullname, must_change_password: given === undefined },
      { actor: SYSTEM, lang: cli.lang },
    ),
  );
  const role = created.sysadmin ? say(cli.lang, { th: ' (ผู้ดูแลระบบ)', en: ' (sysadmin)' }) : '';
  cli.out(say(cli.lang, { th: `สร้างผู้ใช้ ${created.name}${role} แล้ว`, en: `created user ${created.name}${role}` }));
  if (given === undefined) cli.out(say(cli.lang, { th: `รหัสผ่านใช้ครั้งเดียว: ${password} (ต้องเปลี่ยนเมื่อเข้าสู่ระบบครั้งแรก)`, en: `one-time password: ${password} (must be changed at first sign-in)` }));
  return 0;
};

/** `banchi user reset-link NAME [--mail]`: a single-use password reset link (24 h), printed once; audited as the system. */
async function resetLink(args: string[], cli: Parameters<Command>[1]): Promise<number> {
  const { values, positionals } = parse(args, { mail: { type: 'boolean' } }, { min: 1, max: 1 });
  const r = await withServices(cli, (services) =>
    runAction<{ name: string; url: string; expires_at: string; mailed: boolean }>(services, 'user_password_reset_issue', { id: positionals[0], mail: values.mail ?? false }, { actor: SYSTEM, lang: cli.lang }),
  );
  cli.out(say(cli.lang, { th: `ลิงก์ตั้งรหัสผ่านใหม่ของ ${r.name} (ใช้ได้ครั้งเดียว หมดอายุ ${r.expires_at} UTC): ${r.url}`, en: `password reset link for ${r.name} (single use, expires ${r.expires_at} UTC): ${r.url}` }));
  if (r.mailed) cli.out(say(cli.lang, { th: 'ส่งลิงก์ไปยังอีเมลของผู้ใช้แล้ว', en: 'the link was also sent to the user\'s e-mail' }));
  return 0;
}
