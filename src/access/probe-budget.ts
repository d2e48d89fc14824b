import { sql } from 'kysely';
import type { ActionContext } from '../actions/context.ts';
import type { Db } from '../store/db.ts';
import { isSysadmin, type Actor } from './actor.ts';

/**
 * Uniqueness answers about entries a caller may not see ("this URL cannot be used") are an oracle:
 * names are unique across the catalog, so each clash confirms that a hidden entry exists. The
 * answer cannot be avoided, but it can be rationed: each caller may receive a few such answers
 * per hour, after which every write that checks a name is refused with the same message, whether
 * or not the name clashes. Sysadmins and the system see everything, so they never get one.
 *
 * Counted in the `probe_answers` table (migration 019), so every app process of one catalog
 * shares one budget per caller. The answer is a validation error, so the action's transaction
 * rolls back: the count is written after the transaction ends, committed or not.
 */
export const HIDDEN_CLASH_WINDOW_MS = 3600_000;
export const HIDDEN_CLASHES_PER_WINDOW = 60;

function key(actor: Actor): string | null {
  if (isSysadmin(actor)) return null;
  return actor.kind === 'user' ? `u:${actor.user.id}` : 'anonymous';
}

/** Hidden-clash answers this caller may still receive in the current window. */
export async function hiddenClashesLeft(ctx: Pick<ActionContext, 'db' | 'actor' | 'now'>): Promise<number> {
  const k = key(ctx.actor);
  if (!k) return Number.POSITIVE_INFINITY;
  const since = new Date(ctx.now.getTime() - HIDDEN_CLASH_WINDOW_MS);
  const r = await sql<{ n: number | null }>`SELECT sum(n)::int AS n FROM probe_answers WHERE caller = ${k} AND at > ${since}`.execute(ctx.db);
  return Math.max(0, HIDDEN_CLASHES_PER_WINDOW - Number(r.rows[0]?.n ?? 0));
}

/** Counts `n` answers once the action's transaction has ended (it usually rolls back: the answer is an error). */
export function recordHiddenClashes(ctx: Pick<ActionContext, 'actor' | 'now' | 'services' | 'afterCommit' | 'onRollback'>, n = 1): void {
  const k = key(ctx.actor);
  if (!k || n <= 0) return;
  const at = ctx.now;
  let done = false;
  const write = async () => {
    if (done) return;
    done = true;
    const db = ctx.services.store.db;
    try {
      // Answers of one caller at the same instant add up in one row (the key is caller and time).
      await db.insertInto('probe_answers').values({ caller: k, at, n }).onConflict((oc) => oc.columns(['caller', 'at']).doUpdateSet((eb) => ({ n: eb('probe_answers.n', '+', eb.ref('excluded.n')) }))).execute();
      // Old answers are dropped here, where a write happens anyway.
      await db.deleteFrom('probe_answers').where('at', '<', new Date(at.getTime() - 2 * HIDDEN_CLASH_WINDOW_MS)).execute();
    } catch (e) {
      process.emitWarning(`probe budget not recorded: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  ctx.afterCommit(write);
  ctx.onRollback(write);
}

/** For tests: start every caller with a full budget. */
export async function resetProbeBudgets(db: Db): Promise<void> {
  await db.deleteFrom('probe_answers').execute();
}
