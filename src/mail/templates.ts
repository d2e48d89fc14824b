import type { Lang } from '../actions/errors.ts';

/**
 * Notification texts, Thai first. A template may lack a language; the other one is used then
 * (English when the recipient reads Thai and no Thai text was written, and the reverse).
 * `{{name}}` is replaced by the variable of that name; a missing variable becomes empty.
 */
export interface MailTemplate {
  subject: Partial<Record<Lang, string>>;
  body: Partial<Record<Lang, string>>;
}

export const TEMPLATES: Record<string, MailTemplate> = {
  case_waiting: {
    subject: { th: '[{{number}}] รอการดำเนินการของท่าน: {{process}}', en: '[{{number}}] Waiting for you: {{process}}' },
    body: {
      th: 'เรียน {{name}}\n\nเรื่อง {{number}} ({{process}}) อยู่ในขั้นตอน "{{state}}" และรอการดำเนินการของท่าน\n\nดูรายละเอียดและดำเนินการได้ที่ {{url}}\n\n{{site}}',
      en: 'Dear {{name}},\n\nCase {{number}} ({{process}}) is at "{{state}}" and waits for you.\n\nSee it and act at {{url}}\n\n{{site}}',
    },
  },
  case_update: {
    subject: { th: '[{{number}}] ความคืบหน้า: {{state}}', en: '[{{number}}] Update: {{state}}' },
    body: {
      th: 'เรียน {{name}}\n\nเรื่อง {{number}} ({{process}}) ได้รับการดำเนินการ "{{transition}}" โดย {{actor}} และขณะนี้อยู่ในขั้นตอน "{{state}}"\n{{reason}}\n\nดูรายละเอียดได้ที่ {{url}}\n\n{{site}}',
      en: 'Dear {{name}},\n\nCase {{number}} ({{process}}): "{{transition}}" by {{actor}}; it is now at "{{state}}".\n{{reason}}\n\nSee {{url}}\n\n{{site}}',
    },
  },
  case_closed: {
    subject: { th: '[{{number}}] แจ้งผลการพิจารณา: {{state}}', en: '[{{number}}] Outcome: {{state}}' },
    body: {
      th: 'เรียน {{name}}\n\nเรื่อง {{number}} ({{process}}) สิ้นสุดแล้ว ผลคือ "{{state}}"\n{{reason}}\n\nดูรายละเอียดได้ที่ {{url}}\n\n{{site}}',
      en: 'Dear {{name}},\n\nCase {{number}} ({{process}}) has ended: "{{state}}".\n{{reason}}\n\nSee {{url}}\n\n{{site}}',
    },
  },
  // Accounts (issue 12): password reset links.
  password_reset: {
    subject: { th: 'ตั้งรหัสผ่านใหม่สำหรับบัญชี {{username}}', en: 'Set a new password for {{username}}' },
    body: {
      th: 'เรียน {{name}}\n\nมีคำขอตั้งรหัสผ่านใหม่สำหรับบัญชี {{username}} หากท่านเป็นผู้ขอ กรุณาเปิดลิงก์นี้ภายใน {{minutes}} นาที (ใช้ได้ครั้งเดียว):\n\n{{url}}\n\nหากท่านไม่ได้ขอ ไม่ต้องดำเนินการใด ๆ รหัสผ่านเดิมยังใช้ได้ตามปกติ\n\n{{site}}',
      en: 'Dear {{name}},\n\nSomeone asked to set a new password for the account {{username}}. If it was you, open this link within {{minutes}} minutes (it works once):\n\n{{url}}\n\nIf it was not you, do nothing: your password stays as it is.\n\n{{site}}',
    },
  },
  password_reset_admin: {
    subject: { th: 'ผู้ดูแลระบบส่งลิงก์ตั้งรหัสผ่านใหม่สำหรับบัญชี {{username}}', en: 'An administrator sent you a link to set a new password for {{username}}' },
    body: {
      th: 'เรียน {{name}}\n\nผู้ดูแลระบบได้ออกลิงก์สำหรับตั้งรหัสผ่านใหม่ของบัญชี {{username}} ให้ท่าน ลิงก์ใช้ได้ครั้งเดียวภายใน {{hours}} ชั่วโมง:\n\n{{url}}\n\n{{site}}',
      en: 'Dear {{name}},\n\nAn administrator issued a link for you to set a new password for the account {{username}}. It works once, within {{hours}} hours:\n\n{{url}}\n\n{{site}}',
    },
  },
};

// Integration monitoring (issue 9, src/exchange/monitoring): a linkage item became late.
TEMPLATES.delivery_late = {
  subject: { th: '[{{number}}] ส่งข้อมูลล่าช้า: {{item}} ({{partner}})', en: '[{{number}}] Late delivery: {{item}} ({{partner}})' },
  body: {
    th: 'เรียน {{name}}\n\nรายการเชื่อมโยง {{number}} "{{item}}" กับ {{partner}} มีกำหนดส่งข้อมูล {{frequency}} แต่ยังไม่ได้รับข้อมูลตามกำหนด\nส่งครั้งล่าสุด: {{last}}\nครบกำหนด: {{due}}\n\nดูการติดตามการเชื่อมโยงได้ที่ {{url}}\n\n{{site}}',
    en: 'Dear {{name}},\n\nLinkage item {{number}} "{{item}}" with {{partner}} is delivered {{frequency}}, and no delivery came in time.\nLast delivery: {{last}}\nDue: {{due}}\n\nSee the integration monitor at {{url}}\n\n{{site}}',
  },
};

export class UnknownTemplateError extends Error {}

function pickLang(texts: Partial<Record<Lang, string>>, lang: Lang): string {
  return texts[lang] ?? texts.en ?? texts.th ?? '';
}

export function renderTemplate(name: string, lang: Lang, vars: Record<string, string | number | null | undefined>, templates = TEMPLATES): { subject: string; body: string } {
  const t = Object.hasOwn(templates, name) ? templates[name] : undefined;
  if (!t) throw new UnknownTemplateError(`unknown mail template "${name}"`);
  const fill = (s: string, oneLine: boolean) =>
    s.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi, (_, k: string) => {
      const v = vars[k];
      const text = v === undefined || v === null ? '' : String(v);
      // A subject is one header line: a newline in a variable must not start a new header.
      return oneLine ? text.replace(/[\r\n]+/g, ' ') : text;
    });
  return { subject: fill(pickLang(t.subject, lang), true).trim(), body: fill(pickLang(t.body, lang), false) };
}
