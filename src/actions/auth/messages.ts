import type { Msg } from '../errors.ts';

/** Wall-clock time in Thailand, for "try again at HH:MM". */
export function bangkokTime(d: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Bangkok', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** Sign-in messages in both languages. The same one answers an unknown account and a wrong password. */
export const AuthMsg = {
  badCredentials: (): Msg => ({ th: 'ชื่อผู้ใช้ อีเมล หรือรหัสผ่านไม่ถูกต้อง', en: 'Wrong user name, e-mail or password' }),
  loginLocked: (until: Date): Msg => ({
    th: `เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป ระบบจึงล็อกการเข้าสู่ระบบไว้ชั่วคราว กรุณาลองใหม่เวลา ${bangkokTime(until)} น.`,
    en: `Sign-in is locked after too many failed attempts. Try again at ${bangkokTime(until)} (Bangkok time).`,
  }),
  wrongOldPassword: (): Msg => ({ th: 'รหัสผ่านเดิมไม่ถูกต้อง', en: 'The current password is wrong' }),
  samePassword: (): Msg => ({ th: 'รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านเดิม', en: 'The new password must differ from the current one' }),
  noPassword: (): Msg => ({ th: 'บัญชีนี้เข้าสู่ระบบผ่าน Digital ID และไม่มีรหัสผ่าน', en: 'This account signs in with Digital ID and has no password' }),
  ticketInvalid: (): Msg => ({ th: 'ขั้นตอนการเข้าสู่ระบบหมดอายุหรือไม่ถูกต้อง กรุณาเข้าสู่ระบบใหม่', en: 'The sign-in step has expired or is invalid; please sign in again' }),
  codeFormat: (): Msg => ({ th: 'กรุณาใส่รหัส 6 หลักจากแอปยืนยันตัวตน หรือรหัสกู้คืน', en: 'Enter the 6-digit code from your authenticator app, or a recovery code' }),
  wrongCode: (): Msg => ({ th: 'รหัสยืนยันไม่ถูกต้องหรือถูกใช้ไปแล้ว', en: 'The code is wrong or has already been used' }),
  totpLocked: (until: Date): Msg => ({
    th: `การยืนยันตัวตนสองขั้นตอนถูกล็อกชั่วคราวเนื่องจากใส่รหัสผิดหลายครั้ง กรุณาลองใหม่เวลา ${bangkokTime(until)} น.`,
    en: `Two-factor sign-in is locked after too many wrong codes. Try again at ${bangkokTime(until)} (Bangkok time).`,
  }),
  totpAlreadyEnabled: (): Msg => ({
    th: 'เปิดใช้การยืนยันตัวตนสองขั้นตอนแล้ว หากเปลี่ยนอุปกรณ์ กรุณาติดต่อผู้ดูแลระบบให้รีเซ็ต',
    en: 'Two-factor sign-in is already on; to move to a new device ask a sysadmin to reset it',
  }),
  totpNotPending: (): Msg => ({ th: 'กรุณาเริ่มตั้งค่าการยืนยันตัวตนสองขั้นตอนก่อน', en: 'Start the two-factor set-up first' }),
  totpNotEnabled: (): Msg => ({ th: 'บัญชีนี้ยังไม่ได้เปิดใช้การยืนยันตัวตนสองขั้นตอน', en: 'This account has no two-factor sign-in' }),
  userNotFound: (): Msg => ({ th: 'ไม่พบผู้ใช้', en: 'User not found' }),
  oidcOff: (): Msg => ({ th: 'ระบบนี้ไม่ได้เปิดใช้การเข้าสู่ระบบด้วย Digital ID', en: 'Digital ID (OpenID Connect) sign-in is not configured' }),
  oidcFailed: (): Msg => ({ th: 'เข้าสู่ระบบด้วย Digital ID ไม่สำเร็จ กรุณาลองใหม่', en: 'Digital ID sign-in failed; please try again' }),
  oidcDenied: (): Msg => ({ th: 'การเข้าสู่ระบบด้วย Digital ID ถูกยกเลิกหรือถูกปฏิเสธ', en: 'Digital ID sign-in was cancelled or refused' }),
  oidcAccountDisabled: (): Msg => ({ th: 'บัญชีที่ผูกกับ Digital ID นี้ถูกระงับ', en: 'The account linked to this Digital ID is disabled' }),
  oidcLinkedElsewhere: (): Msg => ({
    th: 'อีเมลนี้เป็นของบัญชีที่ผูกกับ Digital ID อื่นแล้ว กรุณาติดต่อผู้ดูแลระบบ',
    en: 'This e-mail belongs to an account linked to another Digital ID; contact a sysadmin',
  }),
};
