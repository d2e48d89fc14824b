import { bangkokParts } from '../workflow/numbers.ts';

export const THAI_MONTHS = ['มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน', 'กรกฎาคม', 'สิงหาคม', 'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม'];
export const THAI_MONTHS_SHORT = ['ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.'];

const THAI_DIGITS = '๐๑๒๓๔๕๖๗๘๙';

/** Arabic digits to Thai digits (๐–๙), as official letters write them. */
export function thaiDigits(s: string | number): string {
  return String(s).replace(/[0-9]/g, (d) => THAI_DIGITS[Number(d)]!);
}

/** 1 ธันวาคม 2569 (Bangkok calendar day, Buddhist era); `digits: 'thai'` gives ๑ ธันวาคม ๒๕๖๙. */
export function thaiDate(d: Date, opts: { digits?: 'thai' | 'arabic'; short?: boolean } = {}): string {
  const { year, month, day } = bangkokParts(d);
  const text = `${day} ${(opts.short ? THAI_MONTHS_SHORT : THAI_MONTHS)[month - 1]} ${year + 543}`;
  return opts.digits === 'thai' ? thaiDigits(text) : text;
}

/** 1,520 → ๑,๕๒๐ */
export function thaiNumber(n: number, digits: 'thai' | 'arabic' = 'thai'): string {
  const s = n.toLocaleString('en-US');
  return digits === 'thai' ? thaiDigits(s) : s;
}

/**
 * A moment as a message to a person states it: Thai "๔ ธันวาคม ๒๕๖๙ เวลา ๒๐.๐๐ น." style with
 * Arabic digits ("4 ธันวาคม 2569 เวลา 20.00 น."), English "4 December 2026, 20:00 (Bangkok time)";
 * never an ISO timestamp in UTC.
 */
export function dateTimeText(d: Date, lang: 'th' | 'en'): string {
  const t = new Date(d.getTime() + 7 * 3600_000);
  const hh = String(t.getUTCHours()).padStart(2, '0');
  const mm = String(t.getUTCMinutes()).padStart(2, '0');
  if (lang === 'th') return `${thaiDate(d)} เวลา ${hh}.${mm} น.`;
  const { year, month, day } = bangkokParts(d);
  return `${day} ${EN_MONTHS[month - 1]} ${year}, ${hh}:${mm} (Bangkok time)`;
}

const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
