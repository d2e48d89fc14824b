import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../store/db.ts';

/**
 * Frequency and quota of an agreement (`frequency: {unit, count}`, codes.json's frequency_unit):
 * at most `count` calls per calendar day, week (from Monday), month or year in Thai time (UTC+7).
 * The counter is a row per agreement and period in PostgreSQL, so every server process shares it;
 * one statement admits a call or not.
 */
const BANGKOK_MS = 7 * 3600_000;
const PERIOD: Record<string, 'day' | 'week' | 'month' | 'year'> = {
  calls_per_day: 'day', deliveries_per_day: 'day', deliveries_per_week: 'week', deliveries_per_month: 'month', deliveries_per_year: 'year',
};

export function periodOf(unit: string, now: Date): { start: Date; end: Date; period: string } {
  const period = PERIOD[unit] ?? 'day';
  const t = new Date(now.getTime() + BANGKOK_MS); // wall clock in Bangkok, read with getUTC*
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  const d = t.getUTCDate();
  let s: number;
  let e: number;
  if (period === 'day') { s = Date.UTC(y, m, d); e = Date.UTC(y, m, d + 1); }
  else if (period === 'week') { const back = (t.getUTCDay() + 6) % 7; s = Date.UTC(y, m, d - back); e = Date.UTC(y, m, d - back + 7); }
  else if (period === 'month') { s = Date.UTC(y, m, 1); e = Date.UTC(y, m + 1, 1); }
  else { s = Date.UTC(y, 0, 1); e = Date.UTC(y + 1, 0, 1); }
  return { start: new Date(s - BANGKOK_MS), end: new Date(e - BANGKOK_MS), period };
}

/**
 * Counts one call if the period's count is below `limit`: answers the new count, or null when the
 * quota is spent (nothing is written then). The row lock is held until the caller's commit, so
 * two processes can never both take the last call.
 */
export async function admitCall(db: Tx, agreementId: string, start: Date, limit: number, opts: { whenAdmitted?: (source: string) => RawBuilder<unknown> } = {}): Promise<number | null> {
  const upsert = sql`
    INSERT INTO exchange_usage AS u (agreement_id, period_start, calls) VALUES (${agreementId}, ${start}, 1)
    ON CONFLICT (agreement_id, period_start) DO UPDATE SET calls = u.calls + 1 WHERE u.calls < ${limit}
    RETURNING u.calls`;
  // `whenAdmitted` writes a row per admitted call in the same statement (a data-modifying CTE over
  // the upsert's answer): one round trip while the counter's row is locked.
  const r = await (opts.whenAdmitted
    ? sql<{ calls: number }>`WITH admitted AS (${upsert}), also AS (${opts.whenAdmitted('admitted')}) SELECT calls FROM admitted`
    : sql<{ calls: number }>`${upsert}`).execute(db);
  return r.rows[0] ? Number(r.rows[0].calls) : null;
}

export async function callsUsed(db: Tx, agreementId: string, start: Date): Promise<number> {
  const r = await sql<{ calls: number }>`SELECT calls FROM exchange_usage WHERE agreement_id = ${agreementId} AND period_start = ${start}`.execute(db);
  return r.rows[0] ? Number(r.rows[0].calls) : 0;
}
