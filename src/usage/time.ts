/** Thailand keeps UTC+7 all year (no daylight saving), so Asia/Bangkok days and months are a fixed shift. */
const BANGKOK_OFFSET_MS = 7 * 3600 * 1000;

/** 'YYYY-MM-DD' of the Asia/Bangkok day `d` falls in. */
export function bangkokDay(d: Date): string {
  return new Date(d.getTime() + BANGKOK_OFFSET_MS).toISOString().slice(0, 10);
}

/** 'YYYY-MM' of the Asia/Bangkok month `d` falls in. */
export function bangkokMonth(d: Date): string {
  return bangkokDay(d).slice(0, 7);
}

/** The `n` months ending with the one `now` falls in, oldest first ('YYYY-MM'). */
export function lastMonths(now: Date, n: number): string[] {
  const [y, m] = bangkokMonth(now).split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const t = (y * 12 + (m - 1)) - i;
    out.push(`${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

/**
 * A month as 'YYYY-MM' that PostgreSQL accepts as the first day of a month: years 0001–9999. Year
 * 0000 does not exist in PostgreSQL's calendar (`'0000-01-01'::date` is an error), so a pattern of
 * four digits alone would let a caller's month reach SQL and fail there as a 500.
 */
export const MONTH = /^(?!0000)\d{4}-(0[1-9]|1[0-2])$/;
