import fs from 'node:fs';
import type { Msg } from '../actions/errors.ts';

/**
 * Password strength without a dependency: length alone let "aaaaaaaaaa" through. A password is
 * judged by how much of it an attacker's first guesses would not cover: repeated characters,
 * runs (abcdef, 987654, keyboard rows, Thai keyboard rows), a repeated block (abcabcabc), the
 * account's own name or e-mail, and the shipped list of the most common passwords. Characters are
 * counted as code points, so Thai passwords (tone marks included) count like any other.
 */
export const MIN_PASSWORD_LENGTH = 10;
/** What must remain once the predictable parts are discounted. */
const MIN_EFFECTIVE = 8;
const MIN_DISTINCT = 5;

const COMMON: ReadonlySet<string> = new Set(
  fs
    .readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim().normalize('NFC').toLowerCase())
    .filter((l) => l && !l.startsWith('#')),
);

/** Keyboard rows (US and Thai Kedmanee), whose neighbours make runs as much as abc does. */
const ROWS = ['`1234567890-=', 'qwertyuiop[]\\', "asdfghjkl;'", 'zxcvbnm,./', 'ๅ/-ภถุึคตจขช', 'ๆไำพะัีรนยบลฃ', 'ฟหกดเ้่าสวง', 'ผปแอิืทมใฝ'];

function adjacentOnKeyboard(a: string, b: string): boolean {
  for (const row of ROWS) {
    const i = row.indexOf(a);
    if (i >= 0 && (row[i + 1] === b || row[i - 1] === b)) return true;
  }
  return false;
}

/** Characters left after a repetition of a shorter block ("abcabcabc" → 3). */
function periodLength(chars: string[]): number {
  for (let p = 1; p <= chars.length / 2; p++) {
    let ok = true;
    for (let i = p; i < chars.length && ok; i++) ok = chars[i] === chars[i - p];
    if (ok) return p;
  }
  return chars.length;
}

/** The characters an attacker would not guess from their neighbour: repeats and runs count once. */
export function effectiveLength(password: string): number {
  const chars = [...password.toLowerCase()];
  if (!chars.length) return 0;
  let n = 1;
  let prevDelta: number | null = null;
  for (let i = 1; i < chars.length; i++) {
    const delta = chars[i].codePointAt(0)! - chars[i - 1].codePointAt(0)!;
    const predictable: boolean = delta === 0 || (Math.abs(delta) === 1 && (prevDelta === null || prevDelta === delta)) || adjacentOnKeyboard(chars[i - 1], chars[i]);
    // The first step of a run is still a choice; its continuation is not.
    if (!predictable || (prevDelta === null && delta !== 0)) n++;
    prevDelta = predictable ? delta : null;
  }
  return Math.min(n, periodLength(chars));
}

function isCommon(p: string): boolean {
  if (COMMON.has(p)) return true;
  // "password2024!", "!!thailand", "123qwerty": a listed word with digits or symbols around it.
  const core = p.replace(/^[^\p{L}\p{M}]+|[^\p{L}\p{M}]+$/gu, '');
  return core.length >= 4 && core !== p && COMMON.has(core);
}

export interface PasswordContext {
  name?: string | null;
  email?: string | null;
  fullname?: string | null;
}

export const PasswordMsg = {
  short: (): Msg => ({ th: `รหัสผ่านต้องยาวอย่างน้อย ${MIN_PASSWORD_LENGTH} ตัวอักษร`, en: `Your password must be ${MIN_PASSWORD_LENGTH} characters or longer` }),
  common: (): Msg => ({ th: 'รหัสผ่านนี้เป็นรหัสผ่านที่มีผู้ใช้มากและเดาได้ง่าย กรุณาเลือกรหัสผ่านอื่น', en: 'This is one of the most common passwords and easy to guess; choose another' }),
  variety: (): Msg => ({
    th: 'รหัสผ่านเดาง่ายเกินไป (ตัวอักษรซ้ำหรือเรียงกัน เช่น aaaa, 1234, qwerty) กรุณาใช้คำหรืออักขระที่หลากหลายกว่านี้ เช่น วลีสั้น ๆ หลายคำ',
    en: 'This password is too easy to guess (repeated or consecutive characters such as aaaa, 1234, qwerty); use more varied characters, for example a short phrase of several words',
  }),
  personal: (): Msg => ({ th: 'รหัสผ่านต้องไม่ประกอบด้วยชื่อผู้ใช้หรืออีเมลของท่านเป็นหลัก', en: 'Your password must not be mostly your user name or e-mail address' }),
};

/** The first reason the password is weak, or null when it is strong enough. */
export function passwordProblem(password: string, who: PasswordContext = {}): Msg | null {
  const p = password.normalize('NFC').toLowerCase();
  const chars = [...p];
  if (chars.length < MIN_PASSWORD_LENGTH) return PasswordMsg.short();
  if (isCommon(p)) return PasswordMsg.common();
  if (new Set(chars).size < MIN_DISTINCT || effectiveLength(p) < MIN_EFFECTIVE) return PasswordMsg.variety();
  // What is left once the account's own name, e-mail (and its parts) and full name are taken out.
  const email = (who.email ?? '').toLowerCase();
  const parts = [who.name, email, email.split('@')[0], ...(who.fullname ?? '').split(/\s+/)]
    .map((s) => (s ?? '').normalize('NFC').toLowerCase().trim())
    .filter((s) => [...s].length >= 3)
    .sort((a, b) => b.length - a.length);
  let rest = p;
  for (const part of parts) rest = rest.split(part).join('');
  if (rest !== p && effectiveLength(rest) < MIN_EFFECTIVE) return PasswordMsg.personal();
  return null;
}
