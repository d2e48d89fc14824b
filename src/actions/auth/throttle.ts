import crypto from 'node:crypto';
import net from 'node:net';
import type { ActionContext } from '../context.ts';

/**
 * Failed sign-in counters, kept in the `auth_throttle` table (migration 004) so every process of
 * one catalog shares them and they survive restarts. Three kinds, all counted on every failure:
 *
 * - `pair`: one login (as typed, lower case) from one address. 5 failures lock that pair for
 *   15 minutes. Someone elsewhere guessing a known account's password locks only their own
 *   address out, never the owner.
 * - `address`: one address, all logins. 30 failures in 15 minutes lock the address for 15
 *   minutes: password spraying (one password, many accounts) is capped per address.
 * - `account`: one account (or one unknown login) from all addresses. 100 failures in an hour lock
 *   password-only sign-in for 5 minutes. An account with 2FA on is exempt: its password alone
 *   opens nothing, so the owner (who has the second factor) can always sign in from an address
 *   that is not locked, and an attacker with many addresses cannot keep a sysadmin out.
 *
 * Unknown logins are counted exactly like existing accounts, so a lock says nothing about
 * whether an account exists.
 */
export interface ThrottleRule {
  max: number;
  windowMs: number;
  lockMs: number;
}

const MIN = 60_000;
export const THROTTLE = {
  pair: { max: 5, windowMs: 15 * MIN, lockMs: 15 * MIN },
  address: { max: 30, windowMs: 15 * MIN, lockMs: 15 * MIN },
  account: { max: 100, windowMs: 60 * MIN, lockMs: 5 * MIN },
  // Password reset requests (reset.ts): per address, and mails per login as typed, per hour.
  reset_address: { max: 10, windowMs: 60 * MIN, lockMs: 60 * MIN },
  reset_account: { max: 3, windowMs: 60 * MIN, lockMs: 60 * MIN },
} satisfies Record<string, ThrottleRule>;

export type ThrottleKind = keyof typeof THROTTLE;

export interface ThrottleKey {
  kind: ThrottleKind;
  key: string;
}

interface Row {
  key: string;
  failures: number;
  window_start: Date;
  locked_until: Date | null;
}

function table(ctx: ActionContext) {
  return ctx.db.withTables<{ auth_throttle: Row }>();
}

/** The caller's address as counted ('-' for callers without one: the CLI, jobs). */
export function addressOf(ctx: Pick<ActionContext, 'ip'>): string {
  return (ctx.ip || '-').slice(0, 100);
}

/**
 * The address as the limits count it: an IPv6 address by its /64 (one host or home line is given a
 * whole /64, so counting single addresses would give an attacker 2^64 fresh ones), an IPv4-mapped
 * IPv6 address as its IPv4 address, anything else as it is.
 */
export function throttleAddress(ctx: Pick<ActionContext, 'ip'>): string {
  const ip = addressOf(ctx);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const bare = ip.split('%')[0]!;
  if (!net.isIPv6(bare)) return ip;
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head = '', tail] = bare.split('::');
  const h = groups(head);
  const all = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - groups(tail).length)).fill('0'), ...groups(tail)];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** The keys one attempt counts against: the login from this address, the address, and the account (or unknown login). */
export function signInKeys(ctx: ActionContext, login: string, account: { id: string; totp_enabled: boolean } | undefined): ThrottleKey[] {
  // Hashed: bounded keys, and any character a hostile login may hold (NUL included) is fine.
  const l = crypto.createHash('sha256').update(login.toLowerCase()).digest('base64url');
  const addr = throttleAddress(ctx);
  const keys: ThrottleKey[] = [
    { kind: 'pair', key: `pair:${l}|${addr}` },
    { kind: 'address', key: `addr:${addr}` },
  ];
  // An account with 2FA on has no account-wide lock (see above).
  if (!account?.totp_enabled) keys.push({ kind: 'account', key: account ? `acct:${account.id}` : `acct-login:${l}` });
  return keys;
}

/** Only the address: for the second step, whose own per-account lock needs the password first. */
export function addressKeys(ctx: ActionContext): ThrottleKey[] {
  return [{ kind: 'address', key: `addr:${throttleAddress(ctx)}` }];
}

/** The latest lock in force on these keys, or null. */
export async function lockedUntil(ctx: ActionContext, keys: ThrottleKey[]): Promise<Date | null> {
  if (!keys.length) return null;
  const rows = await table(ctx).selectFrom('auth_throttle').select(['locked_until']).where('key', 'in', keys.map((k) => k.key)).where('locked_until', '>', ctx.now).execute();
  let until: Date | null = null;
  for (const r of rows) if (r.locked_until && (!until || r.locked_until.getTime() > until.getTime())) until = new Date(r.locked_until);
  return until;
}

/** Counts one failure on each key; answers the lock that this failure started, if any. */
export async function recordFailure(ctx: ActionContext, keys: ThrottleKey[]): Promise<Date | null> {
  const db = table(ctx);
  const now = ctx.now;
  let locked: Date | null = null;
  for (const k of keys) {
    const rule = THROTTLE[k.kind];
    await db.insertInto('auth_throttle').values({ key: k.key, failures: 0, window_start: now, locked_until: null }).onConflict((oc) => oc.column('key').doNothing()).execute();
    // Row-locked, so concurrent failures are counted one by one.
    const row = await db.selectFrom('auth_throttle').selectAll().where('key', '=', k.key).forUpdate().executeTakeFirstOrThrow();
    const stale = now.getTime() - new Date(row.window_start).getTime() > rule.windowMs || (row.locked_until !== null && new Date(row.locked_until).getTime() <= now.getTime());
    const failures = (stale ? 0 : row.failures) + 1;
    if (failures >= rule.max) {
      const until = new Date(now.getTime() + rule.lockMs);
      await db.updateTable('auth_throttle').set({ failures: 0, window_start: now, locked_until: until }).where('key', '=', k.key).execute();
      if (!locked || until.getTime() > locked.getTime()) locked = until;
    } else {
      await db.updateTable('auth_throttle').set({ failures, ...(stale ? { window_start: now, locked_until: null } : {}) }).where('key', '=', k.key).execute();
    }
  }
  // Old counters are dropped here, where a write happens anyway.
  await db.deleteFrom('auth_throttle').where('window_start', '<', new Date(now.getTime() - 2 * 3600_000)).where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)])).execute();
  return locked;
}

/** A success clears the counter of this login from this address (the others run out on their own). */
export async function clearKeys(ctx: ActionContext, keys: ThrottleKey[]): Promise<void> {
  if (keys.length) await table(ctx).deleteFrom('auth_throttle').where('key', 'in', keys.map((k) => k.key)).execute();
}
