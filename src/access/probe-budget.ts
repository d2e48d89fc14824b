import { isSysadmin, type Actor } from './actor.ts';

/**
 * Uniqueness answers about entries a caller may not see ("this URL cannot be used") are an oracle:
 * names are unique across the catalog, so each clash confirms that a hidden entry exists. The
 * answer cannot be avoided, but it can be rationed: each caller may receive a few such answers
 * per hour, after which every write that checks a name is refused with the same message, whether
 * or not the name clashes. Sysadmins and the system see everything, so they never get one.
 * In memory: a restart forgets, which only costs the attacker's wait, not the catalog's secrets.
 */
export const HIDDEN_CLASH_WINDOW_MS = 3600_000;
export const HIDDEN_CLASHES_PER_WINDOW = 60;

const seen = new Map<string, number[]>();

function key(actor: Actor): string | null {
  if (isSysadmin(actor)) return null;
  return actor.kind === 'user' ? `u:${actor.user.id}` : 'anonymous';
}

function recent(k: string, now: number): number[] {
  const list = (seen.get(k) ?? []).filter((t) => now - t < HIDDEN_CLASH_WINDOW_MS);
  if (list.length) seen.set(k, list);
  else seen.delete(k);
  return list;
}

/** Hidden-clash answers this caller may still receive in the current window. */
export function hiddenClashesLeft(actor: Actor, now = Date.now()): number {
  const k = key(actor);
  if (!k) return Number.POSITIVE_INFINITY;
  return Math.max(0, HIDDEN_CLASHES_PER_WINDOW - recent(k, now).length);
}

export function recordHiddenClashes(actor: Actor, n = 1, now = Date.now()): void {
  const k = key(actor);
  if (!k || n <= 0) return;
  const list = recent(k, now);
  for (let i = 0; i < n; i++) list.push(now);
  seen.set(k, list);
}

/** For tests: start every caller with a full budget. */
export function resetProbeBudgets(): void {
  seen.clear();
}
