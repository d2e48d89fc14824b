/** Dates as Thai offices write them: the Buddhist era, in Bangkok time (UTC+7, no daylight saving). */
const BANGKOK_OFFSET_MS = 7 * 3600 * 1000;

export function bangkokParts(d: Date): { year: number; month: number; day: number } {
  const t = new Date(d.getTime() + BANGKOK_OFFSET_MS);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function buddhistYear(d: Date): number {
  return bangkokParts(d).year + 543;
}

/** The calendar day in Bangkok as YYYY-MM-DD ("today" for a Thai office, not the UTC date). */
export function bangkokDay(d: Date): string {
  const { year, month, day } = bangkokParts(d);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
