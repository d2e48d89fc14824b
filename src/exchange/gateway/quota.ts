import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../store/db.ts';
import { GatewayError } from './errors.ts';
import { PREPARED_SQL } from '../../store/prepared.ts';

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

/** Slots a period's count is spread over (at most one per call of the limit). */
export const SLOTS = 8;

/**
 * Counts one call if the period's quota has room: answers the period's count with this call, or
 * null when the quota is spent (nothing is written then).
 *
 * The count is kept in up to SLOTS rows per agreement and period (migration 025), slot s admitting
 * its share of the limit (⌊limit/n⌋, one more for the first limit mod n), so concurrent calls under
 * one agreement lock different rows: a counted row stays locked until its statement's (or the
 * caller's) commit, and one hot row would make every call wait for the commit of the one before. Exact
 * all the same: the shares add up to the limit, a slot is counted only under its row lock with room
 * in its latest version, and a call is refused only when the committed counts leave no slot with
 * room — while a slot with room is locked by a call in flight, this one tries again shortly (it
 * never waits on a row lock, so calls cannot deadlock), so two processes can never both take the
 * last call. A guard on the period's total also holds a limit changed within a period. The answered
 * count is the total as this statement saw it plus this call (other calls in flight are not in it).
 */
/**
 * `whenAdmitted(source, calls)`: statements run in the same statement as the count, once per row of
 * the CTE `source` (one row when the call is admitted, none when not); `calls` is the period's count
 * with this call, as an SQL expression (the number admitCall answers).
 */
export async function admitCall(db: Tx, agreementId: string, start: Date, limit: number, opts: { whenAdmitted?: (source: string, calls: RawBuilder<unknown>) => RawBuilder<unknown>[] } = {}): Promise<number | null> {
  if (!(limit >= 1)) return null;
  const n = Math.min(SLOTS, Math.floor(limit));
  const share = Math.floor(limit / n);
  const extra = limit % n;
  const offset = Math.floor(Math.random() * n);
  const also = opts.whenAdmitted?.('admitted', sql`((SELECT coalesce(sum(calls), 0) FROM usage) + 1)`) ?? [];
  const room = sql`u.slot < ${n} AND u.calls < ${share} + CASE WHEN u.slot < ${extra} THEN 1 ELSE 0 END AND (SELECT coalesce(sum(calls), 0) FROM usage) < ${limit}`;
  const attempt = async () => (await sql<{ admitted: number; used: number; slots: number; room: number }>`${PREPARED_SQL}
    WITH usage AS (SELECT slot, calls FROM exchange_usage WHERE agreement_id = ${agreementId} AND period_start = ${start}),
    pick AS (
      SELECT u.slot FROM exchange_usage u
      WHERE u.agreement_id = ${agreementId} AND u.period_start = ${start} AND ${room}
      ORDER BY (u.slot + ${offset}) % ${n}
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ),
    admitted AS (
      UPDATE exchange_usage x SET calls = x.calls + 1 FROM pick
      WHERE x.agreement_id = ${agreementId} AND x.period_start = ${start} AND x.slot = pick.slot
      RETURNING x.slot
    )${also.length ? sql.join(also.map((s, i) => sql`, ${sql.raw(`also${i}`)} AS (${s})`), sql``) : sql``}
    SELECT (SELECT count(*) FROM admitted)::int AS admitted, (SELECT coalesce(sum(calls), 0) FROM usage)::int AS used,
      (SELECT count(*) FROM usage)::int AS slots, (SELECT count(*) FROM usage u WHERE ${room})::int AS room`.execute(db)).rows[0]!;
  let r = await attempt();
  if (!r.admitted && r.slots < n) {
    // The period's first call (or a limit raised since): its slots are made, then counted as any.
    await sql`INSERT INTO exchange_usage (agreement_id, period_start, slot, calls)
      SELECT ${agreementId}, ${start}, s, 0 FROM generate_series(0, ${n - 1}) s ON CONFLICT DO NOTHING`.execute(db);
    r = await attempt();
  }
  // Room only in slots other calls hold: they commit (or roll back) within their own call's time.
  const until = Date.now() + 10_000;
  for (let pause = 1; !r.admitted && r.room > 0; pause = Math.min(pause * 2, 20)) {
    if (Date.now() > until) {
      throw new GatewayError(503, 'quota_busy', { th: 'ระบบนับโควตาไม่ว่าง กรุณาลองใหม่', en: 'The quota counter is busy; try again' }, { headers: { 'retry-after': '1' } });
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    r = await attempt();
  }
  return r.admitted ? Number(r.used) + 1 : null;
}

export async function callsUsed(db: Tx, agreementId: string, start: Date): Promise<number> {
  const r = await sql<{ calls: number }>`SELECT coalesce(sum(calls), 0)::int AS calls FROM exchange_usage WHERE agreement_id = ${agreementId} AND period_start = ${start}`.execute(db);
  return r.rows[0] ? Number(r.rows[0].calls) : 0;
}
