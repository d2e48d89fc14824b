/** Buddhist-era dates as Thai users and the national Excel template write them. */

export const THAI_MONTHS = ['มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน', 'กรกฎาคม', 'สิงหาคม', 'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม'];

/** An ISO date as Thai users write it: วว/ดด/ปปปป in the Buddhist era (2024-12-31 → 31/12/2567). */
export function isoToBuddhist(v: unknown): string {
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
  return m ? `${m[3]}/${m[2]}/${Number(m[1]) + 543}` : typeof v === 'string' ? v : '';
}

export type FormDate = { iso: string } | { error: { th: string; en: string } };

/**
 * A date typed in a form: ISO (the English date picker) or วัน/เดือน/ปี, whose year counts as
 * Buddhist era from 2400 (as Thai users and the national Excel template write it) and as
 * Gregorian below. Returns the ISO date or a message that says what is wrong.
 */
export function parseFormDate(raw: string): FormDate | null {
  const t = raw.trim();
  // 31.12.2567, 31-12-2567 and 31 12 2567 are read as 31/12/2567; 2024-12-31 stays ISO.
  const s = /^\d{4}-/.test(t) ? t : t.replace(/\s*[./\-\s]\s*/g, '/');
  if (!s) return null;
  let day: number, month: number, year: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (iso) [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dmy) [day, month, year] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
  else return { error: { th: 'กรอกวันที่เป็น วัน/เดือน/ปี พ.ศ. เช่น 31/12/2567', en: 'Enter the date as day/month/year, e.g. 31/12/2024' } };
  const be = year >= 2400;
  const gregorian = be ? year - 543 : year;
  if (month < 1 || month > 12) return { error: { th: `ไม่มีเดือนที่ ${month} (เดือนต้องอยู่ระหว่าง 1 ถึง 12)`, en: `There is no month ${month} (months are 1 to 12)` } };
  const last = new Date(Date.UTC(gregorian, month, 0)).getUTCDate();
  if (day < 1 || day > last) {
    return { error: { th: `${THAI_MONTHS[month - 1]} ${be ? year : year + 543} มี ${last} วัน ไม่มีวันที่ ${day}`, en: `${new Intl.DateTimeFormat('en-GB', { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2000, month - 1, 1)))} ${gregorian} has ${last} days, not ${day}` } };
  }
  if (gregorian < 1800 || gregorian > 2200) return { error: { th: `ปี ${year} อยู่นอกช่วงที่รับได้ (พ.ศ. 2343–2743)`, en: `The year ${year} is out of range (1800–2200)` } };
  return { iso: `${String(gregorian).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}
