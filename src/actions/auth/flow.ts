import type { ActionContext } from '../context.ts';
import { AuthorizationError, type Msg } from '../errors.ts';
import type { UserRow } from '../../store/schema.ts';
import { issueTicket, readTicket, ticketMatches, type Method, type Stage, type TicketClaims } from './ticket.ts';
import { AuthMsg } from './messages.ts';

export type Next = 'done' | Stage;

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60 * 1000;

export interface SignedInUser {
  id: string;
  name: string;
  sysadmin: boolean;
  fullname: string;
}

/** What every sign-in step answers: who, what comes next, and the ticket for that next step. */
export interface SignInResult {
  user: SignedInUser;
  next: Next;
  /** With next = 'done': this sign-in passed a second factor (the session records it, see README.md). */
  two_factor?: boolean;
  /** Present unless next is 'done': hand it to the next step (see README.md). */
  ticket?: string;
  ticket_expires?: string;
}

export function publicUser(u: UserRow): SignedInUser {
  return { id: u.id, name: u.name, sysadmin: u.sysadmin, fullname: u.fullname };
}

/**
 * The caller gets the error once the transaction has committed, so a failed attempt's counter and
 * audit rows are kept (throwing inside would roll them back). Callers `return` this.
 */
export function commitThenThrow(ctx: ActionContext, error: Error): never {
  ctx.failAfterCommit(error);
  return undefined as never;
}

/** Loads and row-locks an account, so concurrent attempts count their failures one by one. */
export async function lockUserRow(ctx: ActionContext, id: string): Promise<UserRow | undefined> {
  return ctx.db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export interface FailureCounter {
  failures: number;
  lockedUntil: Date | null;
}

/** The lock still in force at `now`, if any. */
export function activeLock(lockedUntil: Date | null, now: Date): Date | null {
  return lockedUntil && new Date(lockedUntil).getTime() > now.getTime() ? new Date(lockedUntil) : null;
}

/** One more failure: the fifth since the last success or lock locks for 15 minutes and starts a new count. */
export function afterFailure(c: FailureCounter, now: Date): FailureCounter & { lockedNow: boolean } {
  const expired = c.lockedUntil !== null && !activeLock(c.lockedUntil, now);
  const failures = (expired ? 0 : c.failures) + 1;
  if (failures >= MAX_FAILURES) return { failures: 0, lockedUntil: new Date(now.getTime() + LOCK_MS), lockedNow: true };
  return { failures, lockedUntil: expired ? null : c.lockedUntil, lockedNow: false };
}

/**
 * 2FA is mandatory for sysadmins and for admins of any organisation (they manage members and
 * shared data), and for everyone when BANCHI_REQUIRE_2FA_ALL=true.
 */
export async function requires2fa(ctx: ActionContext, user: UserRow): Promise<boolean> {
  if (ctx.services.config.require2faForAll || user.sysadmin) return true;
  const admin = await ctx.db
    .selectFrom('memberships as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select('m.user_id')
    .where('m.user_id', '=', user.id)
    .where('m.role', '=', 'admin')
    .where('g.is_organization', '=', true)
    .where('g.state', '=', 'active')
    .limit(1)
    .executeTakeFirst();
  return admin !== undefined;
}

/**
 * Order of the steps: prove the second factor before anything else, then replace a one-time
 * password (password sign-in only), then set up 2FA where it is required.
 */
export async function nextStep(ctx: ActionContext, user: UserRow, method: Method, totpDone: boolean): Promise<Next> {
  if (user.totp_enabled && !totpDone) return 'totp';
  if (method === 'password' && user.must_change_password) return 'change_password';
  if (!user.totp_enabled && (await requires2fa(ctx, user))) return 'totp_setup';
  return 'done';
}

export async function signInResult(ctx: ActionContext, user: UserRow, method: Method, totpDone: boolean): Promise<SignInResult> {
  const next = await nextStep(ctx, user, method, totpDone);
  const user_ = publicUser(user);
  if (next === 'done') {
    await ctx.db.updateTable('users').set({ last_active: ctx.now }).where('id', '=', user.id).execute();
    await ctx.audit({ action: 'user_signed_in', object_type: 'user', object_id: user.id, detail: { method, two_factor: totpDone } });
    return { user: user_, next, two_factor: totpDone };
  }
  const { ticket, expires } = issueTicket(ctx.services.config, user, { userId: user.id, stage: next, method, totpDone }, ctx.now);
  return { user: user_, next, ticket, ticket_expires: expires.toISOString() };
}

/** Subject of the rules that a signed-in user or the holder of a sign-in ticket may pass. */
export interface SelfOrTicket {
  userId: string;
  /** The action checked a ticket for this user and this step. */
  ticket: boolean;
}

/**
 * The account a step acts on: from a ticket for `stage` when one is given (it must be authentic,
 * unexpired and still match the account), else the signed-in caller. Authorizes `rule` either way.
 */
export async function stepAccount(
  ctx: ActionContext,
  rule: string,
  input: Record<string, unknown>,
  stages: Stage[],
): Promise<{ user: UserRow; claims: TicketClaims | null }> {
  if (input.ticket !== undefined && input.ticket !== null && input.ticket !== '') {
    const claims = readTicket(ctx.services.config, input.ticket, ctx.now);
    const user = claims && stages.includes(claims.stage) ? await lockUserRow(ctx, claims.userId) : undefined;
    const valid = !!claims && !!user && user.state === 'active' && ticketMatches(claims, user);
    authorizeOr(ctx, rule, { userId: user?.id ?? '', ticket: valid } satisfies SelfOrTicket, AuthMsg.ticketInvalid());
    return { user: user!, claims };
  }
  const id = ctx.actor.kind === 'user' ? ctx.actor.user.id : '';
  const user = id ? await lockUserRow(ctx, id) : undefined;
  authorizeOr(ctx, rule, { userId: user?.state === 'active' ? user.id : '', ticket: false } satisfies SelfOrTicket);
  return { user: user!, claims: null };
}

/** ctx.authorize with a message that says why (the policy alone only says no). */
export function authorizeOr(ctx: ActionContext, rule: string, subject: unknown, msg?: Msg): void {
  if (!ctx.can(rule, subject)) throw new AuthorizationError(msg);
  ctx.authorize(rule, subject);
}

/** A string input, or '' when absent or of another type. */
export function textInput(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** A bigint column read back as a number on both stores (the pg parser and PGlite both map int8). */
export function asNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
